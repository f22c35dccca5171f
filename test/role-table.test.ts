/**
 * SPEC §5, the role table, cell by cell for the rows that exist in this slice (R4, R9, R10, R12, R13, R14).
 *
 * Every row is tested for all seven roles. Virtual Account roles are held on "US"; "in scope" targets a
 * Virtual Account inside that subtree (US → Finance / Sales), "out of scope" one in the sibling subtree
 * (EMEA → Paris). Smart Account roles cover both (the same cells are run for them: the answer must not
 * depend on where in the tree the target sits). Rows about the Smart Account itself have no tree target
 * and are run once per role. Every row also has an outsider (SMART_ACCOUNT_ADMIN of another account, no
 * role in this one) and a request with no token (R1).
 *
 * Error semantics (R4): an object the viewer cannot see → NOT_FOUND on mutations, null on node() /
 * smartAccount(domain:); visible but not allowed → FORBIDDEN; a guarded field → null with FORBIDDEN at its
 * path while the rest of the response stands. A failed mutation changes nothing and writes no event (R3,
 * R29); a successful one writes exactly one.
 */
import {
  AccessRequest,
  AccessRequestStatus,
  Event,
  Role,
  RoleAssignment,
  SmartAccount,
  SmartAccountStatus,
  VirtualAccount,
} from "../entities";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { VA_ROLES, SEVEN_ROLES, isSa, Cell, cellsOf, Outcome, slug, roleTableKit, World, actorIn, addOutsider, grantEveryRole } from "./support/role-table";

describe("§5 role table", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, count, eventCount, expectOutcome } = roleTableKit(() => server, "w");

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
  // Read rows: one shared account, read only.
  // ---------------------------------------------------------------------------------------------------------
  describe("read rows", () => {
    let read: World;
    const actorOf = (cell: Cell<unknown>) => actorIn(read, cell);

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

    const expectUnauthenticated = (result: GqlResult) => {
      expect(result.errors?.length).toBeGreaterThan(0);
      expect(result.errors!.every((error) => error.extensions.code === "UNAUTHENTICATED")).toBe(true);
      expect(result.data?.smartAccount ?? null).toBeNull();
    };

    /** R4: the guarded field is null, with exactly one FORBIDDEN error at its path. */
    const expectForbiddenAt = (result: GqlResult, path: string[]) => {
      const errors = (result.errors ?? []).filter((error) => JSON.stringify(error.path) === JSON.stringify(path));
      expect(errors).toHaveLength(1);
      expect(errors[0].extensions.code).toBe("FORBIDDEN");
      let value: any = result.data;
      for (const key of path) value = value?.[key];
      expect(value).toBeNull();
    };

    // --- see the Virtual Account tree -------------------------------------------------------------------
    type TreeExpect = "all" | "scope" | "nothing (R4)" | "UNAUTHENTICATED";
    const TREE = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) {
        name
        virtualAccounts { nodes { name } }
        allVirtualAccounts { nodes { name } totalCount }
      }
      node(id: $id) { ... on VirtualAccount { name } }
    }`;

    it.each(
      cellsOf<TreeExpect>("§5 see the Virtual Account tree", {
        scoped: true,
        expected: (role) => (isSa(role) ? "all" : "scope"),
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const target = cell.inScope ? read.finance : read.paris;
      const result = await server.gql(TREE, { domain: read.domain, id: va(target) }, actorOf(cell));
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      expect(result.errors).toBeUndefined();
      const { smartAccount, node } = result.data;
      if (cell.expected === "nothing (R4)") {
        expect(smartAccount).toBeNull();
        expect(node).toBeNull();
        return;
      }
      const names = (connection: { nodes: { name: string }[] }) => connection.nodes.map((n) => n.name).sort();
      expect(smartAccount.name).toBe("read.test");
      if (cell.expected === "all") {
        expect(names(smartAccount.allVirtualAccounts)).toEqual(["Default", "EMEA", "Finance", "Paris", "Sales", "US"]);
        expect(names(smartAccount.virtualAccounts)).toEqual(["Default", "EMEA", "US"]);
        expect(node).toEqual({ name: target.name });
      } else {
        // VA roles: the assigned subtree only; its root is the top of their tree.
        expect(names(smartAccount.allVirtualAccounts)).toEqual(["Finance", "Sales", "US"]);
        expect(smartAccount.allVirtualAccounts.totalCount).toBe(3);
        expect(names(smartAccount.virtualAccounts)).toEqual(["US"]);
        expect(node).toEqual(cell.inScope ? { name: "Finance" } : null);
      }
    });

    // --- see role assignments ---------------------------------------------------------------------------
    type RolesExpect = "all" | "VA roles in scope" | "FORBIDDEN at the field (R4)" | "nothing (R4)" | "UNAUTHENTICATED";
    const ROLES = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) {
        name
        roleAssignments { nodes { role user { email } virtualAccount { name } } }
      }
      node(id: $id) { ... on VirtualAccount { name roleAssignments { nodes { role user { email } } } } }
    }`;

    it.each(
      cellsOf<RolesExpect>("§5 see role assignments", {
        scoped: true,
        expected: (role) =>
          role === Role.SMART_ACCOUNT_APPROVER || role === Role.SMART_ACCOUNT_ADMIN
            ? "all"
            : role === Role.VIRTUAL_ACCOUNT_ADMIN
              ? "VA roles in scope"
              : "FORBIDDEN at the field (R4)",
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const target = cell.inScope ? read.finance : read.paris;
      const member = cell.inScope ? "finance-member@read.test" : "paris-member@read.test";
      const result = await server.gql(ROLES, { domain: read.domain, id: va(target) }, actorOf(cell));
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      const { smartAccount, node } = result.data;
      const emails = (connection: { nodes: { user: { email: string } }[] }) => connection.nodes.map((n) => n.user.email);
      switch (cell.expected) {
        case "nothing (R4)":
          expect(result.errors).toBeUndefined();
          expect(smartAccount).toBeNull();
          expect(node).toBeNull();
          return;
        case "all": {
          expect(result.errors).toBeUndefined();
          const all = emails(smartAccount.roleAssignments);
          expect(all).toEqual(expect.arrayContaining([member, "smart-account-admin@read.test", "virtual-account-user@read.test"]));
          expect(all).toHaveLength(SEVEN_ROLES.length + 2);
          expect(emails(node.roleAssignments)).toEqual([member]);
          return;
        }
        case "VA roles in scope": {
          expect(result.errors).toBeUndefined();
          const seen = smartAccount.roleAssignments.nodes as { role: Role; user: { email: string }; virtualAccount: { name: string } | null }[];
          // Only Virtual Account roles, only on US and below: never the SA roles, never Paris.
          expect(seen.every((assignment) => !isSa(assignment.role) && assignment.virtualAccount !== null)).toBe(true);
          expect(seen.map((assignment) => assignment.user.email).sort()).toEqual(
            ["finance-member@read.test", ...VA_ROLES.map((role) => `${slug(role)}@read.test`)].sort(),
          );
          if (cell.inScope) expect(emails(node.roleAssignments)).toEqual([member]);
          else expect(node).toBeNull();
          return;
        }
        case "FORBIDDEN at the field (R4)":
          expect(smartAccount.name).toBe("read.test");
          expectForbiddenAt(result, ["smartAccount", "roleAssignments"]);
          if (isSa(cell.role as Role) || cell.inScope) {
            expect(node.name).toBe(target.name);
            expectForbiddenAt(result, ["node", "roleAssignments"]);
            expect(result.errors).toHaveLength(2);
          } else {
            expect(node).toBeNull();
            expect(result.errors).toHaveLength(1);
          }
      }
    });

    // --- see access requests ----------------------------------------------------------------------------
    type RequestsExpect = "all" | "FORBIDDEN at the field (R4)" | "nothing (R4)" | "UNAUTHENTICATED";
    const REQUESTS = `query($domain: String!) {
      smartAccount(domain: $domain) { name accessRequests { nodes { status message user { email } } } }
    }`;

    it.each(
      cellsOf<RequestsExpect>("§5 see access requests (R14)", {
        scoped: false,
        expected: (role) => (role === Role.SMART_ACCOUNT_ADMIN ? "all" : "FORBIDDEN at the field (R4)"),
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const result = await server.gql(REQUESTS, { domain: read.domain }, actorOf(cell));
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      if (cell.expected === "nothing (R4)") {
        expect(result.errors).toBeUndefined();
        expect(result.data.smartAccount).toBeNull();
      } else if (cell.expected === "all") {
        expect(result.errors).toBeUndefined();
        expect(result.data.smartAccount.accessRequests.nodes).toEqual([
          { status: "PENDING", message: "let me in", user: { email: "asker@elsewhere.test" } },
        ]);
      } else {
        expect(result.data.smartAccount.name).toBe("read.test");
        expectForbiddenAt(result, ["smartAccount", "accessRequests"]);
        expect(result.errors).toHaveLength(1);
      }
    });

    // --- see events -------------------------------------------------------------------------------------
    type EventsExpect = "all" | "in scope" | "FORBIDDEN at the field (R4)" | "nothing (R4)" | "UNAUTHENTICATED";
    const EVENTS = `query($domain: String!, $id: ID!) {
      smartAccount(domain: $domain) { name events { nodes { type } } }
      node(id: $id) { ... on VirtualAccount { name events { nodes { type } } } }
    }`;

    it.each(
      cellsOf<EventsExpect>("§5 see events (R29)", {
        scoped: true,
        expected: (role) =>
          role === Role.SMART_ACCOUNT_APPROVER || role === Role.SMART_ACCOUNT_ADMIN
            ? "all"
            : role === Role.VIRTUAL_ACCOUNT_ADMIN
              ? "in scope"
              : "FORBIDDEN at the field (R4)",
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const target = cell.inScope ? read.finance : read.paris;
      const ownEvent = cell.inScope ? "FINANCE_EVENT" : "PARIS_EVENT";
      const result = await server.gql(EVENTS, { domain: read.domain, id: va(target) }, actorOf(cell));
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      const { smartAccount, node } = result.data;
      const types = (connection: { nodes: { type: string }[] }) => connection.nodes.map((n) => n.type).sort();
      switch (cell.expected) {
        case "nothing (R4)":
          expect(result.errors).toBeUndefined();
          expect(smartAccount).toBeNull();
          expect(node).toBeNull();
          return;
        case "all":
          expect(result.errors).toBeUndefined();
          expect(types(smartAccount.events)).toEqual(["ACCOUNT_EVENT", "FINANCE_EVENT", "PARIS_EVENT"]);
          expect(types(node.events)).toEqual([ownEvent]);
          return;
        case "in scope":
          expect(result.errors).toBeUndefined();
          // Only events of Virtual Accounts in scope: not the account-level one, not Paris's.
          expect(types(smartAccount.events)).toEqual(["FINANCE_EVENT"]);
          if (cell.inScope) expect(types(node.events)).toEqual(["FINANCE_EVENT"]);
          else expect(node).toBeNull();
          return;
        case "FORBIDDEN at the field (R4)":
          expect(smartAccount.name).toBe("read.test");
          expectForbiddenAt(result, ["smartAccount", "events"]);
          if (isSa(cell.role as Role) || cell.inScope) {
            expect(node.name).toBe(target.name);
            expectForbiddenAt(result, ["node", "events"]);
            expect(result.errors).toHaveLength(2);
          } else {
            expect(node).toBeNull();
            expect(result.errors).toHaveLength(1);
          }
      }
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Mutation rows: a fresh account per test.
  // ---------------------------------------------------------------------------------------------------------
  const accountLevel = (allowed: Role[]) => (role: Role): Outcome => (allowed.includes(role) ? "allowed" : "FORBIDDEN");
  const mutationCells = (title: string, scoped: boolean, expected: (role: Role, inScope: boolean) => Outcome, outsider: Outcome = "NOT_FOUND") =>
    cellsOf<Outcome>(title, { scoped, expected, outsider, anonymous: "UNAUTHENTICATED" });

  describe("update the Smart Account (name)", () => {
    it.each(mutationCells("§5 update the Smart Account name", false, accountLevel([Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN])))(
      "$name",
      async (cell) => {
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
      },
    );
  });

  describe("activate it (R10)", () => {
    it.each(mutationCells("§5 activate the Smart Account (R10)", false, accountLevel([Role.SMART_ACCOUNT_APPROVER])))(
      "$name",
      async (cell) => {
        const { world, actor } = await freshWorld(cell, { status: SmartAccountStatus.PENDING });
        const result = await server.gql(
          `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { status } }`,
          { id: sa(world) },
          actor,
        );
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
      },
    );
  });

  // create / update / move / delete Virtual Accounts: SMART_ACCOUNT_ADMIN only. A VA role out of its scope
  // cannot see the target, so NOT_FOUND (R4); in scope it can, so FORBIDDEN.
  const treeWrite = (role: Role, inScope: boolean): Outcome =>
    role === Role.SMART_ACCOUNT_ADMIN ? "allowed" : isSa(role) || inScope ? "FORBIDDEN" : "NOT_FOUND";

  describe("create / update / move / delete Virtual Accounts (R12)", () => {
    it.each(mutationCells("§5 create Virtual Accounts (R12)", true, treeWrite))("$name", async (cell) => {
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

    it.each(mutationCells("§5 update (rename) Virtual Accounts (R12)", true, treeWrite))("$name", async (cell) => {
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

    it.each(mutationCells("§5 move Virtual Accounts (R12)", true, treeWrite))("$name", async (cell) => {
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

    it.each(mutationCells("§5 delete Virtual Accounts (R12)", true, treeWrite))("$name", async (cell) => {
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
    it.each(mutationCells("§5 grant Smart Account roles (R13)", false, accountLevel([Role.SMART_ACCOUNT_ADMIN])))("$name", async (cell) => {
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

    // Who cannot see role assignments (§5 "see role assignments", and a VA admin for SA roles) gets NOT_FOUND (R4);
    // the approver sees it but may not revoke it: FORBIDDEN.
    const revokeSaRole = (role: Role): Outcome =>
      role === Role.SMART_ACCOUNT_ADMIN ? "allowed" : role === Role.SMART_ACCOUNT_APPROVER ? "FORBIDDEN" : "NOT_FOUND";

    it.each(mutationCells("§5 revoke Smart Account roles (R13, R4)", false, revokeSaRole))("$name", async (cell) => {
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
    // SMART_ACCOUNT_ADMIN everywhere, VIRTUAL_ACCOUNT_ADMIN in scope. Out of scope a VA role cannot see the
    // Virtual Account: NOT_FOUND (R4).
    const grantVaRole = (role: Role, inScope: boolean): Outcome =>
      role === Role.SMART_ACCOUNT_ADMIN || (role === Role.VIRTUAL_ACCOUNT_ADMIN && inScope)
        ? "allowed"
        : isSa(role) || inScope
          ? "FORBIDDEN"
          : "NOT_FOUND";

    it.each(mutationCells("§5 grant Virtual Account roles (R13)", true, grantVaRole))("$name", async (cell) => {
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

    // Revoking: who cannot see the assignment (no "see role assignments" over it) gets NOT_FOUND (R4); the
    // approver sees every assignment but may not revoke: FORBIDDEN.
    const revokeVaRole = (role: Role, inScope: boolean): Outcome => {
      if (role === Role.SMART_ACCOUNT_ADMIN) return "allowed";
      if (role === Role.VIRTUAL_ACCOUNT_ADMIN) return inScope ? "allowed" : "NOT_FOUND";
      if (role === Role.SMART_ACCOUNT_APPROVER) return "FORBIDDEN";
      return "NOT_FOUND";
    };

    it.each(mutationCells("§5 revoke Virtual Account roles (R13, R4)", true, revokeVaRole))("$name", async (cell) => {
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
    // Only the requester and the account's admins can see a request (R4): everyone else gets NOT_FOUND.
    const decide = (role: Role): Outcome => (role === Role.SMART_ACCOUNT_ADMIN ? "allowed" : "NOT_FOUND");

    it.each(mutationCells("§5 decide access requests (R14, R4)", false, decide))("$name", async (cell) => {
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
    // parent's SMART_ACCOUNT_ADMINs (and its own members): anyone else gets NOT_FOUND (R4).
    const approve = (role: Role): Outcome => (role === Role.SMART_ACCOUNT_ADMIN ? "allowed" : "NOT_FOUND");
    const APPROVE = `mutation($id: ID!) { approveDomainPrefix(smartAccountId: $id) { domain awaitingDomainApproval } }`;

    async function prefixed(parent: World) {
      const child = await server.build.account(`eu.${parent.domain}`, {
        status: SmartAccountStatus.PENDING,
        awaitingDomainApproval: true,
        domainParentId: parent.account.id,
      });
      return child;
    }

    it.each(mutationCells("§5 approve a prefixed domain (R9), role held in the parent's account", false, approve))("$name", async (cell) => {
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
});
