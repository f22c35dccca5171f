import { randomBytes } from "node:crypto";
import { LicenseKind, LicenseUsage, Product, ProductInstance, Role, VirtualAccount } from "../entities";
import { codeOf, startTestServer, TestServer } from "./support/harness";
import { accounts, days, START } from "./support/fixtures";
import { gid } from "./support/ids";
import { addUsage } from "../src/licenses/kept-pools";

/** Rules R27 (license pools) and R28 (alerts). */

interface Pool {
  product: { sku: string };
  purchased: number;
  inUse: number;
  available: number;
  shortage: number;
  status: string;
  nextExpiry: string | null;
}
interface AlertRow {
  type: string;
  severity: string;
  quantity: number | null;
  dueAt: string | null;
  message: string;
  virtualAccount: { id: string };
  product: { sku: string } | null;
}

const POOL_FIELDS = "product { sku } purchased inUse available shortage status nextExpiry";
const ALERT_FIELDS = "type severity quantity dueAt message virtualAccount { id } product { sku }";
const VA_POOLS = `query($id: ID!, $deep: Boolean) { node(id: $id) { ... on VirtualAccount { licensePools(includeDescendants: $deep) { ${POOL_FIELDS} } } } }`;
const SA_POOLS = `query($domain: String!) { smartAccount(domain: $domain) { licensePools { ${POOL_FIELDS} } } }`;
const VA_ALERTS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount { alerts { ${ALERT_FIELDS} } } } }`;
const SA_ALERTS = `query($domain: String!) { smartAccount(domain: $domain) { alerts { ${ALERT_FIELDS} } } }`;

describe("rules R27, R28: license pools and alerts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.set(START));

  const account = accounts(() => server);

  const vaId = (va: VirtualAccount) => gid("VirtualAccount", va.id);

  /** A device in `va` consuming `count` of `sku` (usage rows written directly: R24/R25 are another feature). */
  async function usage(va: VirtualAccount, counts: Record<string, number>) {
    const { manager } = server.db;
    const device = await manager.save(
      manager.create(ProductInstance, {
        smartAccountId: va.smartAccountId,
        virtualAccountId: va.id,
        pid: "C9300-24T",
        serialNumber: `FOC${randomBytes(5).toString("hex")}`,
        hostname: null,
        credentialHash: randomBytes(32).toString("hex"),
        registrationTokenId: null,
        registeredAt: server.clock.now(),
        lastReportedAt: server.clock.now(),
      }),
    );
    for (const [sku, count] of Object.entries(counts)) {
      const product = await manager.findOneByOrFail(Product, { sku });
      await manager.insert(LicenseUsage, { productInstanceId: device.id, productId: product.id, count });
      await addUsage(manager, [{ virtualAccountId: va.id, productId: product.id, delta: count }], server.clock.now());
    }
    return device;
  }

  const bySku = (pools: Pool[]) => Object.fromEntries(pools.map(({ product, ...rest }) => [product.sku, rest]));

  async function vaPools(va: VirtualAccount, as: string, deep = false) {
    const result = await server.gql(VA_POOLS, { id: vaId(va), deep }, as);
    expect(result.errors).toBeUndefined();
    return bySku(result.data.node.licensePools);
  }

  async function poolsOfAccount(domain: string, as: string) {
    const result = await server.gql(SA_POOLS, { domain }, as);
    expect(result.errors).toBeUndefined();
    return bySku(result.data.smartAccount.licensePools);
  }

  const pool = (purchased: number, inUse = 0, nextExpiry: Date | null = null) => ({
    purchased,
    inUse,
    available: Math.max(purchased - inUse, 0),
    shortage: Math.max(inUse - purchased, 0),
    status: inUse > purchased ? "OUT_OF_COMPLIANCE" : "AUTHORIZED",
    nextExpiry: nextExpiry?.toISOString() ?? null,
  });

  const summary = (alerts: AlertRow[]) =>
    alerts
      .map((a) => ({
        type: a.type,
        severity: a.severity,
        quantity: a.quantity,
        dueAt: a.dueAt,
        va: a.virtualAccount.id,
        sku: a.product?.sku ?? null,
      }))
      .sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));

  describe("R27 pools", () => {
    it("R27 purchased = Σ active SMART lots per Virtual Account and product; CLASSIC and expired lots excluded", async () => {
      const { built, admin, defaultVa } = await account("r27-purchased.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 10);
      await built.license(defaultVa, "C9300-NW-A", 5);
      await built.license(defaultVa, "C9300-NW-A", 7, { kind: LicenseKind.CLASSIC });
      await built.license(defaultVa, "C9300-NW-A", 9, { startsAt: days(-500), endsAt: days(-1) });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 3, { startsAt: days(-10), endsAt: days(300) });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 4, { startsAt: days(-10), endsAt: days(200) });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 1, { startsAt: days(-500), endsAt: days(-100) });
      await built.license(defaultVa, "L-ASA5506-SEC-PL", 6, { kind: LicenseKind.CLASSIC });
      await built.license(us, "C9300-NW-A", 2);
      expect(await vaPools(defaultVa, admin)).toEqual({
        "C9300-NW-A": pool(15),
        "C9300-DNA-A-3Y": pool(7, 0, days(200)),
      });
      expect(await vaPools(us, admin)).toEqual({ "C9300-NW-A": pool(2) });
      expect(await poolsOfAccount("r27-purchased.com", admin)).toEqual({
        "C9300-NW-A": pool(17),
        "C9300-DNA-A-3Y": pool(7, 0, days(200)),
      });
    });

    it("R27 nextExpiry is the earliest end among active SMART term lots, ignoring expired and CLASSIC ones", async () => {
      const { built, admin, defaultVa } = await account("r27-expiry.com");
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1, { startsAt: days(-500), endsAt: days(-2) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1, { kind: LicenseKind.CLASSIC, startsAt: days(-10), endsAt: days(5) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1, { startsAt: days(-10), endsAt: days(40) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1, { startsAt: days(-10), endsAt: days(30) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1);
      expect((await vaPools(defaultVa, admin))["C9300-DNA-E-3Y"]).toEqual(pool(3, 0, days(30)));
      server.clock.set(days(31));
      expect((await vaPools(defaultVa, admin))["C9300-DNA-E-3Y"]).toEqual(pool(2, 0, days(40)));
      server.clock.set(days(41));
      expect((await vaPools(defaultVa, admin))["C9300-DNA-E-3Y"]).toEqual(pool(1, 0, null));
    });

    it("R27 includeDescendants sums the subtree; without it only the Virtual Account's own lots", async () => {
      const { built, admin, defaultVa } = await account("r27-subtree.com");
      const [us, finance, sacramento] = await built.chain("US", "Finance", "Sacramento");
      const eu = await built.virtualAccount("EU");
      await built.license(us, "ISR4K-SEC", 1);
      await built.license(finance, "ISR4K-SEC", 2);
      await built.license(sacramento, "ISR4K-SEC", 4);
      await built.license(sacramento, "WLC-AP-ADDER", 3);
      await built.license(eu, "ISR4K-SEC", 8);
      await built.license(defaultVa, "ISR4K-SEC", 16);
      await usage(finance, { "ISR4K-SEC": 5 });
      expect(await vaPools(us, admin)).toEqual({ "ISR4K-SEC": pool(1) });
      expect(await vaPools(us, admin, true)).toEqual({ "ISR4K-SEC": pool(7, 5), "WLC-AP-ADDER": pool(3) });
      expect(await vaPools(finance, admin, true)).toEqual({ "ISR4K-SEC": pool(6, 5), "WLC-AP-ADDER": pool(3) });
      expect(await vaPools(finance, admin)).toEqual({ "ISR4K-SEC": pool(2, 5) });
      expect(await vaPools(sacramento, admin, true)).toEqual(await vaPools(sacramento, admin));
      expect(await vaPools(eu, admin, true)).toEqual({ "ISR4K-SEC": pool(8) });
      expect(await poolsOfAccount("r27-subtree.com", admin)).toEqual({ "ISR4K-SEC": pool(31, 5), "WLC-AP-ADDER": pool(3) });
    });

    it("R27 SmartAccount.licensePools sums only the Virtual Accounts the viewer can see", async () => {
      const { built, admin, domain, defaultVa } = await account("r27-visible.com");
      const [us, finance] = await built.chain("US", "Finance");
      const eu = await built.virtualAccount("EU");
      await built.license(us, "C9300-NW-E", 1);
      await built.license(finance, "C9300-NW-E", 2);
      await built.license(eu, "C9300-NW-E", 4);
      await built.license(eu, "UC-CUCM-USR", 50);
      await built.license(defaultVa, "C9300-NW-E", 8);
      await usage(eu, { "C9300-NW-E": 3 });
      await usage(finance, { "C9300-NW-E": 1 });
      await built.grant("va-user@r27-visible.com", Role.VIRTUAL_ACCOUNT_USER, us);
      await built.grant("fin-viewer@r27-visible.com", Role.VIRTUAL_ACCOUNT_VIEWER, finance);
      await built.grant("sa-viewer@r27-visible.com", Role.SMART_ACCOUNT_VIEWER);
      const everything = { "C9300-NW-E": pool(15, 4), "UC-CUCM-USR": pool(50) };
      expect(await poolsOfAccount(domain, admin)).toEqual(everything);
      expect(await poolsOfAccount(domain, "sa-viewer@r27-visible.com")).toEqual(everything);
      expect(await poolsOfAccount(domain, "va-user@r27-visible.com")).toEqual({ "C9300-NW-E": pool(3, 1) });
      expect(await poolsOfAccount(domain, "fin-viewer@r27-visible.com")).toEqual({ "C9300-NW-E": pool(2, 1) });
      // Several grants add up.
      await built.grant("va-user@r27-visible.com", Role.VIRTUAL_ACCOUNT_VIEWER, eu);
      expect(await poolsOfAccount(domain, "va-user@r27-visible.com")).toEqual({ "C9300-NW-E": pool(7, 4), "UC-CUCM-USR": pool(50) });
      // The approver may not see pools at all.
      await built.grant("approver@r27-visible.com", Role.SMART_ACCOUNT_APPROVER);
      const approver = await server.gql(SA_POOLS, { domain }, "approver@r27-visible.com");
      expect(approver.data.smartAccount.licensePools).toBeNull();
      expect(codeOf(approver)).toBe("FORBIDDEN");
    });

    it("R27 inUse is 0 without devices; usage drives inUse, shortage and OUT_OF_COMPLIANCE", async () => {
      const { built, admin, defaultVa } = await account("r27-usage.com");
      const us = await built.virtualAccount("US");
      await built.license(us, "C9300-NW-A", 10);
      await built.license(us, "C9300-DNA-A-3Y", 2, { startsAt: days(-10), endsAt: days(500) });
      expect(await vaPools(us, admin)).toEqual({ "C9300-NW-A": pool(10), "C9300-DNA-A-3Y": pool(2, 0, days(500)) });

      await usage(us, { "C9300-NW-A": 4, "C9300-DNA-A-3Y": 2 });
      expect(await vaPools(us, admin)).toEqual({ "C9300-NW-A": pool(10, 4), "C9300-DNA-A-3Y": pool(2, 2, days(500)) });

      await usage(us, { "C9300-NW-A": 9, "ISR4K-PERF-1G": 3 });
      const pools = await vaPools(us, admin);
      expect(pools).toEqual({
        "C9300-NW-A": { purchased: 10, inUse: 13, available: 0, shortage: 3, status: "OUT_OF_COMPLIANCE", nextExpiry: null },
        "C9300-DNA-A-3Y": pool(2, 2, days(500)),
        // Usage with nothing bought still shows as a pool (R27: either side non-zero).
        "ISR4K-PERF-1G": { purchased: 0, inUse: 3, available: 0, shortage: 3, status: "OUT_OF_COMPLIANCE", nextExpiry: null },
      });
      // Usage in US does not count in another Virtual Account.
      expect(await vaPools(defaultVa, admin)).toEqual({});
    });
  });

  describe("R28 alerts", () => {
    /**
     * The service's order (byUrgency in src/licenses/alerts.ts): MAJOR before MINOR; within a severity the
     * soonest due first, an alert without a due date (a shortage, a silent device) counting as due first of
     * all; then by Virtual Account (id), then by product (id). Ties beyond that (two silent devices of one
     * Virtual Account, two lots of one product in one Virtual Account ending at the same moment) keep the
     * database's row order, which nothing fixes: the fixtures below have none.
     */
    const ORDERED_ALERTS = `query($domain: String!, $va: ID!) {
      smartAccount(domain: $domain) { alerts { type severity message virtualAccount { name } } }
      node(id: $va) { ... on VirtualAccount { alerts { type severity message } } }
    }`;

    it("R28 alerts: the exact messages, in the service's order (MAJOR, then soonest due, then Virtual Account, then product)", async () => {
      const { built, admin, domain, defaultVa } = await account("r28-order.com");
      const us = await built.virtualAccount("US");
      // Default: a shortage, a lot that ended 30 days ago, one ending within the day, a device silent for 40 days.
      await built.license(defaultVa, "C9300-NW-A", 2);
      await usage(defaultVa, { "C9300-NW-A": 5 });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 4, { startsAt: days(-1000), endsAt: days(-30) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 1, { startsAt: days(-1000), endsAt: days(0.5) });
      await built.device(defaultVa, "C9300-24T", "FOC-SILENT", { registeredAt: days(-100), lastReportedAt: days(-40) });
      // US: a shortage, a lot that ended 10 days ago, one ending in 30 days, a device (with a hostname) registered 50 days ago that never reported.
      await built.license(us, "ISR4K-SEC", 1);
      await usage(us, { "ISR4K-SEC": 2 });
      await built.license(us, "C9300-DNA-A-3Y", 2, { startsAt: days(-1000), endsAt: days(-10) });
      await built.license(us, "C9300-DNA-A-3Y", 6, { startsAt: days(-1000), endsAt: days(30) });
      await built.device(us, "ISR4451-X", "FGL-QUIET", { hostname: "edge-1", registeredAt: days(-50), lastReportedAt: null });

      const expected = [
        ["Default", "INSUFFICIENT_LICENSES", "MAJOR", '"Default" uses 5 C9300-NW-A but holds 2: 3 short.'],
        ["US", "INSUFFICIENT_LICENSES", "MAJOR", '"US" uses 2 ISR4K-SEC but holds 1: 1 short.'],
        ["Default", "LICENSES_EXPIRED", "MAJOR", '4 C9300-DNA-A-3Y in "Default" expired on 2026-10-24.'],
        ["US", "LICENSES_EXPIRED", "MAJOR", '2 C9300-DNA-A-3Y in "US" expired on 2026-11-13.'],
        ["Default", "PRODUCT_INSTANCE_NOT_REPORTING", "MINOR", 'C9300-24T FOC-SILENT in "Default" has not reported for 40 days.'],
        ["US", "PRODUCT_INSTANCE_NOT_REPORTING", "MINOR", 'edge-1 in "US" has not reported for 50 days.'],
        ["Default", "LICENSES_EXPIRING", "MINOR", '1 C9300-DNA-E-3Y in "Default" expire within a day (2026-11-23).'],
        ["US", "LICENSES_EXPIRING", "MINOR", '6 C9300-DNA-A-3Y in "US" expire in 30 days (2026-12-23).'],
      ];
      // The same answer on every read (no order left to chance).
      for (let read = 0; read < 3; read++) {
        const result = await server.gql(ORDERED_ALERTS, { domain, va: vaId(us) }, admin);
        expect(result.errors).toBeUndefined();
        expect(
          result.data.smartAccount.alerts.map((a: AlertRow & { virtualAccount: { name: string } }) => [
            a.virtualAccount.name,
            a.type,
            a.severity,
            a.message,
          ]),
        ).toEqual(expected);
        expect(result.data.node.alerts.map((a: AlertRow) => [a.type, a.severity, a.message])).toEqual(
          expected.filter(([va]) => va === "US").map(([, type, severity, message]) => [type, severity, message]),
        );
      }
    });

    it("R28 alerts: within one Virtual Account and severity, soonest due first, then by product; messages per kind", async () => {
      const { built, admin, defaultVa } = await account("r28-order-va.com");
      const [nw, sec] = await Promise.all(["C9300-NW-A", "ISR4K-SEC"].map((sku) => server.db.manager.findOneByOrFail(Product, { sku })));
      await built.license(defaultVa, "C9300-NW-A", 1);
      await built.license(defaultVa, "ISR4K-SEC", 1);
      await usage(defaultVa, { "C9300-NW-A": 3, "ISR4K-SEC": 4 });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 7, { startsAt: days(-1000), endsAt: days(60) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 8, { startsAt: days(-1000), endsAt: days(2) });
      await built.license(defaultVa, "ASAv10-THREAT-1Y", 9, { startsAt: days(-300), endsAt: days(-89) });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 3, { startsAt: days(-1000), endsAt: days(-1) });
      const shortages = [
        { id: nw.id, message: '"Default" uses 3 C9300-NW-A but holds 1: 2 short.' },
        { id: sec.id, message: '"Default" uses 4 ISR4K-SEC but holds 1: 3 short.' },
      ]
        .sort((a, b) => a.id - b.id)
        .map(({ message }) => ["INSUFFICIENT_LICENSES", message]);
      const result = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.node.alerts.map((a: AlertRow) => [a.type, a.message])).toEqual([
        ...shortages,
        ["LICENSES_EXPIRED", '9 ASAv10-THREAT-1Y in "Default" expired on 2026-08-26.'],
        ["LICENSES_EXPIRED", '3 C9300-DNA-E-3Y in "Default" expired on 2026-11-22.'],
        ["LICENSES_EXPIRING", '8 C9300-DNA-E-3Y in "Default" expire in 2 days (2026-11-25).'],
        ["LICENSES_EXPIRING", '7 C9300-DNA-A-3Y in "Default" expire in 60 days (2027-01-22).'],
      ]);
    });

    it("R28 INSUFFICIENT_LICENSES is MAJOR with quantity = shortage", async () => {
      const { built, admin, defaultVa } = await account("r28-short.com");
      await built.license(defaultVa, "C9300-NW-A", 4);
      await usage(defaultVa, { "C9300-NW-A": 3 });
      const none = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(none.errors).toBeUndefined();
      expect(none.data.node.alerts).toEqual([]);
      await usage(defaultVa, { "C9300-NW-A": 3, "UC-CUCM-USR": 2 });
      const result = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(result.errors).toBeUndefined();
      expect(summary(result.data.node.alerts)).toEqual(
        summary([
          {
            type: "INSUFFICIENT_LICENSES",
            severity: "MAJOR",
            quantity: 2,
            dueAt: null,
            message: "",
            virtualAccount: { id: vaId(defaultVa) },
            product: { sku: "C9300-NW-A" },
          },
          {
            type: "INSUFFICIENT_LICENSES",
            severity: "MAJOR",
            quantity: 2,
            dueAt: null,
            message: "",
            virtualAccount: { id: vaId(defaultVa) },
            product: { sku: "UC-CUCM-USR" },
          },
        ]),
      );
      for (const alert of result.data.node.alerts as AlertRow[]) expect(alert.message.length).toBeGreaterThan(0);
    });

    it("R28 LICENSES_EXPIRING (MINOR, dueAt = end) within 90 days; none for a lot ending in 91 days", async () => {
      const { built, admin, defaultVa } = await account("r28-expiring.com");
      const soon = days(30);
      const edge = new Date(days(90).getTime() - 60_000);
      await built.license(defaultVa, "C9300-DNA-A-3Y", 5, { startsAt: days(-1000), endsAt: soon });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 2, { startsAt: days(-1000), endsAt: edge });
      await built.license(defaultVa, "ASAv10-THREAT-1Y", 7, { startsAt: days(-270), endsAt: days(91) });
      await built.license(defaultVa, "C9300-NW-A", 7);
      const result = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(result.errors).toBeUndefined();
      expect(summary(result.data.node.alerts)).toEqual(
        summary([
          {
            type: "LICENSES_EXPIRING",
            severity: "MINOR",
            quantity: 5,
            dueAt: soon.toISOString(),
            message: "",
            virtualAccount: { id: vaId(defaultVa) },
            product: { sku: "C9300-DNA-A-3Y" },
          },
          {
            type: "LICENSES_EXPIRING",
            severity: "MINOR",
            quantity: 2,
            dueAt: edge.toISOString(),
            message: "",
            virtualAccount: { id: vaId(defaultVa) },
            product: { sku: "C9300-DNA-E-3Y" },
          },
        ]),
      );
      // A day later the 91-day lot is within the window.
      server.clock.advanceDays(1.5);
      const later = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(later.data.node.alerts.map((a: AlertRow) => a.product?.sku).sort()).toEqual(["ASAv10-THREAT-1Y", "C9300-DNA-A-3Y", "C9300-DNA-E-3Y"]);
    });

    it("R28 LICENSES_EXPIRED (MAJOR) for a lot that ended within the last 90 days; none after 91 days", async () => {
      const { built, admin, defaultVa } = await account("r28-expired.com");
      const ended = days(-30);
      await built.license(defaultVa, "C9300-DNA-A-3Y", 3, { startsAt: days(-1000), endsAt: ended });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 4, { startsAt: days(-1000), endsAt: days(-91) });
      const result = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(result.errors).toBeUndefined();
      expect(summary(result.data.node.alerts)).toEqual(
        summary([
          {
            type: "LICENSES_EXPIRED",
            severity: "MAJOR",
            quantity: 3,
            dueAt: ended.toISOString(),
            message: "",
            virtualAccount: { id: vaId(defaultVa) },
            product: { sku: "C9300-DNA-A-3Y" },
          },
        ]),
      );
      // 61 days on, the first lot ended 91 days ago: no alert left.
      server.clock.advanceDays(61);
      const later = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(later.data.node.alerts).toEqual([]);
    });

    it("R28 a lot expiring under usage turns into LICENSES_EXPIRED plus INSUFFICIENT_LICENSES", async () => {
      const { built, admin, defaultVa } = await account("r28-turn.com");
      const end = days(10);
      await built.license(defaultVa, "C9300-DNA-A-3Y", 5, { startsAt: days(-1000), endsAt: end });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 1);
      await usage(defaultVa, { "C9300-DNA-A-3Y": 4 });
      const before = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(summary(before.data.node.alerts).map((a) => [a.type, a.severity, a.quantity])).toEqual([["LICENSES_EXPIRING", "MINOR", 5]]);
      server.clock.set(days(11));
      const after = await server.gql(VA_ALERTS, { id: vaId(defaultVa) }, admin);
      expect(summary(after.data.node.alerts).map((a) => [a.type, a.severity, a.quantity, a.dueAt])).toEqual([
        ["INSUFFICIENT_LICENSES", "MAJOR", 3, null],
        ["LICENSES_EXPIRED", "MAJOR", 5, end.toISOString()],
      ]);
    });

    it("R28 VirtualAccount.alerts covers its own lots; SmartAccount.alerts covers the viewer's visible Virtual Accounts only", async () => {
      const { built, admin, domain, defaultVa } = await account("r28-scope.com");
      const [us, finance] = await built.chain("US", "Finance");
      const eu = await built.virtualAccount("EU");
      await built.license(us, "C9300-DNA-A-3Y", 1, { startsAt: days(-1000), endsAt: days(10) });
      await built.license(finance, "C9300-DNA-A-3Y", 2, { startsAt: days(-1000), endsAt: days(20) });
      await built.license(eu, "C9300-DNA-A-3Y", 3, { startsAt: days(-1000), endsAt: days(-10) });
      await usage(eu, { "C9300-NW-A": 6 });
      await built.license(defaultVa, "C9300-DNA-E-3Y", 4, { startsAt: days(-1000), endsAt: days(60) });

      const vaAlerts = async (va: VirtualAccount, as: string) => {
        const result = await server.gql(VA_ALERTS, { id: vaId(va) }, as);
        expect(result.errors).toBeUndefined();
        return summary(result.data.node.alerts).map((a) => [a.va, a.type, a.quantity]);
      };
      const accountAlerts = async (as: string) => {
        const result = await server.gql(SA_ALERTS, { domain }, as);
        expect(result.errors).toBeUndefined();
        return summary(result.data.smartAccount.alerts).map((a) => [a.va, a.type, a.quantity]);
      };
      expect(await vaAlerts(us, admin)).toEqual([[vaId(us), "LICENSES_EXPIRING", 1]]);
      expect(await vaAlerts(finance, admin)).toEqual([[vaId(finance), "LICENSES_EXPIRING", 2]]);
      expect((await vaAlerts(eu, admin)).sort()).toEqual(
        [
          [vaId(eu), "INSUFFICIENT_LICENSES", 6],
          [vaId(eu), "LICENSES_EXPIRED", 3],
        ].sort(),
      );
      const all = [
        [vaId(us), "LICENSES_EXPIRING", 1],
        [vaId(finance), "LICENSES_EXPIRING", 2],
        [vaId(eu), "INSUFFICIENT_LICENSES", 6],
        [vaId(eu), "LICENSES_EXPIRED", 3],
        [vaId(defaultVa), "LICENSES_EXPIRING", 4],
      ];
      expect((await accountAlerts(admin)).sort()).toEqual([...all].sort());

      await built.grant("us-user@r28-scope.com", Role.VIRTUAL_ACCOUNT_USER, us);
      expect((await accountAlerts("us-user@r28-scope.com")).sort()).toEqual(
        [
          [vaId(us), "LICENSES_EXPIRING", 1],
          [vaId(finance), "LICENSES_EXPIRING", 2],
        ].sort(),
      );
      await built.grant("eu-viewer@r28-scope.com", Role.VIRTUAL_ACCOUNT_VIEWER, eu);
      expect((await accountAlerts("eu-viewer@r28-scope.com")).sort()).toEqual(
        [
          [vaId(eu), "INSUFFICIENT_LICENSES", 6],
          [vaId(eu), "LICENSES_EXPIRED", 3],
        ].sort(),
      );
      // A Virtual Account outside the viewer's scope: invisible, so no alerts through node(id:) either.
      const hidden = await server.gql(VA_ALERTS, { id: vaId(eu) }, "us-user@r28-scope.com");
      expect(hidden.data.node).toBeNull();
      // The approver may not read alerts.
      await built.grant("approver@r28-scope.com", Role.SMART_ACCOUNT_APPROVER);
      const approver = await server.gql(SA_ALERTS, { domain }, "approver@r28-scope.com");
      expect(approver.data.smartAccount.alerts).toBeNull();
      expect(codeOf(approver)).toBe("FORBIDDEN");
    });
  });
});
