/**
 * SPEC §5, the role table, cell by cell for the license and order rows (R4, R15, R18, R19, R20, R21),
 * including "place orders" (the orders:write scope only, no role) and "move licenses … out of the Smart
 * Account" (SA_ADMIN / SA_USER on the source only).
 *
 * Same layout as test/role-table.test.ts: every row is tested for all seven roles. Virtual Account roles are
 * held on "US"; "in scope" targets a Virtual Account inside that subtree (US → Finance / Sales), "out of
 * scope" one in the sibling subtree (EMEA → Paris). Smart Account roles get the same cells (the answer must
 * not depend on where in the tree the target sits). Rows without a tree target run once per role. Every
 * row also has an outsider (SMART_ACCOUNT_ADMIN of another account, no role in this one) and a request with
 * no token (R1).
 *
 * Error semantics (R4): an object the viewer cannot see → NOT_FOUND on mutations, null on node(); visible
 * but not allowed → FORBIDDEN; a guarded field → null with FORBIDDEN at its path while the rest of the
 * response stands. A license is an object only who may "see licenses" can see, so the approver (who may
 * not) gets NOT_FOUND for a mutation naming a license lot, exactly as a SMART_ACCOUNT_USER does for a role
 * assignment in role-table.test.ts. A failed mutation changes nothing and writes no event (R3, R29); a
 * successful one writes exactly one.
 */
import { License, LicenseKind, LicenseTag, Order, OrderStatus, Role, SmartAccountType, VirtualAccount } from "../entities";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { isSa, Cell, cellsOf, Outcome, slug, roleTableKit, World, actorIn, addOutsider, grantEveryRole } from "./support/role-table";

const TERM_SKU = "C9300-DNA-A-3Y"; // TERM, smart-enabled
const PERPETUAL_SKU = "C9300-NW-A"; // PERPETUAL, smart-enabled

describe("§5 role table: licenses and orders", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, eventCount, expectOutcome } = roleTableKit(() => server, "w");

  const manager = () => server.build.manager;
  const inDays = (days: number) => new Date(server.clock.now().getTime() + days * 86_400_000);

  /** Every lot of an account as (id, Virtual Account, kind, quantity): "nothing moved" compares equal. */
  const lotsOf = async (smartAccountId: number) =>
    (await manager().find(License, { where: { smartAccountId }, order: { id: "ASC" } })).map((lot) => ({
      id: lot.id,
      virtualAccountId: lot.virtualAccountId,
      kind: lot.kind,
      quantity: lot.quantity,
    }));

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  // ---------------------------------------------------------------------------------------------------------
  // Read rows: one shared account, read only.
  //   Finance: order O1 (TERM ×10, 36 months) and a bare TERM lot ×3 ending in 30 days (→ LICENSES_EXPIRING).
  //   Paris:   order O2 (PERPETUAL ×7) and a bare TERM lot ×2 ending in 45 days (→ LICENSES_EXPIRING).
  // ---------------------------------------------------------------------------------------------------------
  describe("read rows", () => {
    let read: World;
    let financeOrder: Order;
    let parisOrder: Order;
    let financeOrderLot: License;
    let parisOrderLot: License;
    const actorOf = (cell: Cell<unknown>) => actorIn(read, cell);

    beforeAll(async () => {
      read = await makeWorld({ domain: "lic.test" });
      await grantEveryRole(read);
      const o1 = await read.account.order([{ sku: TERM_SKU, quantity: 10, termMonths: 36, virtualAccount: read.finance }]);
      const o2 = await read.account.order([{ sku: PERPETUAL_SKU, quantity: 7, virtualAccount: read.paris }]);
      financeOrder = o1.order;
      parisOrder = o2.order;
      [financeOrderLot] = o1.licenses;
      [parisOrderLot] = o2.licenses;
      await read.account.license(read.finance, TERM_SKU, 3, { endsAt: inDays(30) });
      await read.account.license(read.paris, TERM_SKU, 2, { endsAt: inDays(45) });
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

    // --- see licenses, pools, alerts --------------------------------------------------------------------
    type LicensesExpect = "all" | "scope" | "FORBIDDEN at the fields (R4)" | "nothing (R4)" | "UNAUTHENTICATED";
    const LICENSES = `query($domain: String!, $va: ID!, $lot: ID!) {
      smartAccount(domain: $domain) {
        name
        licenses { totalCount nodes { quantity virtualAccount { name } } }
        licensePools { purchased product { sku } }
        alerts { type quantity virtualAccount { name } }
      }
      va: node(id: $va) {
        ... on VirtualAccount {
          name
          licenses { nodes { quantity } }
          licensePools { purchased product { sku } }
          alerts { type quantity }
        }
      }
      lot: node(id: $lot) { ... on License { quantity } }
    }`;

    it.each(
      cellsOf<LicensesExpect>("§5 see licenses, pools, alerts", {
        scoped: true,
        expected: (role) =>
          role === Role.SMART_ACCOUNT_APPROVER ? "FORBIDDEN at the fields (R4)" : isSa(role) ? "all" : "scope",
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const target = cell.inScope ? read.finance : read.paris;
      const lot = cell.inScope ? financeOrderLot : parisOrderLot;
      const result = await server.gql(LICENSES, { domain: read.domain, va: va(target), lot: gid("License", lot.id) }, actorOf(cell));
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      const { smartAccount, va: vaNode, lot: lotNode } = result.data;
      const lots = (connection: { nodes: { quantity: number; virtualAccount?: { name: string } }[] }) =>
        connection.nodes.map((n) => (n.virtualAccount ? `${n.virtualAccount.name}:${n.quantity}` : n.quantity)).sort();
      const pools = (list: { purchased: number; product: { sku: string } }[]) =>
        list.map((p) => `${p.product.sku}:${p.purchased}`).sort();
      const alerts = (list: { type: string; quantity: number; virtualAccount?: { name: string } }[]) =>
        list.map((a) => `${a.type}:${a.virtualAccount ? `${a.virtualAccount.name}:` : ""}${a.quantity}`).sort();
      const own = cell.inScope
        ? { lots: [10, 3], pools: [`${TERM_SKU}:13`], alerts: ["LICENSES_EXPIRING:3"] }
        : { lots: [7, 2], pools: [`${PERPETUAL_SKU}:7`, `${TERM_SKU}:2`].sort(), alerts: ["LICENSES_EXPIRING:2"] };
      switch (cell.expected) {
        case "nothing (R4)":
          expect(result.errors).toBeUndefined();
          expect(smartAccount).toBeNull();
          expect(vaNode).toBeNull();
          expect(lotNode).toBeNull();
          return;
        case "all":
          expect(result.errors).toBeUndefined();
          expect(lots(smartAccount.licenses)).toEqual(["Finance:10", "Finance:3", "Paris:2", "Paris:7"]);
          expect(smartAccount.licenses.totalCount).toBe(4);
          expect(pools(smartAccount.licensePools)).toEqual([`${PERPETUAL_SKU}:7`, `${TERM_SKU}:15`].sort());
          expect(alerts(smartAccount.alerts)).toEqual(["LICENSES_EXPIRING:Finance:3", "LICENSES_EXPIRING:Paris:2"]);
          expect(vaNode.name).toBe(target.name);
          expect(lots(vaNode.licenses)).toEqual([...own.lots].sort());
          expect(pools(vaNode.licensePools)).toEqual(own.pools);
          expect(alerts(vaNode.alerts)).toEqual(own.alerts);
          expect(lotNode).toEqual({ quantity: lot.quantity });
          return;
        case "scope":
          expect(result.errors).toBeUndefined();
          // Only the lots, pools and alerts of Virtual Accounts in scope (US and below): never Paris's.
          expect(lots(smartAccount.licenses)).toEqual(["Finance:10", "Finance:3"]);
          expect(smartAccount.licenses.totalCount).toBe(2);
          expect(pools(smartAccount.licensePools)).toEqual([`${TERM_SKU}:13`]);
          expect(alerts(smartAccount.alerts)).toEqual(["LICENSES_EXPIRING:Finance:3"]);
          if (cell.inScope) {
            expect(lots(vaNode.licenses)).toEqual([...own.lots].sort());
            expect(pools(vaNode.licensePools)).toEqual(own.pools);
            expect(alerts(vaNode.alerts)).toEqual(own.alerts);
            expect(lotNode).toEqual({ quantity: lot.quantity });
          } else {
            // The out-of-scope Virtual Account and its lot are unreachable (R4).
            expect(vaNode).toBeNull();
            expect(lotNode).toBeNull();
          }
          return;
        case "FORBIDDEN at the fields (R4)":
          // The approver sees the account and the tree, but no license field; a lot is invisible to them.
          expect(smartAccount.name).toBe("lic.test");
          for (const field of ["licenses", "licensePools", "alerts"]) {
            expectForbiddenAt(result, ["smartAccount", field]);
            expectForbiddenAt(result, ["va", field]);
          }
          expect(vaNode.name).toBe(target.name);
          expect(lotNode).toBeNull();
          expect(result.errors).toHaveLength(6);
      }
    });

    // --- see orders -------------------------------------------------------------------------------------
    type OrdersExpect = "all" | "FORBIDDEN at the field / null (R4)" | "nothing (R4)" | "UNAUTHENTICATED";
    const ORDERS = `query($domain: String!, $lot: ID!, $order: ID!) {
      smartAccount(domain: $domain) { name orders { totalCount nodes { number status } } }
      lot: node(id: $lot) { ... on License { quantity order { number } } }
      order: node(id: $order) { ... on Order { number status lines { quantity } } }
    }`;

    it.each(
      cellsOf<OrdersExpect>("§5 see orders", {
        scoped: true,
        expected: (role) =>
          [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER].includes(role)
            ? "all"
            : "FORBIDDEN at the field / null (R4)",
        outsider: "nothing (R4)",
        anonymous: "UNAUTHENTICATED",
      }),
    )("$name", async (cell) => {
      const lot = cell.inScope ? financeOrderLot : parisOrderLot;
      const order = cell.inScope ? financeOrder : parisOrder;
      const result = await server.gql(
        ORDERS,
        { domain: read.domain, lot: gid("License", lot.id), order: gid("Order", order.id) },
        actorOf(cell),
      );
      if (cell.expected === "UNAUTHENTICATED") return expectUnauthenticated(result);
      const { smartAccount, lot: lotNode, order: orderNode } = result.data;
      switch (cell.expected) {
        case "nothing (R4)":
          expect(result.errors).toBeUndefined();
          expect(smartAccount).toBeNull();
          expect(lotNode).toBeNull();
          expect(orderNode).toBeNull();
          return;
        case "all":
          expect(result.errors).toBeUndefined();
          expect(smartAccount.orders.totalCount).toBe(2);
          expect(smartAccount.orders.nodes.map((o: { number: string }) => o.number).sort()).toEqual(
            [financeOrder.number, parisOrder.number].sort(),
          );
          expect(lotNode).toEqual({ quantity: lot.quantity, order: { number: order.number } });
          expect(orderNode).toEqual({ number: order.number, status: "FULFILLED", lines: [{ quantity: lot.quantity }] });
          return;
        case "FORBIDDEN at the field / null (R4)": {
          expect(smartAccount.name).toBe("lic.test");
          expectForbiddenAt(result, ["smartAccount", "orders"]);
          expect(result.errors).toHaveLength(1);
          expect(orderNode).toBeNull();
          // Who sees the lot (VA roles in scope) sees it without its order; the approver does not see the lot.
          const seesLot = cell.role !== Role.SMART_ACCOUNT_APPROVER && cell.inScope;
          expect(lotNode).toEqual(seesLot ? { quantity: lot.quantity, order: null } : null);
        }
      }
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Mutation rows: a fresh account per test.
  // ---------------------------------------------------------------------------------------------------------
  const mutationCells = (title: string, scoped: boolean, expected: (role: Role, inScope: boolean) => Outcome) =>
    cellsOf<Outcome>(title, { scoped, expected, outsider: "NOT_FOUND", anonymous: "UNAUTHENTICATED" });

  describe("manage licenses (R19, R21)", () => {
    // SA_ADMIN / SA_USER everywhere; VA_ADMIN / VA_USER in scope. Out of scope a VA role cannot see the
    // Virtual Accounts: NOT_FOUND (R4). The approver and the viewers see the Virtual Accounts: FORBIDDEN.
    const transfer = (role: Role, inScope: boolean): Outcome =>
      [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER].includes(role) ||
      ([Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER].includes(role) && inScope)
        ? "allowed"
        : isSa(role) || inScope
          ? "FORBIDDEN"
          : "NOT_FOUND";

    const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
      transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) {
        quantity from { name } to { name }
      }
    }`;

    it.each(mutationCells("§5 transfer licenses (R19)", true, transfer))("$name", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      // In scope: Finance → Sales (both under US). Out of scope: Paris → EMEA (both under EMEA).
      const [from, to] = cell.inScope ? [world.finance, world.sales] : [world.paris, world.emea];
      await world.account.license(from, PERPETUAL_SKU, 5);
      const before = await lotsOf(world.account.id);
      const result = await server.gql(TRANSFER, { from: va(from), to: va(to), sku: PERPETUAL_SKU, quantity: 3 }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "LICENSES_TRANSFERRED");
      const after = await lotsOf(world.account.id);
      const held = (v: VirtualAccount) => after.filter((lot) => lot.virtualAccountId === v.id).reduce((sum, lot) => sum + lot.quantity, 0);
      if (cell.expected === "allowed") {
        expect(result.data.transferLicenses).toEqual({ quantity: 3, from: { name: from.name }, to: { name: to.name } });
        expect([held(from), held(to)]).toEqual([2, 3]);
      } else {
        expect(after).toEqual(before); // nothing moved (R3)
      }
    });

    // "Both ends": a VA role that manages one end but cannot see the other gets NOT_FOUND, nothing moves.
    it.each(
      [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER].flatMap((role) => [
        { role, direction: "Finance (in scope) → Paris (out of scope)", outOfScopeSource: false },
        { role, direction: "Paris (out of scope) → Finance (in scope)", outOfScopeSource: true },
      ]),
    )("§5 transfer licenses (R19): $role, $direction → NOT_FOUND, nothing moved", async ({ role, outOfScopeSource }) => {
      const world = await makeWorld();
      const email = `${slug(role)}@${world.domain}`;
      await world.account.grant(email, role, world.us);
      const [from, to] = outOfScopeSource ? [world.paris, world.finance] : [world.finance, world.paris];
      await world.account.license(from, PERPETUAL_SKU, 5);
      const before = await lotsOf(world.account.id);
      const result = await server.gql(TRANSFER, { from: va(from), to: va(to), sku: PERPETUAL_SKU, quantity: 3 }, email);
      await expectOutcome(result, "NOT_FOUND", world.account.id, "LICENSES_TRANSFERRED");
      expect(await lotsOf(world.account.id)).toEqual(before);
    });

    // A lot is visible only to who may see licenses where it lies: the approver and out-of-scope VA roles
    // get NOT_FOUND (R4); the viewers see it but may not tag it: FORBIDDEN.
    const tag = (role: Role, inScope: boolean): Outcome =>
      [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER].includes(role) ||
      ([Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER].includes(role) && inScope)
        ? "allowed"
        : role === Role.SMART_ACCOUNT_VIEWER || (role === Role.VIRTUAL_ACCOUNT_VIEWER && inScope)
          ? "FORBIDDEN"
          : "NOT_FOUND";

    it.each(mutationCells("§5 tag licenses (R21)", true, tag))("$name", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const lot = await world.account.license(target, PERPETUAL_SKU, 5, { tags: ["old"] });
      const result = await server.gql(
        `mutation($id: ID!) { setLicenseTags(input: { licenseId: $id, tags: ["lab", "spare"] }) { id tags } }`,
        { id: gid("License", lot.id) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "LICENSE_TAGS_SET");
      const tags = (await manager().findBy(LicenseTag, { licenseId: lot.id })).map((row) => row.tag).sort();
      if (cell.expected === "allowed") {
        expect(result.data.setLicenseTags).toEqual({ id: gid("License", lot.id), tags: ["lab", "spare"] });
        expect(tags).toEqual(["lab", "spare"]);
      } else {
        expect(tags).toEqual(["old"]);
      }
    });
  });

  describe("convert classic licenses (R20)", () => {
    // SA_ADMIN / SA_USER only. Who sees the lot but may not convert → FORBIDDEN; who cannot see it → NOT_FOUND.
    const convert = (role: Role, inScope: boolean): Outcome =>
      [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER].includes(role)
        ? "allowed"
        : role === Role.SMART_ACCOUNT_VIEWER || (!isSa(role) && inScope)
          ? "FORBIDDEN"
          : "NOT_FOUND";

    it.each(mutationCells("§5 convert classic licenses (R20)", true, convert))("$name", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const classic = await world.account.license(target, PERPETUAL_SKU, 5, { kind: LicenseKind.CLASSIC });
      const before = await lotsOf(world.account.id);
      const result = await server.gql(
        `mutation($id: ID!) { convertClassicLicense(input: { licenseId: $id, quantity: 2 }) { kind quantity } }`,
        { id: gid("License", classic.id) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "LICENSE_CONVERTED");
      const after = await lotsOf(world.account.id);
      if (cell.expected === "allowed") {
        expect(result.data.convertClassicLicense).toEqual({ kind: "SMART", quantity: 2 });
        expect(after.map(({ id: _id, ...rest }) => rest)).toEqual([
          { virtualAccountId: target.id, kind: LicenseKind.CLASSIC, quantity: 3 },
          { virtualAccountId: target.id, kind: LicenseKind.SMART, quantity: 2 },
        ]);
        expect(after[0].id).toBe(classic.id); // the classic lot keeps its id and shrinks
      } else {
        expect(after).toEqual(before);
      }
    });
  });

  describe("place orders (R15)", () => {
    // Only the orders:write scope places orders; no role does. Every role sees the account: FORBIDDEN.
    const place = (_role: Role): Outcome => "FORBIDDEN";
    const PLACE = `mutation($domain: String!) {
      placeOrder(input: { smartAccountDomain: $domain, lines: [{ sku: "${TERM_SKU}", quantity: 4, termMonths: 12 }] }) {
        number status lines { quantity }
      }
    }`;

    async function expectPlaced(result: GqlResult, expected: Outcome, world: World) {
      await expectOutcome(result, expected, world.account.id, "ORDER_PLACED");
      const orders = await manager().countBy(Order, { smartAccountId: world.account.id });
      const lots = await lotsOf(world.account.id);
      if (expected === "allowed") {
        expect(result.data.placeOrder).toMatchObject({ status: "FULFILLED", lines: [{ quantity: 4 }] });
        expect(orders).toBe(1);
        // R16: delivered into the default Virtual Account of the active account.
        expect(lots.map(({ id: _id, ...rest }) => rest)).toEqual([
          { virtualAccountId: world.account.defaultVirtualAccount.id, kind: LicenseKind.SMART, quantity: 4 },
        ]);
      } else {
        expect(orders).toBe(0);
        expect(lots).toEqual([]);
      }
    }

    it.each(mutationCells("§5 place orders (R15)", false, place))("$name", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const result = await server.gql(PLACE, { domain: world.domain }, actor);
      await expectPlaced(result, cell.expected, world);
    });

    it("§5 place orders (R15, R2): a token with the orders:write scope and no role in the account → allowed", async () => {
      const world = await makeWorld();
      const result = await server.gql(PLACE, { domain: world.domain }, "shop@commerce.test", "orders:write");
      await expectPlaced(result, "allowed", world);
    });

    it("§5 place orders (R15, R2): the same integration user without the scope → NOT_FOUND", async () => {
      const world = await makeWorld();
      const result = await server.gql(PLACE, { domain: world.domain }, "shop@commerce.test");
      await expectPlaced(result, "NOT_FOUND", world);
    });

    it.each([Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_VIEWER, Role.VIRTUAL_ACCOUNT_VIEWER])(
      "§5 place orders (R15, R2): %s whose token carries the orders:write scope → allowed (the scope, not the role)",
      async (role) => {
        const world = await makeWorld();
        const email = `${slug(role)}@${world.domain}`;
        await world.account.grant(email, role, isSa(role) ? null : world.us);
        const result = await server.gql(PLACE, { domain: world.domain }, email, "orders:write");
        await expectPlaced(result, "allowed", world);
      },
    );
  });

  describe("move licenses out of the Smart Account (R19)", () => {
    // transferLicenses into another Smart Account where the actor is SMART_ACCOUNT_ADMIN, so that only the
    // source decides: SA_ADMIN / SA_USER move; a Virtual Account role, even one that manages the source,
    // → FORBIDDEN; who sees the source but may not manage it → FORBIDDEN; who cannot see it → NOT_FOUND.
    const moveOut = (role: Role, inScope: boolean): Outcome =>
      [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER].includes(role) ? "allowed" : isSa(role) || inScope ? "FORBIDDEN" : "NOT_FOUND";

    const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
      transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) {
        quantity from { name } to { name }
      }
    }`;

    it.each(mutationCells("§5 move licenses out of the Smart Account (R19)", true, moveOut))("$name", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const destination = await server.build.account(`dest-${world.domain}`);
      if (actor) await destination.grant(actor, Role.SMART_ACCOUNT_ADMIN);
      const from = cell.inScope ? world.finance : world.paris;
      await world.account.license(from, PERPETUAL_SKU, 5);
      const before = { source: await lotsOf(world.account.id), destination: await lotsOf(destination.id) };
      const result = await server.gql(
        TRANSFER,
        { from: va(from), to: va(destination.defaultVirtualAccount), sku: PERPETUAL_SKU, quantity: 3 },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "LICENSES_TRANSFERRED");
      expect(await eventCount(destination.id)).toBe(0);
      const after = { source: await lotsOf(world.account.id), destination: await lotsOf(destination.id) };
      if (cell.expected === "allowed") {
        expect(result.data.transferLicenses).toEqual({ quantity: 3, from: { name: from.name }, to: { name: "Default" } });
        expect(after.source.map((lot) => lot.quantity)).toEqual([2]);
        expect(after.destination.map((lot) => [lot.virtualAccountId, lot.quantity])).toEqual([[destination.defaultVirtualAccount.id, 3]]);
      } else {
        expect(after).toEqual(before); // nothing moved (R3)
      }
    });
  });

  describe("assign orders out of a holding account (R18)", () => {
    // Roles held in the PARTNER_HOLDING account. Who sees orders there but may not assign (SA_VIEWER) →
    // FORBIDDEN; who cannot see the order (approver, VA roles, outsider) → NOT_FOUND (R4).
    const assign = (role: Role): Outcome =>
      [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER].includes(role)
        ? "allowed"
        : role === Role.SMART_ACCOUNT_VIEWER
          ? "FORBIDDEN"
          : "NOT_FOUND";

    it.each(mutationCells("§5 assign orders out of a holding account (R18), role held in the holding account", false, assign))(
      "$name",
      async (cell) => {
        const { world: holding, actor } = await freshWorld(cell, { type: SmartAccountType.PARTNER_HOLDING });
        const customer = await server.build.account(`customer-${holding.account.id}.test`);
        const { order, licenses } = await holding.account.order([{ sku: PERPETUAL_SKU, quantity: 6 }]);
        const result = await server.gql(
          `mutation($order: ID!, $domain: String!) { assignOrder(input: { orderId: $order, smartAccountDomain: $domain }) { number status } }`,
          { order: gid("Order", order.id), domain: customer.account.domain },
          actor,
        );
        await expectOutcome(result, cell.expected, holding.account.id, "ORDER_ASSIGNED");
        expect(await eventCount(customer.id)).toBe(0);
        const stored = await manager().findOneByOrFail(Order, { id: order.id });
        const lots = await manager().findBy(License, { orderId: order.id });
        expect(lots).toHaveLength(1);
        if (cell.expected === "allowed") {
          expect(result.data.assignOrder).toEqual({ number: order.number, status: "FULFILLED" });
          expect(stored.smartAccountId).toBe(customer.id);
          expect(stored.assignedFromId).toBe(holding.account.id);
          expect(lots[0]).toMatchObject({ smartAccountId: customer.id, virtualAccountId: customer.defaultVirtualAccount.id, quantity: 6 });
          expect(lots[0].startsAt.getTime()).toBe(licenses[0].startsAt.getTime()); // dates never change
        } else {
          expect(stored.smartAccountId).toBe(holding.account.id);
          expect(stored.status).toBe(OrderStatus.FULFILLED);
          expect(stored.assignedFromId).toBeNull();
          expect(lots[0]).toMatchObject({ smartAccountId: holding.account.id, virtualAccountId: holding.account.defaultVirtualAccount.id });
        }
      },
    );

    it.each([Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER])(
      "§5 assign orders (R18): %s of the CUSTOMER account only (nothing on the holding account) → NOT_FOUND",
      async (role) => {
        const holding = await makeWorld({ type: SmartAccountType.PARTNER_HOLDING });
        const customer = await server.build.account(`customer-${holding.account.id}.test`);
        const email = `admin@customer-${holding.account.id}.test`;
        await customer.grant(email, role);
        const { order } = await holding.account.order([{ sku: PERPETUAL_SKU, quantity: 6 }]);
        const result = await server.gql(
          `mutation($order: ID!, $domain: String!) { assignOrder(input: { orderId: $order, smartAccountDomain: $domain }) { number } }`,
          { order: gid("Order", order.id), domain: customer.account.domain },
          email,
        );
        await expectOutcome(result, "NOT_FOUND", holding.account.id, "ORDER_ASSIGNED");
        expect((await manager().findOneByOrFail(Order, { id: order.id })).smartAccountId).toBe(holding.account.id);
      },
    );
  });
});
