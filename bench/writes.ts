/**
 * The writes of `npm run bench` (bench/run.ts): `transferLicenses` and `reportUsage`, each under
 * WRITE_CLIENTS concurrent clients, each client its own keep-alive connection from its own loopback
 * address (127.0.0.x), in closed loops (support.ts `concurrentRun`), on bench.example.com — and the data set
 * left as it was:
 *
 * - transferLicenses, as admin@bench.example.com: each client moves 1 SMART license of a perpetual product
 *   A→B, B→A, … between its own pair of Virtual Accounts, an even number of times. The pairs are picked
 *   from the data, the same on every run over the same data set: A's first lot of the product (the one
 *   a transfer takes first, R19: perpetual lots by id) holds exactly 1 license, and B holds the product
 *   in lots after it, with no shortage. So the lot moves whole to B and the same lot whole back again: no
 *   lot is split, no row is added, and afterwards every lot is where it was.
 * - reportUsage: a registration token (createRegistrationToken, as the admin) for one site Virtual Account,
 *   two fresh devices per client registered with it (registerProductInstance returns the credential; only
 *   hashes are stored), then each client reports by its own devices, in turn, 3 or 2 of the SKUs that site
 *   holds with counts varying from request to request. Afterwards the devices are removed
 *   (removeProductInstance, which releases their usage) and the token revoked.
 *
 * Statements per request are counted as for the reads: one request of each kind sent to the server
 * started with EXPOSE_QUERY_STATS=1 (`extensions.sqlStatements`). Successful mutations write one event
 * each (R29); those stay, as does the revoked token.
 */
import mysql from "mysql2/promise";
import Database from "better-sqlite3";
import { toGlobalId } from "../src/ids";
import { Answer, Client, concurrentRun, errorCodes, Measure, MUTATIONS, ok } from "./support";

export const WRITE_CLIENTS = 8;
/** Devices each reporting client registers and reports by, in turn. */
const DEVICES_PER_CLIENT = 2;
const DEVICE_PID = "C9300-24T";

export interface WriteRow {
  operation: "transferLicenses" | "reportUsage";
  /** Who sends it: a user's email, or "device". */
  caller: string;
  clients: number;
  /** Timed requests in all (after `warmup` in all). */
  requests: number;
  warmup: number;
  api: Measure;
  statements: number;
  note?: string;
}

export interface WriteSetup {
  pairs: { from: number; to: number; sku: string; lot: number }[];
  usage: { virtualAccount: number; name: string; skus: string[]; devices: number };
  /** The data set after the writes against before them (lots, their places, devices, usage). */
  leftAsItWas: { ok: boolean; differences: string[] };
}

/** Read-only SQL over the bench database, MariaDB/MySQL or SQLite, with `?` parameters. */
interface Sql {
  all(text: string, params?: unknown[]): Promise<any[]>;
  close(): Promise<void>;
}

async function openSql(databaseUrl: string): Promise<Sql> {
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new Database(databaseUrl.slice("sqlite:".length), { readonly: true });
    return { all: async (text, params = []) => db.prepare(text).all(...params), close: async () => void db.close() };
  }
  const connection = await mysql.createConnection(databaseUrl.replace(/^mariadb:/, "mysql:"));
  return {
    all: async (text, params = []) => ((await connection.query(text, params)) as unknown as [any[]])[0],
    close: () => connection.end(),
  };
}

/**
 * Candidate transfer pairs in the account (no dates involved, so the SQL is the same on both databases):
 * per Virtual Account and perpetual smart-enabled product, the counted lots (SMART, quantity > 0; none of
 * them dated), their first lot and sum, and the devices' usage; A's first lot holds 1 and A has one to
 * spare; B's lots all come after it and B has no shortage.
 */
const PAIR_CANDIDATES = `
  WITH lots AS (
    SELECT l.virtual_account_id AS va, l.product_id AS product, MIN(l.id) AS first_id, SUM(l.quantity) AS purchased,
           SUM(CASE WHEN l.ends_at IS NULL THEN 0 ELSE 1 END) AS dated
      FROM licenses l JOIN products p ON p.id = l.product_id
     WHERE l.smart_account_id = ? AND l.kind = 'SMART' AND l.quantity > 0 AND p.model = 'PERPETUAL' AND p.smart_enabled = 1
     GROUP BY l.virtual_account_id, l.product_id
  ), used AS (
    SELECT pi.virtual_account_id AS va, u.product_id AS product, SUM(u.count) AS in_use
      FROM license_usages u JOIN product_instances pi ON pi.id = u.product_instance_id
     WHERE pi.smart_account_id = ?
     GROUP BY pi.virtual_account_id, u.product_id
  ), pools AS (
    SELECT lots.va, lots.product, lots.first_id, lots.purchased, COALESCE(used.in_use, 0) AS in_use
      FROM lots LEFT JOIN used ON used.va = lots.va AND used.product = lots.product
     WHERE lots.dated = 0
  )
  SELECT a.va AS a, b.va AS b, p.sku AS sku, a.first_id AS lot
    FROM pools a
    JOIN licenses f ON f.id = a.first_id AND f.quantity = 1
    JOIN pools b ON b.product = a.product AND b.va <> a.va AND b.first_id > a.first_id AND b.in_use <= b.purchased
    JOIN products p ON p.id = a.product
   WHERE a.purchased - a.in_use >= 1
   ORDER BY a.va, a.product, b.va`;

/** What the writes must leave as it was. */
async function snapshot(db: Sql, accountId: number, lots: number[]): Promise<Map<string, string>> {
  const facts = new Map<string, string>();
  const [licenses] = await db.all("SELECT COUNT(*) AS n, MAX(id) AS top, SUM(quantity) AS total FROM licenses WHERE smart_account_id = ?", [
    accountId,
  ]);
  facts.set("licenses (count, last id, Σ quantity)", `${licenses.n}, ${licenses.top}, ${licenses.total}`);
  for (const row of await db.all(
    `SELECT id, virtual_account_id AS va, quantity FROM licenses WHERE id IN (${lots.map(() => "?").join(", ")}) ORDER BY id`,
    lots,
  ))
    facts.set(`lot ${row.id} (Virtual Account, quantity)`, `${row.va}, ${row.quantity}`);
  const [devices] = await db.all("SELECT COUNT(*) AS n, MAX(id) AS top FROM product_instances WHERE smart_account_id = ?", [accountId]);
  facts.set("devices (count)", String(devices.n));
  const [usage] = await db.all(
    "SELECT COUNT(*) AS n, SUM(u.count) AS total FROM license_usages u JOIN product_instances pi ON pi.id = u.product_instance_id WHERE pi.smart_account_id = ?",
    [accountId],
  );
  facts.set("usage lines (count, Σ count)", `${usage.n}, ${usage.total}`);
  return facts;
}

interface Device {
  id: string;
  credential: string;
}

/**
 * Both writes against the measured server (`port`), statements counted on `countingPort`, as `adminEmail`
 * of `domain` (its token `adminToken`). `warmup` and `requests` are per operation, in all, rounded up to an
 * even number per client.
 */
export async function measureWrites(options: {
  databaseUrl: string;
  domain: string;
  adminEmail: string;
  adminToken: string;
  port: number;
  countingPort: number;
  warmup: number;
  requests: number;
  only: (operation: WriteRow["operation"]) => boolean;
}): Promise<{ rows: WriteRow[]; setup: WriteSetup }> {
  const { domain, adminToken } = options;
  const perClient = (total: number) => 2 * Math.max(1, Math.ceil(total / WRITE_CLIENTS / 2));
  const warmup = perClient(options.warmup);
  const requests = perClient(options.requests);
  const db = await openSql(options.databaseUrl);
  // Each client speaks from its own loopback address, as devices and users would (R31 budgets by address).
  const clients = Array.from({ length: WRITE_CLIENTS }, (_, i) => new Client(options.port, `127.0.0.${10 + i}`));
  const counting = new Client(options.countingPort, "127.0.0.9");
  const admin = new Client(options.port);
  const runTag = Date.now().toString(36).toUpperCase();
  const rows: WriteRow[] = [];
  const must = (answer: Answer, what: string) => {
    if (!ok(answer)) throw new Error(`${what}: ${answer.failure ?? JSON.stringify(answer.body).slice(0, 400)}`);
    return answer.body.data;
  };
  try {
    const [account] = await db.all("SELECT id FROM smart_accounts WHERE domain = ?", [domain]);
    if (!account) throw new Error(`no Smart Account ${domain} in the database`);
    const accountId = Number(account.id);

    // The site that gets the devices: the first depth-3 Virtual Account holding at least three smart SKUs.
    const sites = await db.all("SELECT id, name FROM virtual_accounts WHERE smart_account_id = ? AND depth = 3 ORDER BY id LIMIT 50", [accountId]);
    let usage: WriteSetup["usage"] | undefined;
    for (const site of sites) {
      const skus = await db.all(
        `SELECT p.sku AS sku FROM products p WHERE p.smart_enabled = 1 AND p.sku LIKE 'BENCH-%'
            AND EXISTS (SELECT 1 FROM licenses l WHERE l.virtual_account_id = ? AND l.product_id = p.id AND l.kind = 'SMART' AND l.quantity > 0)
          ORDER BY p.id LIMIT 3`,
        [site.id],
      );
      if (skus.length === 3) {
        usage = { virtualAccount: Number(site.id), name: site.name, skus: skus.map((s) => s.sku), devices: WRITE_CLIENTS * DEVICES_PER_CLIENT };
        break;
      }
    }
    if (!usage) throw new Error(`no depth-3 Virtual Account of ${domain} holds three smart SKUs`);

    // Disjoint pairs, one per client, none touching the devices' site.
    const taken = new Set<number>([usage.virtualAccount]);
    const pairs: WriteSetup["pairs"] = [];
    for (const row of await db.all(PAIR_CANDIDATES, [accountId, accountId])) {
      const [a, b] = [Number(row.a), Number(row.b)];
      if (taken.has(a) || taken.has(b)) continue;
      taken.add(a).add(b);
      pairs.push({ from: a, to: b, sku: row.sku, lot: Number(row.lot) });
      if (pairs.length === WRITE_CLIENTS) break;
    }
    if (pairs.length < WRITE_CLIENTS) throw new Error(`only ${pairs.length} Virtual Account pairs of ${domain} to move a whole lot of 1 between`);
    const before = await snapshot(
      db,
      accountId,
      pairs.map((p) => p.lot),
    );

    // -------- transferLicenses
    /** Whether client c's license sits at B now. */
    const atB = pairs.map(() => false);
    const transfer = (client: Client, c: number) => {
      const pair = pairs[c];
      const [from, to] = atB[c] ? [pair.to, pair.from] : [pair.from, pair.to];
      return client
        .graphql(
          MUTATIONS.transferLicenses,
          {
            input: {
              fromVirtualAccountId: toGlobalId("VirtualAccount", from),
              toVirtualAccountId: toGlobalId("VirtualAccount", to),
              sku: pair.sku,
              quantity: 1,
            },
          },
          adminToken,
        )
        .then((answer) => {
          if (ok(answer) && answer.body.data?.transferLicenses?.quantity === 1) atB[c] = !atB[c];
          return answer;
        });
    };
    try {
      if (options.only("transferLicenses")) {
        const there = await transfer(counting, 0);
        const back = await transfer(counting, 0);
        must(there, "transferLicenses on the counting server");
        must(back, "transferLicenses back on the counting server");
        const [a, b] = [there.body.extensions?.sqlStatements ?? -1, back.body.extensions?.sqlStatements ?? -1];
        const measure = await concurrentRun(WRITE_CLIENTS, warmup, requests, (c) => transfer(clients[c], c));
        rows.push(row("transferLicenses", options.adminEmail, warmup, measure, a, a === b ? undefined : `${b} statements B→A`));
      }
    } finally {
      // Put back any license left at B (only after a failed transfer: every client sends an even number).
      for (let c = 0; c < pairs.length; c++) {
        for (let attempt = 0; atB[c] && attempt < 5; attempt++) await transfer(admin, c);
        if (atB[c]) console.error(`!! lot ${pairs[c].lot} (${pairs[c].sku}) is left at Virtual Account ${pairs[c].to}, not ${pairs[c].from}`);
      }
    }

    // -------- reportUsage
    const devices: Device[][] = clients.map(() => []);
    let tokenId: string | undefined;
    try {
      if (options.only("reportUsage")) {
        const created = must(
          await admin.graphql(
            MUTATIONS.createRegistrationToken,
            {
              input: {
                virtualAccountId: toGlobalId("VirtualAccount", usage.virtualAccount),
                description: `bench writes ${runTag}`,
                expiresInDays: 1,
                maxUses: usage.devices,
              },
            },
            adminToken,
          ),
          "createRegistrationToken",
        ).createRegistrationToken;
        tokenId = created.token.id;
        for (let c = 0; c < clients.length; c++) {
          for (let d = 1; d <= DEVICES_PER_CLIENT; d++) {
            const serial = `BW${runTag}C${c + 1}D${d}`;
            const registered = must(
              await clients[c].graphql(MUTATIONS.registerProductInstance, {
                input: { token: created.secret, pid: DEVICE_PID, serialNumber: serial, hostname: `${serial.toLowerCase()}.bench` },
              }),
              "registerProductInstance",
            ).registerProductInstance;
            devices[c].push({ id: registered.productInstance.id, credential: registered.credential });
          }
        }
        const skus = usage.skus;
        // Client c's n-th report: by its devices in turn; all three SKUs, or the first two (one line dropped), counts 1–12.
        const report = (client: Client, c: number, n: number) =>
          client.graphql(MUTATIONS.reportUsage, {
            input: {
              credential: devices[c][n % DEVICES_PER_CLIENT].credential,
              usage: skus.slice(0, n % 3 === 2 ? 2 : 3).map((sku, k) => ({ sku, count: 1 + ((c * 5 + n * 7 + k * 3) % 12) })),
            },
          });
        const sample = await report(counting, 0, 0);
        must(sample, "reportUsage on the counting server");
        const measure = await concurrentRun(WRITE_CLIENTS, warmup, requests, (c, n) => report(clients[c], c, n));
        rows.push(row("reportUsage", "device", warmup, measure, sample.body.extensions?.sqlStatements ?? -1));
      }
    } finally {
      for (const device of devices.flat()) {
        const answer = await admin.graphql(MUTATIONS.removeProductInstance, { id: device.id }, adminToken);
        if (!ok(answer)) console.error(`!! removeProductInstance ${device.id}: ${errorCodes(answer).join(", ") || answer.failure}`);
      }
      if (tokenId) {
        const answer = await admin.graphql(MUTATIONS.revokeRegistrationToken, { id: tokenId }, adminToken);
        if (!ok(answer)) console.error(`!! revokeRegistrationToken ${tokenId}: ${errorCodes(answer).join(", ") || answer.failure}`);
      }
    }

    const after = await snapshot(
      db,
      accountId,
      pairs.map((p) => p.lot),
    );
    const differences = [...before].filter(([key, value]) => after.get(key) !== value).map(([key, value]) => `${key}: ${value} → ${after.get(key)}`);
    if (differences.length) console.error(`!! the writes did not leave the data set as it was: ${differences.join("; ")}`);
    return { rows, setup: { pairs, usage, leftAsItWas: { ok: differences.length === 0, differences } } };
  } finally {
    for (const client of [...clients, counting, admin]) client.close();
    await db.close();
  }
}

function row(
  operation: WriteRow["operation"],
  caller: string,
  warmupPerClient: number,
  measure: Awaited<ReturnType<typeof concurrentRun>>,
  statements: number,
  note?: string,
): WriteRow {
  const failed = Object.entries(measure.failures);
  return {
    operation,
    caller,
    clients: WRITE_CLIENTS,
    requests: measure.requests,
    warmup: warmupPerClient * WRITE_CLIENTS,
    api: { p50: measure.p50, p99: measure.p99, rps: measure.rps },
    statements,
    note: failed.length ? `failures ${failed.map(([code, n]) => `${code} ${n}`).join(", ")}` : note,
  };
}
