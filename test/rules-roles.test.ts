import { Role, SmartAccountStatus } from "../entities";
import { codeOf, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, lastEventType, snapshot } from "./support/db-counts";
import { accounts } from "./support/fixtures";
import { gid } from "./support/ids";

/** Rules R13 (roles) and R14 (access requests), and R29 for their mutations. */

const GRANT = `mutation($input: GrantRoleInput!) {
  grantRole(input: $input) { id role user { email } smartAccount { id } virtualAccount { id } }
}`;
const REVOKE = `mutation($id: ID!) { revokeRole(id: $id) }`;
const REQUEST_ACCESS = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status domain message decidedAt user { email } } }`;
const DECIDE = `mutation($input: DecideAccessRequestInput!) { decideAccessRequest(input: $input) { id status decidedAt } }`;

describe("rules R13, R14: roles and access requests", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const signedIn = accounts(() => server);
  /** An account with its admin, signed in once so that their user row exists before any snapshot. */
  const account = (domain: string, status = SmartAccountStatus.ACTIVE) => signedIn(domain, { status, signIn: true });

  const touch = (email: string) => server.gql("{ viewer { user { id } } }", {}, email);

  const rolesOf = async (email: string, domain: string): Promise<string[] | null> => {
    const result = await server.gql(`{ viewer { smartAccounts { nodes { domain viewerRoles { role } } } } }`, {}, email);
    expect(result.errors).toBeUndefined();
    const found = result.data.viewer.smartAccounts.nodes.find((node: { domain: string }) => node.domain === domain);
    return found ? found.viewerRoles.map((role: { role: string }) => role.role).sort() : null;
  };

  describe("R13 roles", () => {
    it("R13 grantRole by email creates the user if new", async () => {
      const { admin, accountId } = await account("r13-new.com");
      expect(await countRows(server, "users", "email = ?", ["newbie@partner.com"])).toBe(0);
      const result = await server.gql(
        GRANT,
        { input: { smartAccountId: accountId, email: "Newbie@Partner.com", role: Role.SMART_ACCOUNT_USER } },
        admin,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.grantRole).toMatchObject({
        role: "SMART_ACCOUNT_USER",
        user: { email: "newbie@partner.com" },
        smartAccount: { id: accountId },
        virtualAccount: null,
      });
      expect(await countRows(server, "users", "email = ?", ["newbie@partner.com"])).toBe(1);
      expect(await rolesOf("newbie@partner.com", "r13-new.com")).toEqual([Role.SMART_ACCOUNT_USER]);
    });

    it("R13 a Smart Account role with a virtualAccountId → BAD_USER_INPUT", async () => {
      const { built, admin, accountId } = await account("r13-sa-va.com");
      const before = await snapshot(server);
      for (const role of [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER, Role.SMART_ACCOUNT_APPROVER]) {
        const result = await server.gql(
          GRANT,
          {
            input: {
              smartAccountId: accountId,
              email: "x@r13-sa-va.com",
              role,
              virtualAccountId: gid("VirtualAccount", built.defaultVirtualAccount.id),
            },
          },
          admin,
        );
        expect({ role, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
          role,
          code: "BAD_USER_INPUT",
          field: "input.virtualAccountId",
        });
      }
      expect(await snapshot(server)).toEqual(before);
    });

    it("R13 a Virtual Account role without a virtualAccountId → BAD_USER_INPUT", async () => {
      const { admin, accountId } = await account("r13-va-none.com");
      const before = await snapshot(server);
      for (const role of [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER]) {
        const result = await server.gql(GRANT, { input: { smartAccountId: accountId, email: "x@r13-va-none.com", role } }, admin);
        expect({ role, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
          role,
          code: "BAD_USER_INPUT",
          field: "input.virtualAccountId",
        });
      }
      expect(await snapshot(server)).toEqual(before);
      const ok = await server.gql(
        GRANT,
        { input: { smartAccountId: accountId, email: "x@r13-va-none.com", role: Role.VIRTUAL_ACCOUNT_USER, virtualAccountId: null } },
        admin,
      );
      expect(codeOf(ok)).toBe("BAD_USER_INPUT");
    });

    it("R13 a Virtual Account of another Smart Account → BAD_USER_INPUT", async () => {
      const { admin, accountId } = await account("r13-va-other.com");
      const other = await account("r13-va-other2.com");
      await other.built.grant(admin, Role.SMART_ACCOUNT_ADMIN);
      const result = await server.gql(
        GRANT,
        {
          input: {
            smartAccountId: accountId,
            email: "x@r13-va-other.com",
            role: Role.VIRTUAL_ACCOUNT_USER,
            virtualAccountId: gid("VirtualAccount", other.built.defaultVirtualAccount.id),
          },
        },
        admin,
      );
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("input.virtualAccountId");
    });

    it("R13 granting an assignment that exists returns it", async () => {
      const { built, admin, accountId } = await account("r13-again.com");
      const us = await built.virtualAccount("US");
      const inputs = [
        { smartAccountId: accountId, email: "twice@r13-again.com", role: Role.SMART_ACCOUNT_VIEWER },
        { smartAccountId: accountId, email: "twice@r13-again.com", role: Role.VIRTUAL_ACCOUNT_USER, virtualAccountId: gid("VirtualAccount", us.id) },
      ];
      for (const input of inputs) {
        const first = await server.gql(GRANT, { input }, admin);
        expect(first.errors).toBeUndefined();
        const rows = await countRows(server, "role_assignments");
        const second = await server.gql(GRANT, { input: { ...input, email: "TWICE@r13-again.com" } }, admin);
        expect(second.errors).toBeUndefined();
        expect(second.data.grantRole.id).toBe(first.data.grantRole.id);
        expect(await countRows(server, "role_assignments")).toBe(rows);
      }
      // the same role on another Virtual Account is another assignment
      const emea = await built.virtualAccount("EMEA");
      const third = await server.gql(GRANT, { input: { ...inputs[1], virtualAccountId: gid("VirtualAccount", emea.id) } }, admin);
      expect(third.errors).toBeUndefined();
      expect(await rolesOf("twice@r13-again.com", "r13-again.com")).toEqual(
        [Role.SMART_ACCOUNT_VIEWER, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_USER].sort(),
      );
    });

    it("R13 a user may hold several roles; their rights add up", async () => {
      const { built } = await account("r13-sum.com");
      const ops = await built.virtualAccount("Ops");
      const sales = await built.virtualAccount("Sales");
      const who = "both@r13-sum.com";
      const query = `query($ops: ID!) {
        smartAccount(domain: "r13-sum.com") { allVirtualAccounts { nodes { name } } }
        node(id: $ops) { ... on VirtualAccount { events { totalCount } roleAssignments { totalCount } } } }`;
      const vars = { ops: gid("VirtualAccount", ops.id) };

      // VIRTUAL_ACCOUNT_ADMIN on Ops alone: Ops only, with its events and roles
      const vaAdmin = await built.grant(who, Role.VIRTUAL_ACCOUNT_ADMIN, ops);
      const alone = await server.gql(query, vars, who);
      expect(alone.errors).toBeUndefined();
      expect(alone.data.smartAccount.allVirtualAccounts.nodes.map((n: { name: string }) => n.name)).toEqual(["Ops"]);
      expect(alone.data.node.events).not.toBeNull();

      // plus SMART_ACCOUNT_VIEWER: the whole tree, and still Ops' events and roles
      await built.grant(who, Role.SMART_ACCOUNT_VIEWER);
      const both = await server.gql(query, vars, who);
      expect(both.errors).toBeUndefined();
      expect(both.data.smartAccount.allVirtualAccounts.nodes.map((n: { name: string }) => n.name).sort()).toEqual(["Default", "Ops", "Sales"]);
      expect(both.data.node.events).not.toBeNull();
      expect(both.data.node.roleAssignments.totalCount).toBe(1);
      // and may grant Virtual Account roles in Ops (VA admin) but not in Sales
      const grantOps = await server.gql(
        GRANT,
        {
          input: {
            smartAccountId: gid("SmartAccount", built.id),
            email: "helper@r13-sum.com",
            role: Role.VIRTUAL_ACCOUNT_USER,
            virtualAccountId: gid("VirtualAccount", ops.id),
          },
        },
        who,
      );
      expect(grantOps.errors).toBeUndefined();
      const grantSales = await server.gql(
        GRANT,
        {
          input: {
            smartAccountId: gid("SmartAccount", built.id),
            email: "helper@r13-sum.com",
            role: Role.VIRTUAL_ACCOUNT_USER,
            virtualAccountId: gid("VirtualAccount", sales.id),
          },
        },
        who,
      );
      expect(codeOf(grantSales)).toBe("FORBIDDEN");

      // SMART_ACCOUNT_VIEWER alone: the tree, but no events (the VA admin right is gone)
      await server.db.dataSource.query("DELETE FROM role_assignments WHERE id = ?", [vaAdmin.id]);
      const viewerOnly = await server.gql(query, vars, who);
      expect(viewerOnly.data.smartAccount.allVirtualAccounts.nodes).toHaveLength(3);
      expect(viewerOnly.data.node.events).toBeNull();
      expect(codeOf(viewerOnly)).toBe("FORBIDDEN");
    });

    it("R13 revoking the last SMART_ACCOUNT_ADMIN of an ACTIVE account → CONFLICT", async () => {
      const { admin } = await account("r13-last.com");
      const mine = await server.gql(`{ smartAccount(domain: "r13-last.com") { viewerRoles { id role } } }`, {}, admin);
      const assignment = mine.data.smartAccount.viewerRoles[0];
      expect(assignment.role).toBe(Role.SMART_ACCOUNT_ADMIN);
      const before = await snapshot(server);
      const result = await server.gql(REVOKE, { id: assignment.id }, admin);
      expect(codeOf(result)).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before);
      expect(await rolesOf(admin, "r13-last.com")).toEqual([Role.SMART_ACCOUNT_ADMIN]);
    });

    it("R13 revoking a SMART_ACCOUNT_ADMIN is allowed while another admin remains", async () => {
      const { built, admin } = await account("r13-two.com");
      await built.grant("second@r13-two.com", Role.SMART_ACCOUNT_ADMIN);
      const mine = await server.gql(`{ smartAccount(domain: "r13-two.com") { viewerRoles { id } } }`, {}, admin);
      const before = await eventCount(server);
      const result = await server.gql(REVOKE, { id: mine.data.smartAccount.viewerRoles[0].id }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.revokeRole).toBe(mine.data.smartAccount.viewerRoles[0].id);
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("ROLE_REVOKED");
      expect(await rolesOf(admin, "r13-two.com")).toBeNull();
      // now the second one is the last
      const theirs = await server.gql(`{ smartAccount(domain: "r13-two.com") { viewerRoles { id } } }`, {}, "second@r13-two.com");
      expect(codeOf(await server.gql(REVOKE, { id: theirs.data.smartAccount.viewerRoles[0].id }, "second@r13-two.com"))).toBe("CONFLICT");
    });

    it("R13 only SMART_ACCOUNT_ADMINs grant Smart Account roles", async () => {
      const { built, accountId } = await account("r13-who.com");
      await built.grant("user@r13-who.com", Role.SMART_ACCOUNT_USER);
      await built.grant("approver@r13-who.com", Role.SMART_ACCOUNT_APPROVER);
      for (const who of ["user@r13-who.com", "approver@r13-who.com"]) await touch(who);
      const before = await snapshot(server);
      for (const who of ["user@r13-who.com", "approver@r13-who.com"]) {
        const result = await server.gql(GRANT, { input: { smartAccountId: accountId, email: who, role: Role.SMART_ACCOUNT_ADMIN } }, who);
        expect({ who, code: codeOf(result) }).toEqual({ who, code: "FORBIDDEN" });
      }
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe("R14 access requests", () => {
    it("R14 requestAccess to a domain no account has → NOT_FOUND", async () => {
      await touch("lost@nowhere.org");
      const before = await snapshot(server);
      const result = await server.gql(REQUEST_ACCESS, { input: { domain: "no-such-account.com" } }, "lost@nowhere.org");
      expect(codeOf(result)).toBe("NOT_FOUND");
      expect(await snapshot(server)).toEqual(before);
    });

    it("R14 one pending request per user and account → CONFLICT on a second", async () => {
      const { admin } = await account("r14-once.com");
      const first = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-once.com", message: "hi" } }, "asker@r14-guest.com");
      expect(first.errors).toBeUndefined();
      expect(first.data.requestAccess).toMatchObject({ status: "PENDING", domain: "r14-once.com", message: "hi", decidedAt: null });
      const before = await snapshot(server);
      const second = await server.gql(REQUEST_ACCESS, { input: { domain: "R14-ONCE.com" } }, "asker@r14-guest.com");
      expect(codeOf(second)).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before);
      // another user may ask at the same time
      expect((await server.gql(REQUEST_ACCESS, { input: { domain: "r14-once.com" } }, "other@r14-guest.com")).errors).toBeUndefined();
      // once decided, the same user may ask again
      const denied = await server.gql(DECIDE, { input: { id: first.data.requestAccess.id, approve: false } }, admin);
      expect(denied.data.decideAccessRequest.status).toBe("DENIED");
      expect((await server.gql(REQUEST_ACCESS, { input: { domain: "r14-once.com" } }, "asker@r14-guest.com")).errors).toBeUndefined();
    });

    it("R14 admins see pending requests with accessRequests(status: PENDING)", async () => {
      const { built, admin } = await account("r14-list.com");
      await built.grant("user@r14-list.com", Role.SMART_ACCOUNT_USER);
      const a = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-list.com", message: "first" } }, "a@r14-guest.com");
      const b = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-list.com", message: "second" } }, "b@r14-guest.com");
      const c = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-list.com" } }, "c@r14-guest.com");
      await server.gql(DECIDE, { input: { id: c.data.requestAccess.id, approve: false } }, admin);
      const list = `query($status: AccessRequestStatus) { smartAccount(domain: "r14-list.com") {
        accessRequests(status: $status) { totalCount nodes { id status message user { email } domain } } } }`;
      const pending = await server.gql(list, { status: "PENDING" }, admin);
      expect(pending.errors).toBeUndefined();
      expect(pending.data.smartAccount.accessRequests.totalCount).toBe(2);
      expect(pending.data.smartAccount.accessRequests.nodes.map((n: { id: string }) => n.id).sort()).toEqual(
        [a.data.requestAccess.id, b.data.requestAccess.id].sort(),
      );
      expect(pending.data.smartAccount.accessRequests.nodes.find((n: { id: string }) => n.id === a.data.requestAccess.id)).toEqual({
        id: a.data.requestAccess.id,
        status: "PENDING",
        message: "first",
        user: { email: "a@r14-guest.com" },
        domain: "r14-list.com",
      });
      const all = await server.gql(list, {}, admin);
      expect(all.data.smartAccount.accessRequests.totalCount).toBe(3);
      const denied = await server.gql(list, { status: "DENIED" }, admin);
      expect(denied.data.smartAccount.accessRequests.nodes.map((n: { id: string }) => n.id)).toEqual([c.data.requestAccess.id]);
      // a SMART_ACCOUNT_USER does not see them
      const user = await server.gql(list, { status: "PENDING" }, "user@r14-list.com");
      expect(user.data.smartAccount.accessRequests).toBeNull();
      expect(codeOf(user)).toBe("FORBIDDEN");
    });

    it("R14 approving grants the given role: the requester then sees the account", async () => {
      const { built, admin } = await account("r14-approve.com");
      const us = await built.virtualAccount("US");
      const asker = "partner@r14-partner.com";
      const asked = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-approve.com" } }, asker);
      expect(await rolesOf(asker, "r14-approve.com")).toBeNull();
      const at = new Date("2026-12-24T12:00:00.000Z");
      server.clock.set(at);
      const before = await eventCount(server);
      const decided = await server.gql(
        DECIDE,
        {
          input: { id: asked.data.requestAccess.id, approve: true, role: Role.VIRTUAL_ACCOUNT_USER, virtualAccountId: gid("VirtualAccount", us.id) },
        },
        admin,
      );
      expect(decided.errors).toBeUndefined();
      expect(decided.data.decideAccessRequest).toEqual({ id: asked.data.requestAccess.id, status: "APPROVED", decidedAt: at.toISOString() });
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("ACCESS_REQUEST_APPROVED");
      expect(await rolesOf(asker, "r14-approve.com")).toEqual([Role.VIRTUAL_ACCOUNT_USER]);
      const tree = await server.gql(`{ smartAccount(domain: "r14-approve.com") { allVirtualAccounts { nodes { name } } } }`, {}, asker);
      expect(tree.data.smartAccount.allVirtualAccounts.nodes).toEqual([{ name: "US" }]);
    });

    it("R14 approving with a Smart Account role grants it account-wide", async () => {
      const { admin } = await account("r14-sa.com");
      const asked = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-sa.com" } }, "auditor@r14-guest.com");
      const decided = await server.gql(DECIDE, { input: { id: asked.data.requestAccess.id, approve: true, role: Role.SMART_ACCOUNT_VIEWER } }, admin);
      expect(decided.errors).toBeUndefined();
      expect(await rolesOf("auditor@r14-guest.com", "r14-sa.com")).toEqual([Role.SMART_ACCOUNT_VIEWER]);
    });

    it("R14 approving without a role → BAD_USER_INPUT, and nothing changes", async () => {
      const { admin } = await account("r14-norole.com");
      const asked = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-norole.com" } }, "asker@r14-guest.com");
      const before = await snapshot(server);
      const result = await server.gql(DECIDE, { input: { id: asked.data.requestAccess.id, approve: true } }, admin);
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("input.role");
      // a Virtual Account role without a Virtual Account is refused the same way as in grantRole (R13)
      const noVa = await server.gql(DECIDE, { input: { id: asked.data.requestAccess.id, approve: true, role: Role.VIRTUAL_ACCOUNT_USER } }, admin);
      expect(codeOf(noVa)).toBe("BAD_USER_INPUT");
      expect(await snapshot(server)).toEqual(before);
    });

    it("R14 deciding a request twice → CONFLICT", async () => {
      const { admin } = await account("r14-twice.com");
      for (const approve of [true, false]) {
        const asker = `asker-${approve}@r14-guest.com`;
        const asked = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-twice.com" } }, asker);
        const first = await server.gql(DECIDE, { input: { id: asked.data.requestAccess.id, approve, role: Role.SMART_ACCOUNT_USER } }, admin);
        expect(first.errors).toBeUndefined();
        const before = await snapshot(server);
        for (const again of [true, false]) {
          const second = await server.gql(
            DECIDE,
            { input: { id: asked.data.requestAccess.id, approve: again, role: Role.SMART_ACCOUNT_ADMIN } },
            admin,
          );
          expect(codeOf(second)).toBe("CONFLICT");
        }
        expect(await snapshot(server)).toEqual(before);
        expect(await rolesOf(asker, "r14-twice.com")).toEqual(approve ? [Role.SMART_ACCOUNT_USER] : null);
      }
    });

    it("R14 only the account's admins decide; denying grants nothing", async () => {
      const { built, admin } = await account("r14-who.com");
      await built.grant("user@r14-who.com", Role.SMART_ACCOUNT_USER);
      await touch("user@r14-who.com");
      const asked = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-who.com" } }, "asker@r14-guest.com");
      const id = asked.data.requestAccess.id;
      const before = await snapshot(server);
      expect(codeOf(await server.gql(DECIDE, { input: { id, approve: true, role: Role.SMART_ACCOUNT_ADMIN } }, "user@r14-who.com"))).toBe(
        "NOT_FOUND",
      );
      // the requester cannot approve their own request
      expect(codeOf(await server.gql(DECIDE, { input: { id, approve: true, role: Role.SMART_ACCOUNT_ADMIN } }, "asker@r14-guest.com"))).toBe(
        "FORBIDDEN",
      );
      expect(await snapshot(server)).toEqual(before);
      const denied = await server.gql(DECIDE, { input: { id, approve: false } }, admin);
      expect(denied.data.decideAccessRequest.status).toBe("DENIED");
      expect(await rolesOf("asker@r14-guest.com", "r14-who.com")).toBeNull();
      expect(await lastEventType(server)).toBe("ACCESS_REQUEST_DENIED");
    });

    it("R14 the requester sees their own requests in viewer.accessRequests, newest first", async () => {
      const { admin } = await account("r14-mine.com");
      await account("r14-mine2.com");
      const me = "me@r14-requester.com";
      const one = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-mine.com", message: "one" } }, me);
      const two = await server.gql(REQUEST_ACCESS, { input: { domain: "r14-mine2.com", message: "two" } }, me);
      await server.gql(REQUEST_ACCESS, { input: { domain: "r14-mine.com" } }, "someone-else@r14-requester.com");
      await server.gql(DECIDE, { input: { id: one.data.requestAccess.id, approve: true, role: Role.SMART_ACCOUNT_VIEWER } }, admin);
      const mine = await server.gql(`{ viewer { accessRequests { totalCount nodes { id domain status message } } } }`, {}, me);
      expect(mine.errors).toBeUndefined();
      expect(mine.data.viewer.accessRequests).toEqual({
        totalCount: 2,
        nodes: [
          { id: two.data.requestAccess.id, domain: "r14-mine2.com", status: "PENDING", message: "two" },
          { id: one.data.requestAccess.id, domain: "r14-mine.com", status: "APPROVED", message: "one" },
        ],
      });
      // and by node(id:)
      const node = await server.gql(`query($id: ID!) { node(id: $id) { ... on AccessRequest { status } } }`, { id: two.data.requestAccess.id }, me);
      expect(node.data.node).toEqual({ status: "PENDING" });
    });
  });

  describe("R29 events of role mutations", () => {
    it("R29 grantRole writes exactly one event, also when the assignment already exists", async () => {
      const { admin, accountId } = await account("r29-grant.com");
      const input = { smartAccountId: accountId, email: "u@r29-grant.com", role: Role.SMART_ACCOUNT_USER };
      for (let i = 0; i < 2; i++) {
        const before = await eventCount(server);
        expect((await server.gql(GRANT, { input }, admin)).errors).toBeUndefined();
        expect(await eventCount(server)).toBe(before + 1);
        expect(await lastEventType(server)).toBe("ROLE_GRANTED");
      }
    });

    it("R29 requestAccess writes exactly one event; a failed one writes none", async () => {
      await account("r29-access.com");
      const before = await eventCount(server);
      expect((await server.gql(REQUEST_ACCESS, { input: { domain: "r29-access.com" } }, "g@r29-guest.com")).errors).toBeUndefined();
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("ACCESS_REQUESTED");
      const snap = await snapshot(server);
      expect(codeOf(await server.gql(REQUEST_ACCESS, { input: { domain: "r29-access.com" } }, "g@r29-guest.com"))).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(snap);
    });

    it("R29 a refused grant or revoke writes no event and changes nothing", async () => {
      const { built, admin, accountId } = await account("r29-refused.com");
      const user = await built.grant("user@r29-refused.com", Role.SMART_ACCOUNT_USER);
      await touch("user@r29-refused.com");
      const before = await snapshot(server);
      const failures = [
        await server.gql(GRANT, { input: { smartAccountId: accountId, email: "not an email", role: Role.SMART_ACCOUNT_USER } }, admin),
        await server.gql(GRANT, { input: { smartAccountId: accountId, email: "brand-new@r29-refused.com", role: Role.VIRTUAL_ACCOUNT_USER } }, admin),
        await server.gql(
          GRANT,
          { input: { smartAccountId: accountId, email: "brand-new@r29-refused.com", role: Role.SMART_ACCOUNT_USER } },
          "user@r29-refused.com",
        ),
        await server.gql(REVOKE, { id: gid("RoleAssignment", user.id) }, "user@r29-refused.com"),
        await server.gql(REVOKE, { id: gid("RoleAssignment", 999999) }, admin),
      ];
      expect(failures.map(codeOf)).toEqual(["BAD_USER_INPUT", "BAD_USER_INPUT", "FORBIDDEN", "FORBIDDEN", "NOT_FOUND"]);
      expect(await snapshot(server)).toEqual(before);
      expect(await countRows(server, "users", "email = ?", ["brand-new@r29-refused.com"])).toBe(0);
    });
  });
});
