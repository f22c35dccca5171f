/**
 * SPEC §5, the role table, cell by cell for the license and order rows (R4, R15, R18, R19, R20, R21),
 * including "place orders" (the orders:write scope only, no role) and "move licenses … out of the Smart
 * Account" (SA_ADMIN / SA_USER on the source only). Which cells exist and what each expects is read from
 * the table in test/support/section5.ts, through the registry in test/support/section5-cases.ts.
 *
 * Same layout as test/role-table.test.ts: every row is tested for all seven roles. Virtual Account roles are
 * held on "US"; "in scope" targets a Virtual Account inside that subtree (US → Finance / Sales), "out of
 * scope" one in the sibling subtree (EMEA → Paris). Smart Account roles get the same cells (the answer must
 * not depend on where in the tree the target sits). Every row also has an outsider (SMART_ACCOUNT_ADMIN of
 * another account, no role in this one) and a request with no token (R1); "place orders" has each of them
 * again with a token carrying the orders:write scope.
 *
 * Error semantics (R4): an object the viewer cannot see → NOT_FOUND on mutations, null on node(); visible
 * but not allowed → FORBIDDEN; a guarded field → null with FORBIDDEN at its path while the rest of the
 * response stands. A license is an object only who may "see licenses" can see, so the approver (who may
 * not) gets NOT_FOUND for a mutation naming a license lot, exactly as a SMART_ACCOUNT_USER does for a role
 * assignment in role-table.test.ts. A failed mutation changes nothing and writes no event (R3, R29); a
 * successful one writes exactly one.
 */
import { License, LicenseKind, LicenseTag, Order, OrderStatus, Role, SmartAccountType, VirtualAccount } from "../entities";
import { days } from "./support/fixtures";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { accountField, objectField, objectRead, Outcome, sees, Target, visibleItems } from "./support/section5";
import { Case, section5Suite } from "./support/section5-cases";
import { slug, roleTableKit, World, actorIn, addOutsider, grantEveryRole, expectFields } from "./support/role-table";

const TERM_SKU = "C9300-DNA-A-3Y"; // TERM, smart-enabled
const PERPETUAL_SKU = "C9300-NW-A"; // PERPETUAL, smart-enabled

describe("§5 role table: licenses and orders", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, eventCount, expectOutcome } = roleTableKit(() => server, "w");
  const section5 = section5Suite("role-table-licenses");

  const manager = () => server.build.manager;

  /** Every lot of an account as (id, Virtual Account, kind, quantity): "nothing moved" compares equal. */
  const lotsOf = async (smartAccountId: number) =>
    (await manager().find(License, { where: { smartAccountId }, order: { id: "ASC" } })).map((lot) => ({
      id: lot.id,
      virtualAccountId: lot.virtualAccountId,
      kind: lot.kind,
      quantity: lot.quantity,
    }));

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);
  const targetIn = (world: World, target: Target) => (target === "out of scope" ? world.paris : world.finance);

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  // ---------------------------------------------------------------------------------------------------------
  // Read rows: one shared account, read only (the suite's clock stays at START).
  //   Finance: order O1 (TERM ×10, 36 months) and a bare TERM lot ×3 ending in 30 days (→ LICENSES_EXPIRING).
  //   Paris:   order O2 (PERPETUAL ×7) and a bare TERM lot ×2 ending in 45 days (→ LICENSES_EXPIRING).
  // ---------------------------------------------------------------------------------------------------------
  describe("read rows", () => {
    let read: World;
    let orders: { id: number; number: string; at: string; target: Target; lot: License }[];

    /** The lots, where they lie: Finance in scope, Paris out of scope. */
    const LOTS: { at: string; target: Target; quantity: number; sku: string; expiring: boolean }[] = [
      { at: "Finance", target: "in scope", quantity: 10, sku: TERM_SKU, expiring: false },
      { at: "Finance", target: "in scope", quantity: 3, sku: TERM_SKU, expiring: true },
      { at: "Paris", target: "out of scope", quantity: 7, sku: PERPETUAL_SKU, expiring: false },
      { at: "Paris", target: "out of scope", quantity: 2, sku: TERM_SKU, expiring: true },
    ];

    beforeAll(async () => {
      read = await makeWorld({ domain: "lic.test" });
      await grantEveryRole(read);
      const o1 = await read.account.order([{ sku: TERM_SKU, quantity: 10, termMonths: 36, virtualAccount: read.finance }]);
      const o2 = await read.account.order([{ sku: PERPETUAL_SKU, quantity: 7, virtualAccount: read.paris }]);
      orders = [
        { id: o1.order.id, number: o1.order.number, at: "Finance", target: "in scope", lot: o1.licenses[0] },
        { id: o2.order.id, number: o2.order.number, at: "Paris", target: "out of scope", lot: o2.licenses[0] },
      ];
      await read.account.license(read.finance, TERM_SKU, 3, { endsAt: days(30) });
      await read.account.license(read.paris, TERM_SKU, 2, { endsAt: days(45) });
    });

    const sorted = <T>(values: T[]) => [...values].sort();
    /** Lots as "<Virtual Account>:<quantity>", pools as "<sku>:<purchased>", alerts as "<type>:<Virtual Account>:<quantity>". */
    const lotLabels = (lots: typeof LOTS) => sorted(lots.map((lot) => `${lot.at}:${lot.quantity}`));
    const poolLabels = (lots: typeof LOTS) => {
      const sums = new Map<string, number>();
      for (const lot of lots) sums.set(lot.sku, (sums.get(lot.sku) ?? 0) + lot.quantity);
      return sorted([...sums].map(([sku, purchased]) => `${sku}:${purchased}`));
    };
    const alertLabels = (lots: typeof LOTS) => sorted(lots.filter((lot) => lot.expiring).map((lot) => `LICENSES_EXPIRING:${lot.at}:${lot.quantity}`));
    const readLots = (c: { nodes: { quantity: number; virtualAccount: { name: string } }[] }) =>
      sorted(c.nodes.map((n) => `${n.virtualAccount.name}:${n.quantity}`));
    const readPools = (list: { purchased: number; product: { sku: string } }[]) => sorted(list.map((p) => `${p.product.sku}:${p.purchased}`));
    const readAlerts = (list: { type: string; quantity: number; virtualAccount: { name: string } }[]) =>
      sorted(list.map((a) => `${a.type}:${a.virtualAccount.name}:${a.quantity}`));

    // --- see licenses, pools, alerts --------------------------------------------------------------------
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
          licenses { nodes { quantity virtualAccount { name } } }
          licensePools { purchased product { sku } }
          alerts { type quantity virtualAccount { name } }
        }
      }
      lot: node(id: $lot) { ... on License { quantity } }
    }`;

    section5.read("seeLicenses", async (cell) => {
      const target = targetIn(read, cell.target);
      const order = orders.find((o) => o.target === cell.target)!;
      const result = await server.gql(LICENSES, { domain: read.domain, va: va(target), lot: gid("License", order.lot.id) }, actorIn(read, cell));
      const v = cell.viewer;
      const visible = visibleItems(v, "seeLicenses", LOTS);
      const here = LOTS.filter((lot) => lot.at === target.name);
      const onVa = objectField(v, "seeLicenses", "tree", cell.target);
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(v, "account", "account"), read: (a) => a.name, expected: "lic.test" },
        {
          path: ["smartAccount", "licenses"],
          outcome: accountField(v, "seeLicenses"),
          read: (c) => [readLots(c), c.totalCount],
          expected: [lotLabels(visible), visible.length],
        },
        { path: ["smartAccount", "licensePools"], outcome: accountField(v, "seeLicenses"), read: readPools, expected: poolLabels(visible) },
        { path: ["smartAccount", "alerts"], outcome: accountField(v, "seeLicenses"), read: readAlerts, expected: alertLabels(visible) },
        { path: ["va"], outcome: objectRead(v, "tree", cell.target), read: (node) => node.name, expected: target.name },
        { path: ["va", "licenses"], outcome: onVa, read: readLots, expected: lotLabels(here) },
        { path: ["va", "licensePools"], outcome: onVa, read: readPools, expected: poolLabels(here) },
        { path: ["va", "alerts"], outcome: onVa, read: readAlerts, expected: alertLabels(here) },
        { path: ["lot"], outcome: objectRead(v, "seeLicenses", cell.target), expected: { quantity: order.lot.quantity } },
      ]);
    });

    // --- see orders -------------------------------------------------------------------------------------
    const ORDERS = `query($domain: String!, $lot: ID!, $order: ID!) {
      smartAccount(domain: $domain) { name orders { totalCount nodes { number status } } }
      lot: node(id: $lot) { ... on License { quantity order { number } } }
      order: node(id: $order) { ... on Order { number status lines { quantity } } }
    }`;

    section5.read("seeOrders", async (cell) => {
      const order = orders.find((o) => o.target === cell.target)!;
      const result = await server.gql(
        ORDERS,
        { domain: read.domain, lot: gid("License", order.lot.id), order: gid("Order", order.id) },
        actorIn(read, cell),
      );
      const v = cell.viewer;
      const visible = visibleItems(v, "seeOrders", orders);
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(v, "account", "account"), read: (a) => a.name, expected: "lic.test" },
        {
          path: ["smartAccount", "orders"],
          outcome: accountField(v, "seeOrders"),
          read: (c) => [c.totalCount, sorted(c.nodes.map((o: { number: string; status: string }) => `${o.number}:${o.status}`))],
          expected: [visible.length, sorted(visible.map((o) => `${o.number}:FULFILLED`))],
        },
        // Who sees the lot but not orders (VA roles in scope) sees it without its order (R28, R15).
        {
          path: ["lot"],
          outcome: objectRead(v, "seeLicenses", cell.target),
          expected: { quantity: order.lot.quantity, order: sees(v, "seeOrders", cell.target) ? { number: order.number } : null },
        },
        {
          path: ["order"],
          outcome: objectRead(v, "seeOrders", cell.target),
          expected: { number: order.number, status: "FULFILLED", lines: [{ quantity: order.lot.quantity }] },
        },
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Mutation rows: a fresh account per test.
  // ---------------------------------------------------------------------------------------------------------
  const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
    transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) {
      quantity from { name } to { name }
    }
  }`;

  describe("manage licenses (R19, R21)", () => {
    // Transfers name two Virtual Accounts (visible by the tree): out of scope a VA role cannot see them,
    // NOT_FOUND (R4); the approver and the viewers see them, FORBIDDEN.
    section5.mutation("transferLicenses", async (cell) => {
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
    section5.mutation("tagLicenses", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = targetIn(world, cell.target);
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
    // Who sees the lot but may not convert → FORBIDDEN; who cannot see it → NOT_FOUND (R4).
    section5.mutation("convertLicenses", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = targetIn(world, cell.target);
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
    // Only the orders:write scope places orders; no role does. Without it every role sees the account:
    // FORBIDDEN; the outsider does not: NOT_FOUND. With it anyone signed in places the order, into the line's
    // Virtual Account (in or out of the scope of the caller's role), and reads it in the payload; the line's
    // Virtual Account is null unless they can see it (R15).
    const PLACE = `mutation($domain: String!, $va: ID!) {
      placeOrder(input: { smartAccountDomain: $domain, lines: [{ sku: "${TERM_SKU}", quantity: 4, termMonths: 12, virtualAccountId: $va }] }) {
        number status lines { quantity virtualAccount { name } }
      }
    }`;

    async function expectPlaced(result: GqlResult, expected: Outcome, world: World, into: VirtualAccount, seesLine: boolean) {
      await expectOutcome(result, expected, world.account.id, "ORDER_PLACED");
      const orders = await manager().countBy(Order, { smartAccountId: world.account.id });
      const lots = await lotsOf(world.account.id);
      if (expected === "allowed") {
        expect(result.data.placeOrder).toMatchObject({
          status: "FULFILLED",
          lines: [{ quantity: 4, virtualAccount: seesLine ? { name: into.name } : null }],
        });
        expect(orders).toBe(1);
        // R16: delivered into the line's Virtual Account of the active account.
        expect(lots.map(({ id: _id, ...rest }) => rest)).toEqual([{ virtualAccountId: into.id, kind: LicenseKind.SMART, quantity: 4 }]);
      } else {
        expect(orders).toBe(0);
        expect(lots).toEqual([]);
      }
    }

    section5.mutation("placeOrder", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const into = targetIn(world, cell.target);
      const result = await server.gql(PLACE, { domain: world.domain, va: va(into) }, actor, cell.scope);
      await expectPlaced(result, cell.expected, world, into, sees(cell.viewer, "tree", cell.target));
    });

    it("§5 place orders (R15, R2): a token with the orders:write scope, of a user with no role anywhere → allowed", async () => {
      const world = await makeWorld();
      const result = await server.gql(PLACE, { domain: world.domain, va: va(world.finance) }, "shop@commerce.test", "orders:write");
      await expectPlaced(result, "allowed", world, world.finance, false);
    });

    it("§5 place orders (R15, R2): the same integration user without the scope → NOT_FOUND", async () => {
      const world = await makeWorld();
      const result = await server.gql(PLACE, { domain: world.domain, va: va(world.finance) }, "shop@commerce.test");
      await expectPlaced(result, "NOT_FOUND", world, world.finance, false);
    });
  });

  describe("move licenses out of the Smart Account (R19)", () => {
    // transferLicenses into another Smart Account where the actor is SMART_ACCOUNT_ADMIN, so that only the
    // source decides: it needs "manage licenses" and "move licenses … out of the Smart Account" there. A
    // Virtual Account role, even one that manages the source, → FORBIDDEN; who sees the source but may not
    // manage it → FORBIDDEN; who cannot see it → NOT_FOUND.
    section5.mutation("moveLicensesOut", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const destination = await server.build.account(`dest-${world.domain}`);
      if (actor) await destination.grant(actor, Role.SMART_ACCOUNT_ADMIN);
      const from = targetIn(world, cell.target);
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
    // Roles held in the PARTNER_HOLDING account, whose order's licenses sit in Finance (in scope) or Paris
    // (out of scope). Who sees orders there but may not assign (SA_VIEWER) → FORBIDDEN; who cannot see the
    // order (approver, VA roles wherever the licenses sit, outsider) → NOT_FOUND (R4).
    const ASSIGN = `mutation($order: ID!, $domain: String!) { assignOrder(input: { orderId: $order, smartAccountDomain: $domain }) { number status } }`;

    section5.mutation("assignOrder", async (cell: Case<Outcome>) => {
      const { world: holding, actor } = await freshWorld(cell, { type: SmartAccountType.PARTNER_HOLDING });
      const customer = await server.build.account(`customer-${holding.account.id}.test`);
      const from = targetIn(holding, cell.target);
      const { order, licenses } = await holding.account.order([{ sku: PERPETUAL_SKU, quantity: 6, virtualAccount: from }]);
      const result = await server.gql(ASSIGN, { order: gid("Order", order.id), domain: customer.account.domain }, actor);
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
        expect(lots[0]).toMatchObject({ smartAccountId: holding.account.id, virtualAccountId: from.id });
      }
    });

    it.each([Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER])(
      "§5 assign orders (R18): %s of the CUSTOMER account only (nothing on the holding account) → NOT_FOUND",
      async (role) => {
        const holding = await makeWorld({ type: SmartAccountType.PARTNER_HOLDING });
        const customer = await server.build.account(`customer-${holding.account.id}.test`);
        const email = `admin@customer-${holding.account.id}.test`;
        await customer.grant(email, role);
        const { order } = await holding.account.order([{ sku: PERPETUAL_SKU, quantity: 6 }]);
        const result = await server.gql(ASSIGN, { order: gid("Order", order.id), domain: customer.account.domain }, email);
        await expectOutcome(result, "NOT_FOUND", holding.account.id, "ORDER_ASSIGNED");
        expect((await manager().findOneByOrFail(Order, { id: order.id })).smartAccountId).toBe(holding.account.id);
      },
    );
  });

  section5.complete();
});
