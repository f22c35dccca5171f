/**
 * R19 under concurrency: 50 `transferLicenses` mutations in flight at once over HTTP between two Virtual
 * Accounts of one Smart Account, in both directions, some asking for more than the source holds. On
 * MySQL/MariaDB this exercises the row locks (SELECT … FOR UPDATE on both Virtual Accounts in id order,
 * then the source lots); on SQLite the serialised write queue.
 *
 * Afterwards: the product's total over all lots is unchanged (R19), no lot and no pool is negative, every
 * response is a success or a CONFLICT (R3: never INTERNAL_SERVER_ERROR, i.e. no deadlock or lock timeout
 * leaking out), each pool equals its start plus the successful transfers in minus those out (no lost
 * update), and there is exactly one LICENSES_TRANSFERRED event per successful transfer (R29).
 */
import { Role, VirtualAccount } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { countRows } from "./support/db-counts";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";

const SKU = "C9300-NW-A"; // PERPETUAL, smart-enabled
const TERM_SKU = "C9300-DNA-A-3Y"; // TERM, smart-enabled: a bystander product that must not change
const ADMIN = "admin@race.test";
const TRANSFERS = 50;

const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
  transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) { quantity }
}`;

const POOLS = `query($ids: [ID!]!) {
  nodes(ids: $ids) { ... on VirtualAccount { id licensePools { purchased available product { sku } } } }
}`;

describe("R19 concurrent transfers", () => {
  let server: TestServer;
  let acme: AccountBuilder;
  let east: VirtualAccount;
  let west: VirtualAccount;

  beforeAll(async () => {
    server = await startTestServer();
    acme = await server.build.account("race.test");
    east = await acme.virtualAccount("East");
    west = await acme.virtualAccount("West");
    await acme.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
    // East holds 30 in three lots (two term-dated, one perpetual), West 20 in two: transfers must split them.
    const now = server.clock.now().getTime();
    await acme.license(east, SKU, 10, { endsAt: new Date(now + 200 * 86_400_000) });
    await acme.license(east, SKU, 12, { endsAt: new Date(now + 400 * 86_400_000) });
    await acme.license(east, SKU, 8);
    await acme.license(west, SKU, 15);
    await acme.license(west, SKU, 5, { tags: ["spare"] });
    await acme.license(west, TERM_SKU, 9, { endsAt: new Date(now + 300 * 86_400_000) });
  });
  afterAll(() => server.close());

  async function lotTotals(sku: string) {
    const rows: { n: unknown; negative: unknown; lots: unknown }[] = await server.db.dataSource.query(
      `SELECT COALESCE(SUM(l.quantity), 0) AS n, COALESCE(SUM(CASE WHEN l.quantity < 0 THEN 1 ELSE 0 END), 0) AS negative, COUNT(*) AS lots
         FROM licenses l JOIN products p ON p.id = l.product_id WHERE p.sku = ?`,
      [sku],
    );
    return { total: Number(rows[0].n), negative: Number(rows[0].negative), lots: Number(rows[0].lots) };
  }

  async function held(va: VirtualAccount, sku: string): Promise<number> {
    const rows: { n: unknown }[] = await server.db.dataSource.query(
      "SELECT COALESCE(SUM(l.quantity), 0) AS n FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.virtual_account_id = ? AND p.sku = ?",
      [va.id, sku],
    );
    return Number(rows[0].n);
  }

  /** Pools of both Virtual Accounts through the API, in one request (one pool statement). */
  async function pools(): Promise<Map<string, { purchased: number; available: number }>> {
    const result = await server.gql(POOLS, { ids: [gid("VirtualAccount", east.id), gid("VirtualAccount", west.id)] }, ADMIN);
    expect(result.errors).toBeUndefined();
    const out = new Map<string, { purchased: number; available: number }>();
    for (const node of result.data.nodes as { id: string; licensePools: { purchased: number; available: number; product: { sku: string } }[] }[]) {
      const pool = node.licensePools.find((p) => p.product.sku === SKU);
      out.set(node.id === gid("VirtualAccount", east.id) ? "East" : "West", { purchased: pool?.purchased ?? 0, available: pool?.available ?? 0 });
    }
    return out;
  }

  it("50 parallel transfers in both directions: totals kept, nothing negative, only success or CONFLICT, one event per success", async () => {
    const before = await lotTotals(SKU);
    const bystander = await lotTotals(TERM_SKU);
    expect(before.total).toBe(50);
    const eventsBefore = await countRows(server, "events", "type = 'LICENSES_TRANSFERRED'");

    // Deterministic mix: alternate directions; quantities 1–25, and every seventh asks for more than the
    // whole product held anywhere (always CONFLICT); the rest conflict only when the source ran short.
    const requests = Array.from({ length: TRANSFERS }, (_unused, i) => {
      const eastToWest = i % 2 === 0;
      const quantity = i % 7 === 3 ? 51 + i : 1 + ((i * 7) % 25);
      return { eastToWest, quantity };
    });

    // Readers run alongside the writers: no pool is ever seen negative.
    let reading = true;
    const seen: { east: number; west: number }[] = [];
    const reader = (async () => {
      while (reading) {
        const p = await pools();
        seen.push({ east: p.get("East")!.purchased, west: p.get("West")!.purchased });
      }
    })();

    const results: GqlResult[] = await Promise.all(
      requests.map(({ eastToWest, quantity }) =>
        server.gql(
          TRANSFER,
          {
            from: gid("VirtualAccount", (eastToWest ? east : west).id),
            to: gid("VirtualAccount", (eastToWest ? west : east).id),
            sku: SKU,
            quantity,
          },
          ADMIN,
        ),
      ),
    );
    reading = false;
    await reader;

    // Every response: a success with its quantity, or exactly one CONFLICT (never INTERNAL_SERVER_ERROR).
    const outcomes = results.map((result) => (result.errors ? result.errors.map((e) => e.extensions.code).join(",") : "OK"));
    expect(outcomes.filter((outcome) => outcome !== "OK" && outcome !== "CONFLICT")).toEqual([]);
    results.forEach((result, i) => {
      if (!result.errors) expect(result.data.transferLicenses.quantity).toBe(requests[i].quantity);
      else expect(result.data).toBeNull();
    });
    const succeeded = requests.filter((_request, i) => !results[i].errors);
    // The impossible requests always conflict; the test is meaningless unless plenty went through.
    requests.forEach((request, i) => {
      if (request.quantity > 50) expect(outcomes[i]).toBe("CONFLICT");
    });
    expect(succeeded.length).toBeGreaterThanOrEqual(20);

    // R19: the total per product is unchanged; no lot went negative; the other product untouched.
    const after = await lotTotals(SKU);
    expect(after.total).toBe(before.total);
    expect(after.negative).toBe(0);
    expect(await lotTotals(TERM_SKU)).toEqual(bystander);

    // No lost update: each side holds its start plus what successfully came in minus what went out.
    const net = succeeded.reduce((sum, request) => sum + (request.eastToWest ? -request.quantity : request.quantity), 0);
    expect(await held(east, SKU)).toBe(30 + net);
    expect(await held(west, SKU)).toBe(20 - net);
    const final = await pools();
    expect(final.get("East")).toEqual({ purchased: 30 + net, available: 30 + net });
    expect(final.get("West")).toEqual({ purchased: 20 - net, available: 20 - net });
    expect(30 + net).toBeGreaterThanOrEqual(0);
    expect(20 - net).toBeGreaterThanOrEqual(0);

    // R29: one LICENSES_TRANSFERRED event per successful transfer, none for the conflicts.
    expect((await countRows(server, "events", "type = 'LICENSES_TRANSFERRED'")) - eventsBefore).toBe(succeeded.length);

    // Pools read while transfers were running were never negative.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((pool) => pool.east < 0 || pool.west < 0)).toEqual([]);
    if (server.kind === "mysql") {
      // One pool statement reads one consistent snapshot: the two sides always sum to the total.
      expect(seen.filter((pool) => pool.east + pool.west !== before.total)).toEqual([]);
    }
  });
});
