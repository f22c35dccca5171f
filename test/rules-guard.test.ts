import { Role, SmartAccountStatus, SmartAccountType } from "../entities";
import { codeOf, startTestServer, TestServer } from "./support/harness";
import { countRows } from "./support/db-counts";
import { gid } from "./support/ids";

/**
 * R4 and R9 as one guard sees them: a mutation's payload and the rest of its document see the state
 * after it, the viewer's own roles included; every way to one object agrees on whether the viewer sees
 * it; `nodes(ids:)` costs the same statements for 1 id as for 10, for every kind.
 */
describe("R4, R9: one visibility, payloads after the write", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const roles = (list: { role: string }[]) => list.map((item) => item.role).sort();

  describe("R4 payloads show the state after the mutation", () => {
    it("R4 requesting a Smart Account as its own approver shows the approver role and the default Virtual Account", async () => {
      const result = await server.gql(
        `mutation($input: RequestSmartAccountInput!) {
          requestSmartAccount(input: $input) { id viewerRoles { role } defaultVirtualAccount { name isDefault } }
        }`,
        { input: { name: "Self", domain: "r4-self.com", type: SmartAccountType.CUSTOMER, approverEmail: "jane@r4-self.com" } },
        "jane@r4-self.com",
      );
      expect(result.errors).toBeUndefined();
      expect(roles(result.data.requestSmartAccount.viewerRoles)).toEqual([Role.SMART_ACCOUNT_APPROVER]);
      expect(result.data.requestSmartAccount.defaultVirtualAccount).toEqual({ name: "Default", isDefault: true });
    });

    it("R4 requesting for someone else still shows nothing of the account's inside to the requester", async () => {
      const result = await server.gql(
        `mutation($input: RequestSmartAccountInput!) { requestSmartAccount(input: $input) { viewerRoles { role } defaultVirtualAccount { id } } }`,
        { input: { name: "Other", domain: "r4-other.com", type: SmartAccountType.CUSTOMER, approverEmail: "ceo@r4-other.com" } },
        "partner@r4-partner.com",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.requestSmartAccount).toEqual({ viewerRoles: [], defaultVirtualAccount: null });
    });

    it("R4 activating shows the new SMART_ACCOUNT_ADMIN role, and a later mutation of the same document uses it", async () => {
      const account = await server.build.account("r4-activate.com", { status: SmartAccountStatus.PENDING });
      await account.grant("jane@r4-activate.com", Role.SMART_ACCOUNT_APPROVER);
      const id = gid("SmartAccount", account.id);
      const result = await server.gql(
        `mutation($id: ID!) {
          activate: activateSmartAccount(smartAccountId: $id) { status viewerRoles { role } }
          create: createVirtualAccount(input: { smartAccountId: $id, name: "Sales" }) { name smartAccount { viewerRoles { role } } }
        }`,
        { id },
        "jane@r4-activate.com",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.activate.status).toBe("ACTIVE");
      expect(roles(result.data.activate.viewerRoles)).toEqual([Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_APPROVER]);
      expect(result.data.create.name).toBe("Sales");
      expect(await countRows(server, "virtual_accounts", "smart_account_id = ? AND name = ?", [account.id, "Sales"])).toBe(1);
    });

    it("R4 a role revoked from oneself no longer counts for the next mutation of the document", async () => {
      const account = await server.build.account("r4-revoke.com");
      const mine = await account.grant("ann@r4-revoke.com", Role.SMART_ACCOUNT_ADMIN);
      await account.grant("ann@r4-revoke.com", Role.SMART_ACCOUNT_VIEWER);
      await account.grant("bob@r4-revoke.com", Role.SMART_ACCOUNT_ADMIN);
      const result = await server.gql(
        `mutation($assignment: ID!, $account: ID!) {
          revoke: revokeRole(id: $assignment)
          create: createVirtualAccount(input: { smartAccountId: $account, name: "After" }) { id }
        }`,
        { assignment: gid("RoleAssignment", mine.id), account: gid("SmartAccount", account.id) },
        "ann@r4-revoke.com",
      );
      // The failed field is non-null, so `data` is null; the revocation before it stands.
      expect(await countRows(server, "role_assignments", "id = ?", [mine.id])).toBe(0);
      expect(result.errors?.map((error) => [error.path?.[0], error.extensions.code])).toEqual([["create", "FORBIDDEN"]]);
      expect(await countRows(server, "virtual_accounts", "smart_account_id = ? AND name = ?", [account.id, "After"])).toBe(0);
    });

    it("R4 a Virtual Account role granted to oneself reaches its subtree in the same document", async () => {
      const account = await server.build.account("r4-grant.com");
      const [us] = await account.chain("US");
      await account.grant("ann@r4-grant.com", Role.SMART_ACCOUNT_ADMIN);
      const result = await server.gql(
        `mutation($account: ID!, $va: ID!) {
          grant: grantRole(input: { smartAccountId: $account, email: "ann@r4-grant.com", role: VIRTUAL_ACCOUNT_USER, virtualAccountId: $va }) {
            role smartAccount { viewerRoles { role } }
          }
        }`,
        { account: gid("SmartAccount", account.id), va: gid("VirtualAccount", us.id) },
        "ann@r4-grant.com",
      );
      expect(result.errors).toBeUndefined();
      expect(roles(result.data.grant.smartAccount.viewerRoles)).toEqual([Role.SMART_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER]);
    });
  });

  describe("R9 a parent-domain admin sees an awaiting prefixed account by every way alike", () => {
    const LOOK = `query($id: ID!, $domain: String!, $va: ID!) {
      node(id: $id) { ... on SmartAccount { domain } }
      nodes(ids: [$id]) { ... on SmartAccount { domain } }
      smartAccount(domain: $domain) { domain awaitingDomainApproval defaultVirtualAccount { id } virtualAccounts { totalCount } }
      defaultVa: node(id: $va) { id }
    }`;

    async function prefixed(domain: string) {
      const parent = await server.build.account(domain);
      await parent.grant(`admin@${domain}`, Role.SMART_ACCOUNT_ADMIN);
      await parent.grant(`user@${domain}`, Role.SMART_ACCOUNT_USER);
      const child = await server.build.account(`eu.${domain}`, {
        status: SmartAccountStatus.PENDING,
        awaitingDomainApproval: true,
        domainParentId: parent.id,
      });
      await child.grant(`jane@${domain}`, Role.SMART_ACCOUNT_APPROVER);
      const variables = { id: gid("SmartAccount", child.id), domain: `eu.${domain}`, va: gid("VirtualAccount", child.defaultVirtualAccount.id) };
      return { child, variables };
    }

    it("R9 R4 node, nodes and smartAccount(domain:) all show the account itself, and nothing inside it", async () => {
      const { variables } = await prefixed("r9-alike.com");
      const result = await server.gql(LOOK, variables, "admin@r9-alike.com");
      expect(result.errors).toBeUndefined();
      expect(result.data.node).toEqual({ domain: "eu.r9-alike.com" });
      expect(result.data.nodes).toEqual([{ domain: "eu.r9-alike.com" }]);
      expect(result.data.smartAccount).toEqual({
        domain: "eu.r9-alike.com",
        awaitingDomainApproval: true,
        defaultVirtualAccount: null,
        virtualAccounts: { totalCount: 0 },
      });
      expect(result.data.defaultVa).toBeNull();
    });

    it("R9 R4 the parent's SMART_ACCOUNT_USER and an outsider see it by no way", async () => {
      const { variables } = await prefixed("r9-others.com");
      for (const email of ["user@r9-others.com", "someone@elsewhere-r9.com"]) {
        const result = await server.gql(LOOK, variables, email);
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual({ node: null, nodes: [null], smartAccount: null, defaultVa: null });
      }
    });

    it("R9 R4 once approved it leaves the parent admins' sight by every way; approving again is a CONFLICT", async () => {
      const { variables } = await prefixed("r9-approved.com");
      const approve = `mutation($id: ID!) { approveDomainPrefix(smartAccountId: $id) { awaitingDomainApproval } }`;
      const first = await server.gql(approve, { id: variables.id }, "admin@r9-approved.com");
      expect(first.errors).toBeUndefined();
      expect(first.data.approveDomainPrefix).toEqual({ awaitingDomainApproval: false });
      const after = await server.gql(LOOK, variables, "admin@r9-approved.com");
      expect(after.data).toEqual({ node: null, nodes: [null], smartAccount: null, defaultVa: null });
      expect(codeOf(await server.gql(approve, { id: variables.id }, "admin@r9-approved.com"))).toBe("CONFLICT");
      expect(codeOf(await server.gql(approve, { id: variables.id }, "user@r9-approved.com"))).toBe("NOT_FOUND");
    });

    it("R9 the export agrees: the parent admin sees the account but not its licenses (FORBIDDEN), an outsider nothing (NOT_FOUND)", async () => {
      await prefixed("r9-export.com");
      const url = (domain: string) => `${server.url.replace(/\/graphql$/, "")}/exports/licenses?domain=${domain}`;
      const admin = await fetch(url("eu.r9-export.com"), { headers: { authorization: `Bearer ${await server.token("admin@r9-export.com")}` } });
      expect(admin.status).toBe(403);
      const outsider = await fetch(url("eu.r9-export.com"), { headers: { authorization: `Bearer ${await server.token("user@r9-export.com")}` } });
      expect(outsider.status).toBe(404);
    });
  });

  describe("R4 nodes(ids:) batches by kind", () => {
    const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    let ids: Record<string, string[]>;

    beforeAll(async () => {
      const viewer = "admin@r4-nodes.com";
      const main = await server.build.account("r4-nodes.com");
      await main.grant(viewer, Role.SMART_ACCOUNT_ADMIN);
      const vas = [];
      for (let i = 0; i < 10; i++) vas.push(await main.virtualAccount(`VA ${i}`));
      const accounts = [main.id];
      for (let i = 1; i < 10; i++) {
        const other = await server.build.account(`r4-nodes-${i}.com`);
        await other.grant(viewer, Role.SMART_ACCOUNT_VIEWER);
        accounts.push(other.id);
      }
      await server.build.product("R4-NODES-SKU");
      const assignments = [];
      const licenses = [];
      const devices = [];
      const tokens = [];
      const orders = [];
      for (let i = 0; i < 10; i++) {
        assignments.push(await main.grant(`user${i}@r4-nodes.com`, Role.VIRTUAL_ACCOUNT_USER, vas[i]));
        licenses.push(await main.license(vas[i], "R4-NODES-SKU", 1));
        devices.push((await main.device(vas[i], "ISR4331", `R4N${i}`)).device);
        tokens.push((await main.token(vas[i])).token);
        orders.push((await main.order([{ sku: "R4-NODES-SKU", quantity: 1 }], { placedBy: viewer })).order);
      }
      for (let i = 0; i < 10; i++) {
        const created = await server.gql(
          `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id } }`,
          {
            input: { smartAccountId: gid("SmartAccount", main.id), name: `Made ${i}`, parentId: gid("VirtualAccount", vas[i].id) },
          },
          viewer,
        );
        expect(created.errors).toBeUndefined();
        const asked = await server.gql(`mutation { requestAccess(input: { domain: "r4-nodes.com" }) { id } }`, {}, `asker${i}@r4-asking.com`);
        expect(asked.errors).toBeUndefined();
      }
      const events: { id: number }[] = await server.db.dataSource.query("SELECT id FROM events WHERE smart_account_id = ? ORDER BY id", [main.id]);
      const requests: { id: number }[] = await server.db.dataSource.query("SELECT id FROM access_requests WHERE smart_account_id = ? ORDER BY id", [
        main.id,
      ]);
      const users: { id: number }[] = await server.db.dataSource.query("SELECT id FROM users WHERE email LIKE ? ORDER BY id", ["user%@r4-nodes.com"]);
      const products: { id: number }[] = await server.db.dataSource.query("SELECT id FROM products ORDER BY id LIMIT 10");
      ids = {
        SmartAccount: accounts.map((id) => gid("SmartAccount", id)),
        VirtualAccount: vas.map((va) => gid("VirtualAccount", va.id)),
        RoleAssignment: assignments.map((item) => gid("RoleAssignment", item.id)),
        User: users.map((row) => gid("User", Number(row.id))),
        License: licenses.map((item) => gid("License", item.id)),
        ProductInstance: devices.map((item) => gid("ProductInstance", item.id)),
        RegistrationToken: tokens.map((item) => gid("RegistrationToken", item.id)),
        Order: orders.map((item) => gid("Order", item.id)),
        Event: events.slice(0, 10).map((row) => gid("Event", Number(row.id))),
        AccessRequest: requests.slice(0, 10).map((row) => gid("AccessRequest", Number(row.id))),
        Product: products.map((row) => gid("Product", Number(row.id))),
      };
    });

    it.each([
      "SmartAccount",
      "VirtualAccount",
      "RoleAssignment",
      "User",
      "License",
      "ProductInstance",
      "RegistrationToken",
      "Order",
      "Event",
      "AccessRequest",
      "Product",
    ])("R4 R5 nodes(ids:) of %s: every id is seen, and 10 ids cost the statements of 1", async (kind) => {
      const all = ids[kind];
      expect(all.length).toBeGreaterThanOrEqual(Math.min(10, kind === "Product" ? 1 : 10));
      const one = await server.gql(NODES, { ids: all.slice(0, 1) }, "admin@r4-nodes.com");
      const many = await server.gql(NODES, { ids: all }, "admin@r4-nodes.com");
      expect(one.errors).toBeUndefined();
      expect(many.errors).toBeUndefined();
      expect(many.data.nodes.map((node: { id: string } | null) => node?.id)).toEqual(all);
      expect(many.statements).toBe(one.statements);
    });
  });
});
