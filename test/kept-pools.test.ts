import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import { runSql, sql } from "../src/db/sql";
import { comparePools, countDuePools, outermostRoots, rebuildPools } from "../src/licenses/kept-pools";
import { openDatabase } from "../src/db/open";
import { Builder } from "../src/db/seed/builder";
import { FixedClock } from "../src/clock";
import { startTestServer, TestServer } from "./support/harness";
import { accounts, days, START } from "./support/fixtures";
import { gid } from "./support/ids";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..");

/** A Virtual Account's own pools as the API shows them, by SKU. */
const POOLS = `query($domain: String!) { smartAccount(domain: $domain) {
  licensePools { product { sku } purchased inUse available shortage status nextExpiry }
  virtualAccounts(first: 50) { nodes { name licensePools { product { sku } purchased inUse status nextExpiry } } }
} }`;

describe("kept pools (R22, R27): figures served from license_pools, exact at every instant", () => {
  let server: TestServer;
  const account = accounts(() => server);
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.set(START));

  const keptRow = async (vaId: number, sku: string) => {
    const [row] = await runSql(
      server.db.manager,
      sql`SELECT kp.purchased, kp.in_use, kp.next_expiry, kp.counted_at FROM license_pools kp JOIN products p ON p.id = kp.product_id
           WHERE kp.virtual_account_id = ${vaId} AND p.sku = ${sku}`,
    );
    return row && { purchased: Number(row.purchased), inUse: Number(row.in_use) };
  };
  const accountPool = async (domain: string, admin: string, sku: string) => {
    const result = await server.gql(POOLS, { domain }, admin);
    expect(result.errors).toBeUndefined();
    return result.data.smartAccount.licensePools.find((pool: { product: { sku: string } }) => pool.product.sku === sku) ?? null;
  };

  it("R22 a lot stops counting the moment it ends, with no write: the read sums that pool's lots; the sweep writes it again", async () => {
    const { built, admin, domain, defaultVa } = await account("kept-expiry.com");
    await built.license(defaultVa, "C9300-DNA-A-3Y", 5, { startsAt: days(-30), endsAt: days(10) });
    await built.license(defaultVa, "C9300-DNA-A-3Y", 7, { startsAt: days(-30), endsAt: days(20) });
    await built.device(defaultVa, "C9300-48P", "FOC-KEPT-1", { usage: [{ sku: "C9300-DNA-A-3Y", count: 6 }] });
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toMatchObject({
      purchased: 12,
      inUse: 6,
      available: 6,
      nextExpiry: days(10).toISOString(),
    });

    // A millisecond before the end the lot counts; at its end it does not (R22), and nothing was written.
    server.clock.set(new Date(days(10).getTime() - 1));
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toMatchObject({ purchased: 12, status: "AUTHORIZED" });
    server.clock.set(days(10));
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toMatchObject({
      purchased: 7,
      inUse: 6,
      available: 1,
      nextExpiry: days(20).toISOString(),
    });
    expect(await keptRow(defaultVa.id, "C9300-DNA-A-3Y")).toEqual({ purchased: 12, inUse: 6 });

    // The sweeper's batch writes the due row; the read is the same, now from the row itself.
    expect(await server.db.transaction((manager) => countDuePools(manager, server.clock.now()))).toBeGreaterThanOrEqual(1);
    expect(await keptRow(defaultVa.id, "C9300-DNA-A-3Y")).toEqual({ purchased: 7, inUse: 6 });
    server.clock.set(days(20));
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toMatchObject({
      purchased: 0,
      inUse: 6,
      shortage: 6,
      status: "OUT_OF_COMPLIANCE",
      nextExpiry: null,
    });
    const alerts = await server.gql(`query($domain: String!) { smartAccount(domain: $domain) { alerts { type quantity } } }`, { domain }, admin);
    expect(alerts.errors).toBeUndefined();
    expect(alerts.data.smartAccount.alerts).toContainEqual({ type: "INSUFFICIENT_LICENSES", quantity: 6 });
  });

  it("R22 a clock set before a row was counted still reads exact figures (the row is summed from its lots)", async () => {
    const { built, admin, domain, defaultVa } = await account("kept-clock-back.com");
    server.clock.set(days(30));
    // Counted at day 30, when this lot had already ended: back at day 0 it is ACTIVE again.
    await built.license(defaultVa, "ASAv10-THREAT-1Y", 4, { startsAt: days(-100), endsAt: days(15) });
    await built.license(defaultVa, "ASAv10-THREAT-1Y", 2, { startsAt: days(-100), endsAt: days(300) });
    expect(await accountPool(domain, admin, "ASAv10-THREAT-1Y")).toMatchObject({ purchased: 2 });
    server.clock.set(START);
    expect(await accountPool(domain, admin, "ASAv10-THREAT-1Y")).toMatchObject({ purchased: 6, nextExpiry: days(15).toISOString() });
  });

  it("R27 a product appears while either side is non-zero, and leaves when both are 0", async () => {
    const { built, admin, domain, defaultVa } = await account("kept-appear.com");
    const { device } = await built.device(defaultVa, "C9300-48P", "FOC-KEPT-2", { usage: [{ sku: "C9300-DNA-A-3Y", count: 2 }] });
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toMatchObject({ purchased: 0, inUse: 2 });
    const removed = await server.gql(`mutation($id: ID!) { removeProductInstance(id: $id) }`, { id: gid("ProductInstance", device.id) }, admin);
    expect(removed.errors).toBeUndefined();
    expect(await accountPool(domain, admin, "C9300-DNA-A-3Y")).toBeNull();
    // The row stays at 0 / 0, for the next write to reuse; no pool shows it.
    expect(await keptRow(defaultVa.id, "C9300-DNA-A-3Y")).toEqual({ purchased: 0, inUse: 0 });
  });

  it("pools:check's comparison finds a tampered row, and a rebuild puts it right", async () => {
    const { built, defaultVa } = await account("kept-check.com");
    await built.license(defaultVa, "C9300-DNA-A-3Y", 9, { startsAt: days(-1), endsAt: days(100) });
    const scope = sql`va.smart_account_id = ${built.id}`;
    expect((await comparePools(server.db.manager, server.clock.now(), scope)).differences).toEqual([]);
    await runSql(server.db.manager, sql`UPDATE license_pools SET purchased = purchased + 1, in_use = 3 WHERE virtual_account_id = ${defaultVa.id}`);
    const { differences } = await comparePools(server.db.manager, server.clock.now(), scope);
    expect(differences).toEqual([
      expect.objectContaining({
        virtualAccountId: defaultVa.id,
        kept: { purchased: 10, inUse: 3, nextExpiry: days(100).toISOString() },
        actual: { purchased: 9, inUse: 0, nextExpiry: days(100).toISOString() },
      }),
    ]);
    await server.db.transaction((manager) => rebuildPools(manager, server.clock.now(), scope));
    expect((await comparePools(server.db.manager, server.clock.now(), scope)).differences).toEqual([]);
  });

  it("LicensePools1764300000000 builds the table from the lots and usage that are there, and comes back down", async () => {
    const { built, defaultVa } = await account("kept-migration.com");
    const [lab] = await built.chain("Lab");
    await built.license(defaultVa, "C9300-DNA-A-3Y", 3, { startsAt: days(-1), endsAt: days(50) });
    await built.license(lab, "ASAv10-THREAT-1Y", 8);
    await built.device(lab, "C9300-48P", "FOC-KEPT-3", { usage: [{ sku: "ASAv10-THREAT-1Y", count: 5 }] });
    const keys = async () =>
      (
        await runSql(server.db.manager, sql`SELECT virtual_account_id, product_id FROM license_pools WHERE purchased > 0 OR in_use > 0 ORDER BY 1, 2`)
      ).map((row) => `${row.virtual_account_id}:${row.product_id}`);
    const before = await keys();
    expect(before.length).toBeGreaterThanOrEqual(2);
    // The migrations after it first, then LicensePools itself.
    const last = async () => (await server.db.dataSource.query("SELECT name FROM migrations ORDER BY id DESC LIMIT 1"))[0]?.name;
    while ((await last()) !== "LicensePools1764300000000") await server.db.dataSource.undoLastMigration({ transaction: "each" });
    await server.db.dataSource.undoLastMigration({ transaction: "each" });
    expect(await server.db.dataSource.query("SELECT COUNT(*) AS n FROM license_pools").catch(() => "gone")).toBe("gone");
    // Built at the moment it runs (the real clock), read at the suite's: the figures agree with the lots either way.
    await server.db.dataSource.runMigrations({ transaction: "each" });
    expect(await keys()).toEqual(before);
    expect((await comparePools(server.db.manager, server.clock.now())).differences).toEqual([]);
  });
});

describe("R27 includeDescendants reads only the outermost roots' subtrees", () => {
  const root = (id: number, smartAccountId: number, path: string) => ({ id, smartAccountId, path });

  it("keeps a root that no other root of its account contains, whatever the order asked in", () => {
    const top = root(1, 7, "/0000000001/");
    const child = root(2, 7, "/0000000001/0000000002/");
    const grandchild = root(3, 7, "/0000000001/0000000002/0000000003/");
    const sibling = root(4, 7, "/0000000004/");
    // The same path in another account is another tree (paths are per account).
    const elsewhere = root(5, 8, "/0000000001/0000000002/");
    // Id 11's path starts with id 1's digits but not with its path: not contained.
    const lookalike = root(11, 7, "/0000000011/");
    expect(outermostRoots([grandchild, elsewhere, child, lookalike, top, sibling]).map((r) => r.id)).toEqual([1, 4, 11, 5]);
    expect(outermostRoots([child, grandchild]).map((r) => r.id)).toEqual([2]);
    expect(outermostRoots([])).toEqual([]);
  });
});

describe("npm run pools:check", () => {
  jest.setTimeout(120_000);

  /** A database of its own (a SQLite file, or a fresh MariaDB database with DATABASE_URL), with one account in it. */
  async function scratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
    const base = process.env.DATABASE_URL;
    if (base && /^(mysql|mariadb):/.test(base)) {
      const server = new URL(base.replace(/^mariadb:/, "mysql:"));
      server.pathname = "/";
      const name = `sag_pools_check_${process.pid}`;
      const admin = await mysql.createConnection(server.toString());
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await admin.end();
      const url = new URL(server.toString());
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        drop: async () => {
          const connection = await mysql.createConnection(server.toString());
          await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
          await connection.end();
        },
      };
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pools-check-"));
    return { url: `sqlite:${path.join(dir, "db.sqlite")}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }

  const check = async (url: string, ...args: string[]) =>
    run("node", [path.join(ROOT, "bin", "cli.js"), "pools-check", ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: url } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );

  it("reports agreement (exit 0), a difference (exit 1, naming the pool), and --repair fixes it (exit 0)", async () => {
    const scratch = await scratchDatabase();
    try {
      const db = await openDatabase(scratch.url);
      // Real time: the command checks at this moment.
      const build = new Builder(db.manager, new FixedClock(new Date()));
      const built = await build.account("pools-check.example.com");
      await built.license(built.defaultVirtualAccount, "C9300-DNA-A-3Y", 4);
      await built.device(built.defaultVirtualAccount, "C9300-48P", "FOC-CHECK-1", { usage: [{ sku: "C9300-DNA-A-3Y", count: 1 }] });
      const vaId = built.defaultVirtualAccount.id;

      const agreed = await check(scratch.url);
      expect(agreed).toMatchObject({ code: 0, stdout: expect.stringContaining("all agree") });

      await runSql(db.manager, sql`UPDATE license_pools SET in_use = 7 WHERE virtual_account_id = ${vaId}`);
      await db.close();
      const differs = await check(scratch.url);
      expect(differs.code).toBe(1);
      expect(differs.stdout).toContain(`Virtual Account ${vaId}`);
      expect(differs.stdout).toContain("kept purchased 4 / in use 7");
      expect(differs.stdout).toContain("lots and usage say 4 / 1");

      const repaired = await check(scratch.url, "--repair");
      expect(repaired).toMatchObject({ code: 0, stdout: expect.stringContaining("all agree now") });
      expect((await check(scratch.url, "--bogus")).code).toBe(2);
    } finally {
      await scratch.drop();
    }
  });
});
