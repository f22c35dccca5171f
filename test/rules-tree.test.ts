import { RegistrationToken, Role, SmartAccountType, VirtualAccount } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { codeOf, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, lastEventType, snapshot } from "./support/db-counts";
import { AccountOptions, accounts } from "./support/fixtures";
import { gid } from "./support/ids";

/** Rule R12 (the Virtual Account tree) and R29 for its mutations. */

const CREATE = `mutation($input: CreateVirtualAccountInput!) {
  createVirtualAccount(input: $input) { id name depth isDefault parent { id } }
}`;
const UPDATE = `mutation($input: UpdateVirtualAccountInput!) {
  updateVirtualAccount(input: $input) { id name description depth parent { id } }
}`;
const DELETE = `mutation($id: ID!) { deleteVirtualAccount(id: $id) }`;

const vaId = (va: VirtualAccount) => gid("VirtualAccount", va.id);

describe("rule R12: the Virtual Account tree", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const signedIn = accounts(() => server);
  /** A fresh account (ACTIVE unless told) with its admin, signed in so that their user row exists before any snapshot. */
  const account = (domain: string, options: AccountOptions = {}) => signedIn(domain, { ...options, signIn: true });

  /** Every VA of the account as the admin sees it: name → { depth, parentName }. */
  async function tree(domain: string, admin: string): Promise<Record<string, { depth: number; parent: string | null }>> {
    const result = await server.gql(
      `query($domain: String!) { smartAccount(domain: $domain) { allVirtualAccounts(first: 500) { nodes { name depth parent { name } } } } }`,
      { domain },
      admin,
    );
    expect(result.errors).toBeUndefined();
    const out: Record<string, { depth: number; parent: string | null }> = {};
    for (const node of result.data.smartAccount.allVirtualAccounts.nodes) out[node.name] = { depth: node.depth, parent: node.parent?.name ?? null };
    return out;
  }

  const chainNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

  it("R12 names are unique among siblings, case-insensitively → CONFLICT", async () => {
    const { built, admin, accountId } = await account("r12-unique.com");
    const [us] = await built.chain("US", "Finance");
    const before = await snapshot(server);
    for (const input of [
      { smartAccountId: accountId, name: "us" },
      { smartAccountId: accountId, name: "DEFAULT" },
      { smartAccountId: accountId, parentId: vaId(us), name: "FINANCE" },
      { smartAccountId: accountId, parentId: vaId(us), name: " finance " },
    ]) {
      const result = await server.gql(CREATE, { input }, admin);
      expect({ name: input.name, code: codeOf(result) }).toEqual({ name: input.name, code: "CONFLICT" });
    }
    expect(await snapshot(server)).toEqual(before);
  });

  it("R12 renaming or moving onto a sibling's name (any case) → CONFLICT", async () => {
    const { built, admin } = await account("r12-rename.com");
    const emea = await built.virtualAccount("EMEA");
    const apac = await built.virtualAccount("APAC");
    const [us, nestedApac] = await built.chain("US", "Apac");
    const before = await snapshot(server);
    expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(apac), name: "emea" } }, admin))).toBe("CONFLICT");
    // "Apac" under US moving to the top level, next to "APAC"
    expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(nestedApac), toTopLevel: true } }, admin))).toBe("CONFLICT");
    // "APAC" moving under US, next to "Apac"
    expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(apac), parentId: vaId(us) } }, admin))).toBe("CONFLICT");
    expect(await snapshot(server)).toEqual(before);
    // a case-only rename of itself is fine
    const self = await server.gql(UPDATE, { input: { id: vaId(emea), name: "Emea" } }, admin);
    expect(self.errors).toBeUndefined();
    expect(self.data.updateVirtualAccount.name).toBe("Emea");
  });

  it("R12 the same name is allowed under different parents", async () => {
    const { built, admin, accountId } = await account("r12-same.com");
    const us = await built.virtualAccount("US");
    const emea = await built.virtualAccount("EMEA");
    for (const parent of [us, emea]) {
      const result = await server.gql(CREATE, { input: { smartAccountId: accountId, parentId: vaId(parent), name: "Finance" } }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.createVirtualAccount.parent).toEqual({ id: vaId(parent) });
    }
    // and a top-level "Finance" too
    expect((await server.gql(CREATE, { input: { smartAccountId: accountId, name: "finance" } }, admin)).errors).toBeUndefined();
    // names are unique per account: another account may reuse them
    const other = await account("r12-same-other.com");
    expect((await server.gql(CREATE, { input: { smartAccountId: other.accountId, name: "US" } }, other.admin)).errors).toBeUndefined();
  });

  it("R12 depth is 1 at the top level and grows by one per level", async () => {
    const { admin, accountId } = await account("r12-depth.com");
    const top = await server.gql(CREATE, { input: { smartAccountId: accountId, name: "Top" } }, admin);
    expect(top.data.createVirtualAccount).toMatchObject({ name: "Top", depth: 1, isDefault: false, parent: null });
    const child = await server.gql(
      CREATE,
      { input: { smartAccountId: accountId, parentId: top.data.createVirtualAccount.id, name: "Child" } },
      admin,
    );
    expect(child.data.createVirtualAccount).toMatchObject({ depth: 2, parent: { id: top.data.createVirtualAccount.id } });
  });

  it("R12 creating a Virtual Account at depth 11 → BAD_USER_INPUT; depth 10 is allowed", async () => {
    const { built, admin, accountId } = await account("r12-deep.com");
    const chain = await built.chain(...chainNames("L", 9));
    const tenth = await server.gql(CREATE, { input: { smartAccountId: accountId, parentId: vaId(chain[8]), name: "L10" } }, admin);
    expect(tenth.errors).toBeUndefined();
    expect(tenth.data.createVirtualAccount.depth).toBe(10);
    const before = await snapshot(server);
    const eleventh = await server.gql(
      CREATE,
      { input: { smartAccountId: accountId, parentId: tenth.data.createVirtualAccount.id, name: "L11" } },
      admin,
    );
    expect(codeOf(eleventh)).toBe("BAD_USER_INPUT");
    expect(eleventh.errors![0].extensions.field).toBe("input.parentId");
    expect(await snapshot(server)).toEqual(before);
  });

  it("R12 moving a subtree so that any Virtual Account would be deeper than 10 → BAD_USER_INPUT", async () => {
    const { built, admin } = await account("r12-deepmove.com");
    const a = await built.chain(...chainNames("A", 7)); // A1..A7, depths 1..7
    const b = await built.chain("B1", "B2", "B3"); // a subtree three levels high
    // under A7: B1 at 8, B3 at 10 — allowed; under A8 B3 would be at 11
    const tooDeep = await built.virtualAccount("A8", a[6]);
    const nine = await built.virtualAccount("A9", tooDeep);
    const before = await snapshot(server);
    const refused = await server.gql(UPDATE, { input: { id: vaId(b[0]), parentId: vaId(tooDeep) } }, admin);
    expect(codeOf(refused)).toBe("BAD_USER_INPUT");
    expect(refused.errors![0].extensions.field).toBe("input.parentId");
    // moving only B2 (two levels high) under A9 is refused too: B3 would be at 11
    expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(b[1]), parentId: vaId(nine) } }, admin))).toBe("BAD_USER_INPUT");
    expect(await snapshot(server)).toEqual(before);
    expect((await tree("r12-deepmove.com", admin)).B3).toEqual({ depth: 3, parent: "B2" });

    const moved = await server.gql(UPDATE, { input: { id: vaId(b[0]), parentId: vaId(a[6]) } }, admin);
    expect(moved.errors).toBeUndefined();
    const after = await tree("r12-deepmove.com", admin);
    expect(after.B3).toEqual({ depth: 10, parent: "B2" });
    // a leaf may go to depth 10 under A9
    const leaf = await server.gql(UPDATE, { input: { id: vaId(b[2]), parentId: vaId(nine) } }, admin);
    expect(leaf.errors).toBeUndefined();
    expect(leaf.data.updateVirtualAccount.depth).toBe(10);
  });

  it("R12 moving under itself or one of its descendants → BAD_USER_INPUT", async () => {
    const { built, admin } = await account("r12-cycle.com");
    const [us, finance, tax] = await built.chain("US", "Finance", "Tax");
    const before = await snapshot(server);
    for (const target of [us, finance, tax]) {
      const result = await server.gql(UPDATE, { input: { id: vaId(us), parentId: vaId(target) } }, admin);
      expect({ target: target.name, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
        target: target.name,
        code: "BAD_USER_INPUT",
        field: "input.parentId",
      });
    }
    expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(finance), parentId: vaId(tax) } }, admin))).toBe("BAD_USER_INPUT");
    expect(await snapshot(server)).toEqual(before);
  });

  it("R12 a move updates the depth of the whole subtree and its parent", async () => {
    const { built, admin } = await account("r12-move.com");
    const [, americas] = await built.chain("World", "Americas");
    const [us, finance] = await built.chain("US", "Finance", "Tax");
    await built.virtualAccount("Austin", us);
    // a sibling whose path shares a textual prefix must not move along
    await built.virtualAccount("US-2");
    const moved = await server.gql(UPDATE, { input: { id: vaId(us), parentId: vaId(americas) } }, admin);
    expect(moved.errors).toBeUndefined();
    expect(moved.data.updateVirtualAccount).toMatchObject({ depth: 3, parent: { id: vaId(americas) } });
    expect(await tree("r12-move.com", admin)).toEqual({
      Default: { depth: 1, parent: null },
      World: { depth: 1, parent: null },
      Americas: { depth: 2, parent: "World" },
      US: { depth: 3, parent: "Americas" },
      Finance: { depth: 4, parent: "US" },
      Tax: { depth: 5, parent: "Finance" },
      Austin: { depth: 4, parent: "US" },
      "US-2": { depth: 1, parent: null },
    });
    const children = await server.gql(
      `query($id: ID!) { node(id: $id) { ... on VirtualAccount { children { nodes { name } } } } }`,
      { id: vaId(americas) },
      admin,
    );
    expect(children.data.node.children.nodes).toEqual([{ name: "US" }]);
    // the moved subtree still lists in tree order: each parent before its children
    const order = await server.gql(`{ smartAccount(domain: "r12-move.com") { allVirtualAccounts { nodes { name parent { name } } } } }`, {}, admin);
    const names = order.data.smartAccount.allVirtualAccounts.nodes.map((node: { name: string }) => node.name);
    for (const node of order.data.smartAccount.allVirtualAccounts.nodes) {
      if (node.parent) expect(names.indexOf(node.parent.name)).toBeLessThan(names.indexOf(node.name));
    }
    // moving a middle node up a level
    const up = await server.gql(UPDATE, { input: { id: vaId(finance), parentId: vaId(americas) } }, admin);
    expect(up.errors).toBeUndefined();
    const after = await tree("r12-move.com", admin);
    expect(after.Finance).toEqual({ depth: 3, parent: "Americas" });
    expect(after.Tax).toEqual({ depth: 4, parent: "Finance" });
    expect(after.Austin).toEqual({ depth: 4, parent: "US" });
  });

  it("R12 toTopLevel moves a Virtual Account and its subtree to the top level", async () => {
    const { built, admin } = await account("r12-top.com");
    const [, emea, france] = await built.chain("World", "EMEA", "France");
    await built.virtualAccount("Paris", france);
    const result = await server.gql(UPDATE, { input: { id: vaId(emea), toTopLevel: true } }, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data.updateVirtualAccount).toMatchObject({ depth: 1, parent: null });
    const after = await tree("r12-top.com", admin);
    expect(after).toMatchObject({
      World: { depth: 1, parent: null },
      EMEA: { depth: 1, parent: null },
      France: { depth: 2, parent: "EMEA" },
      Paris: { depth: 3, parent: "France" },
    });
    const tops = await server.gql(`{ smartAccount(domain: "r12-top.com") { virtualAccounts { nodes { name } } } }`, {}, admin);
    expect(tops.data.smartAccount.virtualAccounts.nodes.map((node: { name: string }) => node.name).sort()).toEqual(["Default", "EMEA", "World"]);
    // parentId and toTopLevel together → BAD_USER_INPUT
    const both = await server.gql(UPDATE, { input: { id: vaId(france), parentId: vaId(emea), toTopLevel: true } }, admin);
    expect(codeOf(both)).toBe("BAD_USER_INPUT");
  });

  it("R12 a LIMITED_USE account has only its default Virtual Account → BAD_USER_INPUT on create", async () => {
    const { admin, accountId } = await account("r12-limited.com", { type: SmartAccountType.LIMITED_USE });
    const before = await snapshot(server);
    const result = await server.gql(CREATE, { input: { smartAccountId: accountId, name: "Extra" } }, admin);
    expect(codeOf(result)).toBe("BAD_USER_INPUT");
    expect(await snapshot(server)).toEqual(before);
  });

  it("R12 deleting a Virtual Account that has children → CONFLICT", async () => {
    const { built, admin } = await account("r12-del-parent.com");
    const [us] = await built.chain("US", "Finance");
    const before = await snapshot(server);
    const result = await server.gql(DELETE, { id: vaId(us) }, admin);
    expect(codeOf(result)).toBe("CONFLICT");
    expect(await snapshot(server)).toEqual(before);
  });

  it("R12 deleting an empty Virtual Account works and returns its id", async () => {
    const { built, admin } = await account("r12-del.com");
    const [, finance] = await built.chain("US", "Finance");
    const id = vaId(finance);
    const result = await server.gql(DELETE, { id }, admin);
    expect(result.errors).toBeUndefined();
    expect(result.data.deleteVirtualAccount).toBe(id);
    expect((await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, admin)).data.node).toBeNull();
    expect(await tree("r12-del.com", admin)).toEqual({ Default: { depth: 1, parent: null }, US: { depth: 1, parent: null } });
    // now childless, the parent can go too; deleting again → NOT_FOUND
    expect(codeOf(await server.gql(DELETE, { id }, admin))).toBe("NOT_FOUND");
  });

  it("R12 a deleted Virtual Account's registration tokens and role assignments go with it", async () => {
    const { built, admin } = await account("r12-del-tokens.com");
    const [emea] = await built.chain("EMEA");
    const keep = await built.virtualAccount("Keep");
    const token = async (va: VirtualAccount, hash: string) =>
      server.build.manager.save(
        server.build.manager.create(RegistrationToken, {
          smartAccountId: built.id,
          virtualAccountId: va.id,
          description: null,
          secretHash: hash.padEnd(64, "0"),
          createdAt: server.clock.now(),
          expiresAt: new Date(server.clock.now().getTime() + 86_400_000),
          maxUses: null,
          uses: 0,
          exportControlled: false,
          revokedAt: null,
          createdById: null,
        }),
      );
    await token(emea, "aa12");
    await token(keep, "bb12");
    await built.grant("va-user@r12-del-tokens.com", Role.VIRTUAL_ACCOUNT_USER, emea);
    await built.grant("va-admin@r12-del-tokens.com", Role.VIRTUAL_ACCOUNT_ADMIN, keep);
    const result = await server.gql(DELETE, { id: vaId(emea) }, admin);
    expect(result.errors).toBeUndefined();
    expect(await countRows(server, "registration_tokens", "virtual_account_id = ?", [emea.id])).toBe(0);
    expect(await countRows(server, "role_assignments", "virtual_account_id = ?", [emea.id])).toBe(0);
    expect(await countRows(server, "registration_tokens", "virtual_account_id = ?", [keep.id])).toBe(1);
    expect(await countRows(server, "role_assignments", "virtual_account_id = ?", [keep.id])).toBe(1);
    const mine = await server.gql(`{ viewer { smartAccounts { totalCount } } }`, {}, "va-user@r12-del-tokens.com");
    expect(mine.data.viewer.smartAccounts.totalCount).toBe(0);
  });

  it("R12 only SMART_ACCOUNT_ADMINs restructure the tree", async () => {
    const { built, accountId } = await account("r12-who.com");
    const us = await built.virtualAccount("US");
    await built.grant("user@r12-who.com", Role.SMART_ACCOUNT_USER);
    await built.grant("va-admin@r12-who.com", Role.VIRTUAL_ACCOUNT_ADMIN, us);
    for (const who of ["user@r12-who.com", "va-admin@r12-who.com"]) await server.gql("{ viewer { user { id } } }", {}, who);
    const before = await snapshot(server);
    for (const who of ["user@r12-who.com", "va-admin@r12-who.com"]) {
      expect(codeOf(await server.gql(CREATE, { input: { smartAccountId: accountId, parentId: vaId(us), name: "X" } }, who))).toBe("FORBIDDEN");
      expect(codeOf(await server.gql(UPDATE, { input: { id: vaId(us), name: "Y" } }, who))).toBe("FORBIDDEN");
      expect(codeOf(await server.gql(DELETE, { id: vaId(us) }, who))).toBe("FORBIDDEN");
    }
    expect(await snapshot(server)).toEqual(before);
  });

  describe("R29 events of tree mutations", () => {
    let built: AccountBuilder;
    let admin: string;
    let accountId: string;
    beforeAll(async () => {
      ({ built, admin, accountId } = await account("r29-tree.com"));
    });

    it("R29 createVirtualAccount writes exactly one event, naming the Virtual Account", async () => {
      const before = await eventCount(server);
      const result = await server.gql(CREATE, { input: { smartAccountId: accountId, name: "Evented" } }, admin);
      expect(result.errors).toBeUndefined();
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("VIRTUAL_ACCOUNT_CREATED");
      const events = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on VirtualAccount { events { nodes { type actor { email } virtualAccount { id } } } } } }`,
        { id: result.data.createVirtualAccount.id },
        admin,
      );
      expect(events.data.node.events.nodes).toEqual([
        { type: "VIRTUAL_ACCOUNT_CREATED", actor: { email: admin }, virtualAccount: { id: result.data.createVirtualAccount.id } },
      ]);
    });

    it("R29 updateVirtualAccount (rename, describe, move) writes exactly one event each", async () => {
      const va = await built.virtualAccount("Mover");
      const target = await built.virtualAccount("Target");
      const steps: [Record<string, unknown>, string][] = [
        [{ name: "Mover 2" }, "VIRTUAL_ACCOUNT_UPDATED"],
        [{ description: "described" }, "VIRTUAL_ACCOUNT_UPDATED"],
        [{ parentId: vaId(target) }, "VIRTUAL_ACCOUNT_MOVED"],
        [{ toTopLevel: true, name: "Mover 3" }, "VIRTUAL_ACCOUNT_MOVED"],
      ];
      for (const [change, type] of steps) {
        const before = await eventCount(server);
        const result = await server.gql(UPDATE, { input: { id: vaId(va), ...change } }, admin);
        expect(result.errors).toBeUndefined();
        expect(await eventCount(server)).toBe(before + 1);
        expect(await lastEventType(server)).toBe(type);
      }
      expect(await tree("r29-tree.com", admin)).toMatchObject({ "Mover 3": { depth: 1, parent: null } });
    });

    it("R29 deleteVirtualAccount writes exactly one event", async () => {
      const va = await built.virtualAccount("Doomed");
      const before = await eventCount(server);
      expect((await server.gql(DELETE, { id: vaId(va) }, admin)).errors).toBeUndefined();
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("VIRTUAL_ACCOUNT_DELETED");
    });

    it("R29 a failed tree mutation writes no event and changes nothing", async () => {
      const [p] = await built.chain("Parent29", "Child29");
      const other = await built.virtualAccount("Other29");
      const before = await snapshot(server);
      const failures = [
        await server.gql(CREATE, { input: { smartAccountId: accountId, name: "other29" } }, admin),
        await server.gql(UPDATE, { input: { id: vaId(other), name: "Parent29" } }, admin),
        await server.gql(UPDATE, { input: { id: vaId(p), parentId: vaId(p) } }, admin),
        await server.gql(UPDATE, { input: { id: vaId(p) } }, admin),
        await server.gql(DELETE, { id: vaId(p) }, admin),
        await server.gql(DELETE, { id: vaId(built.defaultVirtualAccount) }, admin),
      ];
      for (const failure of failures) expect(failure.errors).toHaveLength(1);
      expect(await snapshot(server)).toEqual(before);
    });
  });
});
