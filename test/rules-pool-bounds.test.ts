import { LicenseKind, Role, SmartAccountStatus, SmartAccountType, VirtualAccount } from "../entities";
import { MAX_POOL_FIGURE } from "../src/licenses/pool-bounds";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { accounts, expectCode } from "./support/fixtures";
import { gid } from "./support/ids";
import { rebuildPools } from "../src/licenses/kept-pools";
import { sql } from "../src/db/sql";

/**
 * Rule R27 (amended): every pool figure fits GraphQL's Int. A write that would take a Smart Account's
 * purchased or inUse of a product past 2,147,483,647 is a CONFLICT and changes nothing; exactly
 * 2,147,483,647 is accepted and reads back. Big lots and usages come from the builder, so this stays fast.
 */

const MAX = 2_147_483_647;
const SKU = "C9300-NW-A"; // PERPETUAL, smart-enabled
const INTEGRATION = "commerce@shop.example";

const POOL = "product { sku } purchased inUse available shortage status";
const SA_POOLS = `query($domain: String!) { smartAccount(domain: $domain) {
  licensePools { ${POOL} }
  usageSummary { path purchased inUse available shortage product { sku } }
} }`;
const VA_POOLS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount { licensePools(includeDescendants: true) { ${POOL} } } } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const ASSIGN = `mutation($input: AssignOrderInput!) { assignOrder(input: $input) { id status } }`;
const ACTIVATE = `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { id status } }`;
const TRANSFER = `mutation($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity } }`;
const CONVERT = `mutation($input: ConvertClassicLicenseInput!) { convertClassicLicense(input: $input) { id quantity } }`;
const REPORT = `mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id usage { count } } }`;
const TRANSFER_DEVICE = `mutation($input: TransferProductInstanceInput!) { transferProductInstance(input: $input) { id } }`;

describe("rule R27: every pool figure fits GraphQL's Int", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("R27 the bound is GraphQL's Int", () => {
    expect(MAX_POOL_FIGURE).toBe(MAX);
  });

  const account = accounts(() => server);

  /** Everything a pool write touches: lots, usage, devices, orders, events. A refused write leaves it equal. */
  const state = async () => {
    const q = (sql: string) => server.db.dataSource.query(sql);
    return JSON.parse(
      JSON.stringify(
        {
          lots: await q("SELECT id, smart_account_id, virtual_account_id, product_id, kind, quantity, split_from_id FROM licenses ORDER BY id"),
          usage: await q("SELECT product_instance_id, product_id, count FROM license_usages ORDER BY product_instance_id, product_id"),
          devices: await q("SELECT id, smart_account_id, virtual_account_id, last_reported_at FROM product_instances ORDER BY id"),
          orders: await q("SELECT id, smart_account_id, status, assigned_from_id FROM orders ORDER BY id"),
          lines: await q("SELECT id, order_id, virtual_account_id FROM order_lines ORDER BY id"),
          accounts: await q("SELECT id, status FROM smart_accounts ORDER BY id"),
          roles: await q("SELECT COUNT(*) AS n FROM role_assignments"),
          events: await q("SELECT COUNT(*) AS n FROM events"),
        },
        (_key, value) => (typeof value === "bigint" ? Number(value) : value),
      ),
    );
  };

  /** CONFLICT, and nothing changed. */
  async function refused(run: () => Promise<GqlResult>) {
    const before = await state();
    const result = await run();
    expect(expectCode(result, "CONFLICT").message).toMatch(/2,147,483,647/);
    expect(await state()).toEqual(before);
  }

  /** The account's pools of SKU, read whole (they would fail with INTERNAL_SERVER_ERROR past Int). */
  async function poolOfAccount(domain: string, as: string) {
    const result = await server.gql(SA_POOLS, { domain }, as);
    expect(result.errors).toBeUndefined();
    const pool = result.data.smartAccount.licensePools.find((p: { product: { sku: string } }) => p.product.sku === SKU);
    return { pool, summary: result.data.smartAccount.usageSummary as { purchased: number; inUse: number }[] };
  }

  const subtreePool = async (va: VirtualAccount, as: string) => {
    const result = await server.gql(VA_POOLS, { id: gid("VirtualAccount", va.id) }, as);
    expect(result.errors).toBeUndefined();
    return result.data.node.licensePools.find((p: { product: { sku: string } }) => p.product.sku === SKU);
  };

  it("R27 placeOrder into an ACTIVE account: past Int account-wide → CONFLICT, nothing written; exactly Int is accepted", async () => {
    const { built, admin, domain, defaultVa } = await account("r27-place.com");
    const [us] = await built.chain("US");
    // Neither Virtual Account alone would overflow: the account-wide sum does.
    await built.license(us, SKU, MAX - 1000);
    const place = (quantity: number) =>
      server.gql(PLACE, { input: { smartAccountDomain: domain, lines: [{ sku: SKU, quantity }] } }, INTEGRATION, "orders:write");
    await refused(() => place(1001));
    // several lines that only overflow together
    await refused(() =>
      server.gql(
        PLACE,
        {
          input: {
            smartAccountDomain: domain,
            lines: [
              { sku: SKU, quantity: 600 },
              { sku: SKU, quantity: 401 },
            ],
          },
        },
        INTEGRATION,
        "orders:write",
      ),
    );
    const exact = await place(1000);
    expect(exact.errors).toBeUndefined();
    expect(exact.data.placeOrder.status).toBe("FULFILLED");
    const { pool, summary } = await poolOfAccount(domain, admin);
    expect(pool).toMatchObject({ purchased: MAX, inUse: 0, available: MAX, shortage: 0 });
    expect(summary.reduce((sum, row) => sum + row.purchased, 0)).toBe(MAX);
    expect((await subtreePool(defaultVa, admin)).purchased).toBe(1000);
    await refused(() => place(1));
  });

  it("R27 placeOrder into a PENDING account adds to no pool; activating refuses (CONFLICT) if fulfilment would pass Int", async () => {
    const pending = await server.build.account("r27-activate.com", { status: SmartAccountStatus.PENDING });
    await pending.grant("approver@r27-activate.com", Role.SMART_ACCOUNT_APPROVER);
    await pending.license(pending.defaultVirtualAccount, SKU, MAX - 10);
    const place = (quantity: number) =>
      server.gql(PLACE, { input: { smartAccountDomain: "r27-activate.com", lines: [{ sku: SKU, quantity }] } }, INTEGRATION, "orders:write");
    const booked = await place(11);
    expect(booked.data.placeOrder.status).toBe("PENDING");
    await refused(() => server.gql(ACTIVATE, { id: gid("SmartAccount", pending.id) }, "approver@r27-activate.com"));
    // with one licence less the same activation goes through, at exactly Int
    await server.db.dataSource.query("UPDATE licenses SET quantity = ? WHERE smart_account_id = ? AND order_id IS NULL", [MAX - 11, pending.id]);
    await rebuildPools(server.db.manager, server.clock.now(), sql`va.smart_account_id = ${pending.id}`);
    const activated = await server.gql(ACTIVATE, { id: gid("SmartAccount", pending.id) }, "approver@r27-activate.com");
    expect(activated.errors).toBeUndefined();
    expect(activated.data.activateSmartAccount.status).toBe("ACTIVE");
    expect((await poolOfAccount("r27-activate.com", "approver@r27-activate.com")).pool.purchased).toBe(MAX);
  });

  it("R27 assignOrder from a PARTNER_HOLDING account: past Int at the customer → CONFLICT, the order stays; exactly Int is accepted", async () => {
    const holding = await account("r27-holding.com", { type: SmartAccountType.PARTNER_HOLDING });
    const customer = await account("r27-customer.com");
    await customer.built.license(customer.defaultVa, SKU, MAX - 1000);
    const big = await holding.built.order([
      { sku: SKU, quantity: 600 },
      { sku: SKU, quantity: 401 },
    ]);
    const fits = await holding.built.order([{ sku: SKU, quantity: 1000 }]);
    const assign = (orderId: number) =>
      server.gql(ASSIGN, { input: { orderId: gid("Order", orderId), smartAccountDomain: "r27-customer.com" } }, holding.admin);
    await refused(() => assign(big.order.id));
    const ok = await assign(fits.order.id);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.assignOrder.status).toBe("FULFILLED");
    const { pool, summary } = await poolOfAccount("r27-customer.com", customer.admin);
    expect(pool).toMatchObject({ purchased: MAX, available: MAX });
    expect(summary.map((row) => row.purchased)).toEqual([MAX]);
    await refused(() => assign(big.order.id));
  });

  it("R27 assignOrder into a PENDING customer counts the withheld lots too", async () => {
    const holding = await account("r27-holding2.com", { type: SmartAccountType.PARTNER_HOLDING });
    const customer = await server.build.account("r27-pending-customer.com", { status: SmartAccountStatus.PENDING });
    await customer.license(customer.defaultVirtualAccount, SKU, MAX);
    const { order } = await holding.built.order([{ sku: SKU, quantity: 1 }]);
    await refused(() =>
      server.gql(ASSIGN, { input: { orderId: gid("Order", order.id), smartAccountDomain: "r27-pending-customer.com" } }, holding.admin),
    );
  });

  it("R27 transferLicenses into another Smart Account: past Int there → CONFLICT, nothing moved; exactly Int is accepted", async () => {
    const source = await account("r27-source.com");
    const target = await account("r27-target.com");
    const mover = "mover@r27.example";
    await source.built.grant(mover, Role.SMART_ACCOUNT_ADMIN);
    await target.built.grant(mover, Role.SMART_ACCOUNT_ADMIN);
    await source.built.license(source.defaultVa, SKU, 5000, { tags: ["moved"] });
    await target.built.license(target.defaultVa, SKU, MAX - 1000);
    const transfer = (quantity: number) =>
      server.gql(
        TRANSFER,
        {
          input: {
            fromVirtualAccountId: gid("VirtualAccount", source.defaultVa.id),
            toVirtualAccountId: gid("VirtualAccount", target.defaultVa.id),
            sku: SKU,
            quantity,
          },
        },
        mover,
      );
    await refused(() => transfer(1001));
    const ok = await transfer(1000);
    expect(ok.errors).toBeUndefined();
    expect((await poolOfAccount("r27-target.com", target.admin)).pool.purchased).toBe(MAX);
    expect((await poolOfAccount("r27-source.com", source.admin)).pool.purchased).toBe(4000);
    await refused(() => transfer(1));
    // within one Smart Account the account's sums do not change: a full pool still moves between its Virtual Accounts
    const [eu] = await target.built.chain("EU");
    const inside = await server.gql(
      TRANSFER,
      {
        input: {
          fromVirtualAccountId: gid("VirtualAccount", target.defaultVa.id),
          toVirtualAccountId: gid("VirtualAccount", eu.id),
          sku: SKU,
          quantity: 1_000_000_000,
        },
      },
      target.admin,
    );
    expect(inside.errors).toBeUndefined();
    expect((await subtreePool(eu, target.admin)).purchased).toBe(1_000_000_000);
    expect((await poolOfAccount("r27-target.com", target.admin)).pool.purchased).toBe(MAX);
  });

  it("R27 convertClassicLicense adds SMART licenses: past Int → CONFLICT, the classic lot unchanged; exactly Int is accepted", async () => {
    const { built, admin, domain, defaultVa } = await account("r27-convert.com");
    await built.license(defaultVa, SKU, MAX - 1000);
    const classic = await built.license(defaultVa, SKU, 5000, { kind: LicenseKind.CLASSIC });
    const convert = (quantity: number) => server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity } }, admin);
    await refused(() => convert(1001));
    const ok = await convert(1000);
    expect(ok.errors).toBeUndefined();
    expect((await poolOfAccount(domain, admin)).pool.purchased).toBe(MAX);
  });

  it("R27 reportUsage: inUse past Int account-wide → CONFLICT, usage and lastReportedAt unchanged; exactly Int is accepted", async () => {
    const { built, admin, domain, defaultVa } = await account("r27-usage.com");
    const [us] = await built.chain("US");
    await built.device(us, "C9300-24T", "R27USAGE1", { usage: [{ sku: SKU, count: MAX - 1000 }] });
    const { credential } = await built.device(defaultVa, "C9300-24T", "R27USAGE2", { usage: [{ sku: SKU, count: 5 }], lastReportedAt: null });
    const report = (count: number) => server.gql(REPORT, { input: { credential, usage: [{ sku: SKU, count }] } }, null);
    await refused(() => report(1001));
    const ok = await report(1000);
    expect(ok.errors).toBeUndefined();
    const { pool } = await poolOfAccount(domain, admin);
    expect(pool).toMatchObject({ purchased: 0, inUse: MAX, available: 0, shortage: MAX, status: "OUT_OF_COMPLIANCE" });
    await refused(() => report(1001));
    // reporting less always fits
    expect((await report(0)).errors).toBeUndefined();
  });

  it("R27 transferProductInstance into another Smart Account: its usage past Int there → CONFLICT, the device stays; exactly Int is accepted", async () => {
    const source = await account("r27-devices-from.com");
    const target = await account("r27-devices-to.com");
    const mover = "device-mover@r27.example";
    await source.built.grant(mover, Role.SMART_ACCOUNT_ADMIN);
    await target.built.grant(mover, Role.SMART_ACCOUNT_ADMIN);
    await target.built.device(target.defaultVa, "C9300-24T", "R27TARGET", { usage: [{ sku: SKU, count: MAX - 1000 }] });
    const { device: tooBig } = await source.built.device(source.defaultVa, "C9300-24T", "R27BIG", { usage: [{ sku: SKU, count: 1001 }] });
    const { device: fits } = await source.built.device(source.defaultVa, "C9300-24T", "R27FITS", { usage: [{ sku: SKU, count: 1000 }] });
    const move = (id: number) =>
      server.gql(
        TRANSFER_DEVICE,
        { input: { id: gid("ProductInstance", id), toVirtualAccountId: gid("VirtualAccount", target.defaultVa.id) } },
        mover,
      );
    await refused(() => move(tooBig.id));
    const ok = await move(fits.id);
    expect(ok.errors).toBeUndefined();
    expect((await poolOfAccount("r27-devices-to.com", target.admin)).pool.inUse).toBe(MAX);
  });
});
