/**
 * SPEC §5, the role table, cell by cell for the rows of accounts, the tree, roles, access requests and
 * events (R4, R9, R10, R12, R13, R14). Which cells exist and what each expects is read from the table in
 * test/support/section5.ts, through the registry in test/support/section5-cases.ts; this file only runs
 * the operations against the server and checks what the table says.
 *
 * Every row is tested for all seven roles. Virtual Account roles are held on "US"; "in scope" targets a
 * Virtual Account inside that subtree (US → Finance / Sales), "out of scope" one in the sibling subtree
 * (EMEA → Paris). Smart Account roles get the same cells (the answer must not depend on where in the tree
 * the target sits). Rows about the Smart Account itself (or a Smart Account role, an access request, a
 * prefixed account) have no tree target and are run once per role. Every row also has an outsider
 * (SMART_ACCOUNT_ADMIN of another account, no role in this one) and a request with no token (R1).
 *
 * Error semantics (R4): an object the viewer cannot see → NOT_FOUND on mutations, null on node() /
 * smartAccount(domain:); visible but not allowed → FORBIDDEN; a guarded field → null with FORBIDDEN at its
 * path while the rest of the response stands. A failed mutation changes nothing and writes no event (R3,
 * R29); a successful one writes exactly one.
 */
import { AccessRequest, AccessRequestStatus, Event, Role, RoleAssignment, SmartAccount, SmartAccountStatus, VirtualAccount } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { accountField, objectField, objectRead, Target, visibleItems } from "./support/section5";
import { section5Suite } from "./support/section5-cases";
import { SEVEN_ROLES, isSa, slug, roleTableKit, World, actorIn, addOutsider, grantEveryRole, expectFields } from "./support/role-table";

describe("§5 role table", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, count, eventCount, expectOutcome } = roleTableKit(() => server, "w");
  const section5 = section5Suite("role-table");

  const manager = () => server.build.manager;

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);
  const sa = (world: World) => gid("SmartAccount", world.account.id);
  const findVa = (id: number) => manager().findOneBy(VirtualAccount, { id });

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  // ---------------------------------------------------------------------------------------------------------
  // Read rows: one shared account, read only. Each fixture says where it lies (its target); what a cell
  // lists is what the table's cell reaches among them.
  // ---------------------------------------------------------------------------------------------------------
  describe("read rows", () => {
    let read: World;

    /** Default; US → Finance, US → Sales; EMEA → Paris, as seen from VA roles held on US. */
    const TREE_ITEMS: { name: string; parent: string | null; target: Target }[] = [
      { name: "Default", parent: null, target: "out of scope" },
      { name: "US", parent: null, target: "in scope" },
      { name: "Finance", parent: "US", target: "in scope" },
      { name: "Sales", parent: "US", target: "in scope" },
      { name: "EMEA", parent: null, target: "out of scope" },
      { name: "Paris", parent: "EMEA", target: "out of scope" },
    ];

    /** Every role assignment of the account: the seven roles' holders (VA roles on US), and one member each of Finance and Paris. */
    const ASSIGNMENTS: { email: string; at: string | null; target: Target }[] = [
      ...SEVEN_ROLES.map((role) => ({
        email: `${slug(role)}@read.test`,
        at: isSa(role) ? null : "US",
        target: (isSa(role) ? "account" : "in scope") as Target,
      })),
      { email: "finance-member@read.test", at: "Finance", target: "in scope" },
      { email: "paris-member@read.test", at: "Paris", target: "out of scope" },
    ];

    /** One event of the account itself and one each of Finance and Paris. */
    const EVENTS: { type: string; at: string | null; target: Target }[] = [
      { type: "ACCOUNT_EVENT", at: null, target: "account" },
      { type: "FINANCE_EVENT", at: "Finance", target: "in scope" },
      { type: "PARIS_EVENT", at: "Paris", target: "out of scope" },
    ];

    beforeAll(async () => {
      read = await makeWorld({ domain: "read.test" });
      await grantEveryRole(read);
      await read.account.grant("finance-member@read.test", Role.VIRTUAL_ACCOUNT_USER, read.finance);
      await read.account.grant("paris-member@read.test", Role.VIRTUAL_ACCOUNT_USER, read.paris);
      const now = server.clock.now();
      const event = (type: string, virtualAccountId: number | null) =>
        manager().save(
          manager().create(Event, { type, message: type, actorId: null, smartAccountId: read.account.id, virtualAccountId, createdAt: now }),
        );
      await event("ACCOUNT_EVENT", null);
      await event("FINANCE_EVENT", read.finance.id);
      await event("PARIS_EVENT", read.paris.id);
      const asker = await server.build.user("asker@elsewhere.test");
      await manager().save(
        manager().create(AccessRequest, {
          userId: asker.id,
          smartAccountId: read.account.id,
          status: AccessRequestStatus.PENDING,
          message: "let me in",
          createdAt: now,
          decidedAt: null,
          decidedById: null,
        }),
      );
    });

    const targetVa = (target: Target) => (target === "in scope" ? read.finance : read.paris);
    const sorted = (values: string[]) => [...values].sort();
    const names = (connection: { nodes: { name: string }[] }) => sorted(connection.nodes.map((n) => n.name));
    const emails = (connection: { nodes: { user: { email: string } }[] }) => sorted(connection.nodes.map((n) => n.user.email));
    const types = (connection: { nodes: { type: string }[] }) => sorted(connection.nodes.map((n) => n.type));
    const account = { read: (smartAccount: { name: string }) => smartAccount.name, expected: "read.test" };

    // --- see the Virtual Account tree -------------------------------------------------------------------
    const TREE = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) {
        name
        virtualAccounts { nodes { name } }
        allVirtualAccounts { nodes { name } totalCount }
      }
      node(id: $id) { ... on VirtualAccount { name } }
    }`;

    section5.read("seeTree", async (cell) => {
      const target = targetVa(cell.target);
      const result = await server.gql(TREE, { domain: read.domain, id: va(target) }, actorIn(read, cell));
      const visible = visibleItems(cell.viewer, "tree", TREE_ITEMS);
      const visibleNames = visible.map((item) => item.name);
      // The top of a viewer's tree: the visible Virtual Accounts whose parent they do not see (VA roles: their root).
      const tops = visible.filter((item) => !item.parent || !visibleNames.includes(item.parent));
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(cell.viewer, "account", "account"), ...account },
        {
          path: ["smartAccount", "allVirtualAccounts"],
          outcome: accountField(cell.viewer, "tree"),
          read: (c) => [names(c), c.totalCount],
          expected: [sorted(visibleNames), visible.length],
        },
        {
          path: ["smartAccount", "virtualAccounts"],
          outcome: accountField(cell.viewer, "tree"),
          read: names,
          expected: sorted(tops.map((item) => item.name)),
        },
        { path: ["node"], outcome: objectRead(cell.viewer, "tree", cell.target), expected: { name: target.name } },
      ]);
    });

    // --- see role assignments ---------------------------------------------------------------------------
    const ROLES = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) {
        name
        roleAssignments { nodes { role user { email } virtualAccount { name } } }
      }
      node(id: $id) { ... on VirtualAccount { name roleAssignments { nodes { role user { email } } } } }
    }`;

    section5.read("seeRoles", async (cell) => {
      const target = targetVa(cell.target);
      const result = await server.gql(ROLES, { domain: read.domain, id: va(target) }, actorIn(read, cell));
      const listed = (connection: { nodes: { user: { email: string }; virtualAccount: { name: string } | null }[] }) =>
        sorted(connection.nodes.map((n) => `${n.user.email}@${n.virtualAccount?.name ?? "account"}`));
      const visible = visibleItems(cell.viewer, "seeRoles", ASSIGNMENTS);
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(cell.viewer, "account", "account"), ...account },
        {
          path: ["smartAccount", "roleAssignments"],
          outcome: accountField(cell.viewer, "seeRoles"),
          read: listed,
          expected: sorted(visible.map((a) => `${a.email}@${a.at ?? "account"}`)),
        },
        { path: ["node"], outcome: objectRead(cell.viewer, "tree", cell.target), read: (node) => node.name, expected: target.name },
        {
          path: ["node", "roleAssignments"],
          outcome: objectField(cell.viewer, "seeRoles", "tree", cell.target),
          read: emails,
          expected: sorted(ASSIGNMENTS.filter((a) => a.at === target.name).map((a) => a.email)),
        },
      ]);
    });

    // --- see access requests ----------------------------------------------------------------------------
    const REQUESTS = `query($domain: String!) {
      smartAccount(domain: $domain) { name accessRequests { nodes { status message user { email } } } }
    }`;

    section5.read("seeAccessRequests", async (cell) => {
      const result = await server.gql(REQUESTS, { domain: read.domain }, actorIn(read, cell));
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(cell.viewer, "account", "account"), ...account },
        {
          path: ["smartAccount", "accessRequests"],
          outcome: accountField(cell.viewer, "accessRequests"),
          read: (c) => c.nodes,
          expected: [{ status: "PENDING", message: "let me in", user: { email: "asker@elsewhere.test" } }],
        },
      ]);
    });

    // --- see events -------------------------------------------------------------------------------------
    const EVENTS_QUERY = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) { name events { nodes { type } } }
      node(id: $id) { ... on VirtualAccount { name events { nodes { type } } } }
    }`;

    section5.read("seeEvents", async (cell) => {
      const target = targetVa(cell.target);
      const result = await server.gql(EVENTS_QUERY, { domain: read.domain, id: va(target) }, actorIn(read, cell));
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(cell.viewer, "account", "account"), ...account },
        {
          path: ["smartAccount", "events"],
          outcome: accountField(cell.viewer, "events"),
          read: types,
          expected: sorted(visibleItems(cell.viewer, "events", EVENTS).map((e) => e.type)),
        },
        { path: ["node"], outcome: objectRead(cell.viewer, "tree", cell.target), read: (node) => node.name, expected: target.name },
        {
          path: ["node", "events"],
          outcome: objectField(cell.viewer, "events", "tree", cell.target),
          read: types,
          expected: sorted(EVENTS.filter((e) => e.at === target.name).map((e) => e.type)),
        },
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Mutation rows: a fresh account per test.
  // ---------------------------------------------------------------------------------------------------------
  describe("update the Smart Account (name)", () => {
    section5.mutation("updateAccount", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const result = await server.gql(
        `mutation($id: ID!) { updateSmartAccount(input: { smartAccountId: $id, name: "Renamed" }) { name } }`,
        { id: sa(world) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const stored = await manager().findOneByOrFail(SmartAccount, { id: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.updateSmartAccount.name).toBe("Renamed");
        expect(stored.name).toBe("Renamed");
      } else {
        expect(stored.name).toBe(world.domain);
      }
    });
  });

  describe("activate it (R10)", () => {
    section5.mutation("activate", async (cell) => {
      const { world, actor } = await freshWorld(cell, { status: SmartAccountStatus.PENDING });
      const result = await server.gql(`mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { status } }`, { id: sa(world) }, actor);
      await expectOutcome(result, cell.expected, world.account.id);
      const stored = await manager().findOneByOrFail(SmartAccount, { id: world.account.id });
      const admins = await manager().countBy(RoleAssignment, { smartAccountId: world.account.id, role: Role.SMART_ACCOUNT_ADMIN });
      if (cell.expected === "allowed") {
        expect(result.data.activateSmartAccount.status).toBe("ACTIVE");
        expect(stored.status).toBe(SmartAccountStatus.ACTIVE);
        expect(admins).toBe(1); // R10: the approver also becomes SMART_ACCOUNT_ADMIN
      } else {
        expect(stored.status).toBe(SmartAccountStatus.PENDING);
        expect(stored.activatedAt).toBeNull();
        expect(admins).toBe(cell.role === Role.SMART_ACCOUNT_ADMIN ? 1 : 0);
      }
    });
  });

  // create / update / move / delete Virtual Accounts name a Virtual Account, visible by "see the Virtual
  // Account tree": a VA role out of its scope cannot see it (NOT_FOUND, R4); in scope it can (FORBIDDEN).

  describe("create / update / move / delete Virtual Accounts (R12)", () => {
    section5.mutation("createVa", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const parent = cell.inScope ? world.finance : world.paris;
      const before = await manager().countBy(VirtualAccount, { smartAccountId: world.account.id });
      const result = await server.gql(
        `mutation($sa: ID!, $parent: ID!) {
          createVirtualAccount(input: { smartAccountId: $sa, parentId: $parent, name: "New" }) { name parent { name } }
        }`,
        { sa: sa(world), parent: va(parent) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const after = await manager().countBy(VirtualAccount, { smartAccountId: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.createVirtualAccount).toEqual({ name: "New", parent: { name: parent.name } });
        expect(after).toBe(before + 1);
      } else {
        expect(after).toBe(before);
      }
    });

    section5.mutation("renameVa", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const result = await server.gql(
        `mutation($id: ID!) { updateVirtualAccount(input: { id: $id, name: "Renamed" }) { name } }`,
        { id: va(target) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      expect((await findVa(target.id))?.name).toBe(cell.expected === "allowed" ? "Renamed" : target.name);
    });

    section5.mutation("moveVa", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      // In scope: Finance under its sibling Sales (both under US). Out of scope: Paris to the top level.
      const target = cell.inScope ? world.finance : world.paris;
      const input = cell.inScope ? { id: va(world.finance), parentId: va(world.sales) } : { id: va(world.paris), toTopLevel: true };
      const result = await server.gql(
        `mutation($input: UpdateVirtualAccountInput!) { updateVirtualAccount(input: $input) { name depth } }`,
        { input },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const stored = await findVa(target.id);
      if (cell.expected === "allowed") {
        expect(stored?.parentId).toBe(cell.inScope ? world.sales.id : null);
        expect(stored?.depth).toBe(cell.inScope ? 3 : 1);
      } else {
        expect(stored?.parentId).toBe(target.parentId);
        expect(stored?.path).toBe(target.path);
        expect(stored?.depth).toBe(2);
      }
    });

    section5.mutation("deleteVa", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const result = await server.gql(`mutation($id: ID!) { deleteVirtualAccount(id: $id) }`, { id: va(target) }, actor);
      await expectOutcome(result, cell.expected, world.account.id);
      if (cell.expected === "allowed") {
        expect(result.data.deleteVirtualAccount).toBe(va(target));
        expect(await findVa(target.id)).toBeNull();
      } else {
        expect(await findVa(target.id)).not.toBeNull();
      }
    });
  });

  describe("grant / revoke Smart Account roles (R13)", () => {
    section5.mutation("grantSaRole", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const result = await server.gql(
        `mutation($sa: ID!, $email: String!) {
          grantRole(input: { smartAccountId: $sa, email: $email, role: SMART_ACCOUNT_USER }) { role user { email } }
        }`,
        { sa: sa(world), email: `newcomer@${world.domain}` },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const granted = await count(
        "SELECT COUNT(*) AS n FROM role_assignments ra JOIN users u ON u.id = ra.user_id WHERE ra.smart_account_id = ? AND u.email = ?",
        [world.account.id, `newcomer@${world.domain}`],
      );
      if (cell.expected === "allowed") {
        expect(result.data.grantRole).toEqual({ role: "SMART_ACCOUNT_USER", user: { email: `newcomer@${world.domain}` } });
        expect(granted).toBe(1);
      } else {
        expect(granted).toBe(0);
      }
    });

    // A role assignment is visible by "see role assignments": who cannot see it (and a VA admin, for a Smart
    // Account role, which is no VA role in scope) gets NOT_FOUND (R4); the approver sees it: FORBIDDEN.

    section5.mutation("revokeSaRole", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const assignment = await world.account.grant(`holder@${world.domain}`, Role.SMART_ACCOUNT_USER);
      const id = gid("RoleAssignment", assignment.id);
      const result = await server.gql(`mutation($id: ID!) { revokeRole(id: $id) }`, { id }, actor);
      await expectOutcome(result, cell.expected, world.account.id);
      const still = await manager().findOneBy(RoleAssignment, { id: assignment.id });
      if (cell.expected === "allowed") {
        expect(result.data.revokeRole).toBe(id);
        expect(still).toBeNull();
      } else {
        expect(still).not.toBeNull();
      }
    });
  });

  describe("grant / revoke Virtual Account roles (R13)", () => {
    // Granting names a Virtual Account: out of scope a VA role cannot see it, NOT_FOUND (R4).

    section5.mutation("grantVaRole", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const email = `newcomer@${world.domain}`;
      const result = await server.gql(
        `mutation($sa: ID!, $va: ID!, $email: String!) {
          grantRole(input: { smartAccountId: $sa, email: $email, role: VIRTUAL_ACCOUNT_USER, virtualAccountId: $va }) {
            role virtualAccount { name }
          }
        }`,
        { sa: sa(world), va: va(target), email },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const granted = await count(
        "SELECT COUNT(*) AS n FROM role_assignments ra JOIN users u ON u.id = ra.user_id WHERE ra.virtual_account_id = ? AND u.email = ?",
        [target.id, email],
      );
      if (cell.expected === "allowed") {
        expect(result.data.grantRole).toEqual({ role: "VIRTUAL_ACCOUNT_USER", virtualAccount: { name: target.name } });
        expect(granted).toBe(1);
      } else {
        expect(granted).toBe(0);
      }
    });

    // Revoking names the assignment: who cannot see it (no "see role assignments" over it) gets NOT_FOUND
    // (R4); the approver sees every assignment but may not revoke: FORBIDDEN.

    section5.mutation("revokeVaRole", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const assignment = await world.account.grant(`holder@${world.domain}`, Role.VIRTUAL_ACCOUNT_USER, target);
      const id = gid("RoleAssignment", assignment.id);
      const result = await server.gql(`mutation($id: ID!) { revokeRole(id: $id) }`, { id }, actor);
      await expectOutcome(result, cell.expected, world.account.id);
      const still = await manager().findOneBy(RoleAssignment, { id: assignment.id });
      if (cell.expected === "allowed") expect(still).toBeNull();
      else expect(still).not.toBeNull();
    });
  });

  describe("decide access requests (R14)", () => {
    // Only the requester and the account's admins can see a request ("see and decide access requests", R4):
    // everyone else gets NOT_FOUND.

    section5.mutation("decideAccessRequest", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const asker = await server.build.user(`asker@${world.domain}.elsewhere`);
      const request = await manager().save(
        manager().create(AccessRequest, {
          userId: asker.id,
          smartAccountId: world.account.id,
          status: AccessRequestStatus.PENDING,
          message: null,
          createdAt: server.clock.now(),
          decidedAt: null,
          decidedById: null,
        }),
      );
      const result = await server.gql(
        `mutation($id: ID!) { decideAccessRequest(input: { id: $id, approve: true, role: SMART_ACCOUNT_VIEWER }) { status } }`,
        { id: gid("AccessRequest", request.id) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id);
      const stored = await manager().findOneByOrFail(AccessRequest, { id: request.id });
      const granted = await manager().countBy(RoleAssignment, { smartAccountId: world.account.id, userId: asker.id });
      if (cell.expected === "allowed") {
        expect(result.data.decideAccessRequest.status).toBe("APPROVED");
        expect(stored.status).toBe(AccessRequestStatus.APPROVED);
        expect(granted).toBe(1);
      } else {
        expect(stored.status).toBe(AccessRequestStatus.PENDING);
        expect(stored.decidedAt).toBeNull();
        expect(granted).toBe(0);
      }
    });
  });

  it("§5 decide access requests (R14): the requester on their own request (visible to them, not allowed) → FORBIDDEN", async () => {
    const world = await makeWorld();
    const asker = await server.build.user(`asker@${world.domain}.elsewhere`);
    const request = await manager().save(
      manager().create(AccessRequest, {
        userId: asker.id,
        smartAccountId: world.account.id,
        status: AccessRequestStatus.PENDING,
        message: null,
        createdAt: server.clock.now(),
        decidedAt: null,
        decidedById: null,
      }),
    );
    const result = await server.gql(
      `mutation($id: ID!) { decideAccessRequest(input: { id: $id, approve: true, role: SMART_ACCOUNT_ADMIN }) { status } }`,
      { id: gid("AccessRequest", request.id) },
      asker.email,
    );
    await expectOutcome(result, "FORBIDDEN", world.account.id);
    expect((await manager().findOneByOrFail(AccessRequest, { id: request.id })).status).toBe(AccessRequestStatus.PENDING);
    expect(await manager().countBy(RoleAssignment, { smartAccountId: world.account.id, userId: asker.id })).toBe(0);
  });

  describe("approve a prefixed domain (R9)", () => {
    // The roles are held in the PARENT domain's account. The prefixed account is visible only to the
    // parent's SMART_ACCOUNT_ADMINs (R9; and to its own members): anyone else gets NOT_FOUND (R4).
    const APPROVE = `mutation($id: ID!) { approveDomainPrefix(smartAccountId: $id) { domain awaitingDomainApproval } }`;

    async function prefixed(parent: World) {
      const child = await server.build.account(`eu.${parent.domain}`, {
        status: SmartAccountStatus.PENDING,
        awaitingDomainApproval: true,
        domainParentId: parent.account.id,
      });
      return child;
    }

    section5.mutation("approvePrefix", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const child = await prefixed(world);
      const result = await server.gql(APPROVE, { id: gid("SmartAccount", child.id) }, actor);
      await expectOutcome(result, cell.expected, child.id);
      const stored = await manager().findOneByOrFail(SmartAccount, { id: child.id });
      if (cell.expected === "allowed") {
        expect(result.data.approveDomainPrefix).toEqual({ domain: `eu.${world.domain}`, awaitingDomainApproval: false });
        expect(stored.awaitingDomainApproval).toBe(false);
      } else {
        expect(stored.awaitingDomainApproval).toBe(true);
      }
      expect(await eventCount(world.account.id)).toBe(0);
    });

    it.each([Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN])(
      "§5 approve a prefixed domain (R9): %s of the prefixed account itself (not of the parent) → FORBIDDEN",
      async (role) => {
        const world = await makeWorld();
        const child = await prefixed(world);
        const email = `own@eu.${world.domain}`;
        await child.grant(email, role);
        const result = await server.gql(APPROVE, { id: gid("SmartAccount", child.id) }, email);
        await expectOutcome(result, "FORBIDDEN", child.id);
        expect((await manager().findOneByOrFail(SmartAccount, { id: child.id })).awaitingDomainApproval).toBe(true);
      },
    );
  });

  section5.complete();
});
