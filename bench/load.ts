/**
 * `npm run load [-- --seconds 60 --budget N --reuse --keep]`: the service under concurrent load (issue "Hardening").
 *
 * Creates its own MariaDB database (DATABASE_URL, default mysql://root@127.0.0.1:3306/sag_load; an existing
 * one is refused unless --reuse), seeds it like `npm run bench:seed -- --scale 1` (seconds), starts the
 * server as the image runs it and drives it with 100 clients at once, each as its own user from its own
 * loopback address (127.0.0.x), in closed loops (no think time) for `--seconds`:
 *
 *   80 admins of the small accounts (small-001…080): the five reference reads on their account, and
 *      writes — `transferLicenses` of one license back and forth between two of their Virtual Accounts,
 *      `reportUsage` by devices they registered, `registerProductInstance` with a token whose `maxUses`
 *      eight of them share (so registrations race for its last uses);
 *   12 Virtual Account users of bench.example.com (scale 1: 100,000 lots): the reference reads in scope;
 *    8 SMART_ACCOUNT_USERs of bench.example.com: Light, Entitlements, Devices, and all eight moving one
 *      license back and forth between the same two Virtual Accounts (contended lots).
 *
 * Phase 1 is that mix; phase 2 the same plus one more client, admin@bench.example.com, sending in a loop
 * the most expensive operation the server accepts (found before phase 1: the reference Dashboard with
 * its page sizes raised as far as the cost limit lets them, timed against the other candidates). A client
 * answered 429 waits (Retry-After, at most 1 s) and goes on. After each phase, straight from the database:
 * total quantity per product over all lots (and per account, kind and dates; and per Virtual Account of
 * each transfer pair against the transfers that succeeded) is what it was; each token's registrations
 * ≤ its `maxUses` and equal to the successes its clients saw; one event per successful mutation. Figures
 * go to bench/results/load-<database>-scale<N>.json and the "Load" section of bench/results.md; the
 * database is dropped at the end unless --keep.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { signToken } from "../src/auth/identity";
import {
  Answer,
  benchDatabase,
  Client,
  cpuSeconds,
  errorCodes,
  machine,
  ms,
  MUTATIONS,
  ok,
  percentile,
  referenceOperations,
  RESULTS_DIR,
  round1,
  sleep,
  startServer,
  writeSection,
  flag,
  numberOption,
} from "./support";

const args = process.argv.slice(2);
const SECONDS = numberOption("seconds", 60);
const SCALE = numberOption("scale", 1);
const PORT = numberOption("port", 4420);
const DATABASE_URL = process.env.DATABASE_URL?.trim() || "mysql://root@127.0.0.1:3306/sag_load";
/** --budget N: the server's RATE_LIMIT_COST_PER_MINUTE (R31); by default, the server's own default. */
const BUDGET = args.includes("--budget") ? String(numberOption("budget", 0)) : null;
/** A fresh key per run, strong enough for production's checks (R32); nothing outside this run knows it. */
const SECRET = randomBytes(32).toString("hex");
const BENCH = "bench.example.com";
const SMALL_CLIENTS = 80;
const TOKEN_GROUP = 8; // small clients sharing one registration token
const TOKEN_MAX_USES = 20;
const USAGE_SKU = "C9300-DNA-A-3Y"; // reported by the load's devices; no transfer moves it
const RUN_TAG = `load-${Date.now().toString(36)}`;

const ops = referenceOperations();
const READS = ["Dashboard", "Tree", "Entitlements", "Devices", "Light"] as const;
for (const name of READS) if (!ops.has(name)) throw new Error(`bench/queries.graphql has no ${name}`);

const SETUP = `query LoadSetup($domain: String!) {
  smartAccount(domain: $domain) {
    id
    allVirtualAccounts(first: 500) { nodes { id name licensePools { product { sku } purchased inUse available } } }
  }
}`;
const { createRegistrationToken: CREATE_TOKEN, registerProductInstance: REGISTER, reportUsage: REPORT, transferLicenses: TRANSFER } = MUTATIONS;

type Op = (typeof READS)[number] | "transferLicenses" | "reportUsage" | "registerProductInstance" | "Expensive";
type Audience = "small" | "bench-va" | "bench-sa" | "heavy";
const WEIGHTS: Record<Exclude<Audience, "heavy">, Partial<Record<Op, number>>> = {
  small: { Light: 20, Dashboard: 10, Tree: 10, Entitlements: 10, Devices: 10, transferLicenses: 15, reportUsage: 15, registerProductInstance: 10 },
  "bench-va": { Light: 30, Dashboard: 15, Tree: 15, Entitlements: 20, Devices: 20 },
  "bench-sa": { Light: 25, Entitlements: 15, Devices: 15, transferLicenses: 45 },
};

interface Pair {
  key: string;
  from: string;
  to: string;
  sku: string;
  /** Successful transfers from → to minus to → from (this phase). */
  net: number;
}

interface SharedToken {
  key: string;
  description: string;
  secret: string;
  maxUses: number;
  successes: number;
}

interface Actor {
  index: number;
  email: string;
  audience: Audience;
  domain: string;
  token: string;
  client: Client;
  pair?: Pair;
  /** +1 from → to next, −1 back. */
  direction: 1 | -1;
  credentials: string[];
  sharedToken?: SharedToken;
  tokenSpent: boolean;
  registered: number;
}

// ---------------------------------------------------------------------------------------------
// Recording

interface Tally {
  latencies: number[];
  /** Answers with data and no error. */
  succeeded: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
}
const tally = (): Tally => ({ latencies: [], succeeded: 0, statuses: {}, codes: {} });
const bump = (map: Record<string, number>, key: string, by = 1) => (map[key] = (map[key] ?? 0) + by);

class Recorder {
  readonly byKey = new Map<string, Tally>();
  readonly failures: string[] = [];
  record(op: Op, audience: Audience, answer: Answer): void {
    const key = `${op}|${audience}`;
    let entry = this.byKey.get(key);
    if (!entry) this.byKey.set(key, (entry = tally()));
    entry.latencies.push(answer.ms);
    if (ok(answer)) entry.succeeded += 1;
    bump(entry.statuses, String(answer.status));
    for (const code of errorCodes(answer)) bump(entry.codes, code);
    if (answer.failure && this.failures.length < 20) this.failures.push(`${op}: ${answer.failure}`);
  }
}

/** A 429 (or a RATE_LIMITED answer): wait as told, at most a second. */
async function backOff(answer: Answer): Promise<boolean> {
  if (answer.status !== 429 && !errorCodes(answer).includes("RATE_LIMITED")) return false;
  const retryAfter = Number(answer.headers["retry-after"] ?? 1);
  await sleep(Math.min(1000, Math.max(50, (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000)));
  return true;
}

// ---------------------------------------------------------------------------------------------
// The clients' work

function pick(weights: Partial<Record<Op, number>>, allowed: (op: Op) => boolean): Op {
  const entries = (Object.entries(weights) as [Op, number][]).filter(([op]) => allowed(op));
  let roll = Math.random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [op, weight] of entries) if ((roll -= weight) < 0) return op;
  return entries[entries.length - 1][0];
}

async function step(actor: Actor, op: Op, recorder: Recorder, phase: number): Promise<void> {
  let answer: Answer;
  switch (op) {
    case "transferLicenses": {
      const pair = actor.pair!;
      const [from, to] = actor.direction === 1 ? [pair.from, pair.to] : [pair.to, pair.from];
      answer = await actor.client.graphql(
        TRANSFER,
        { input: { fromVirtualAccountId: from, toVirtualAccountId: to, sku: pair.sku, quantity: 1 } },
        actor.token,
      );
      if (ok(answer) && answer.body.data?.transferLicenses?.quantity === 1) {
        pair.net += actor.direction;
        actor.direction = actor.direction === 1 ? -1 : 1;
      }
      break;
    }
    case "reportUsage": {
      const credential = actor.credentials[Math.floor(Math.random() * actor.credentials.length)];
      answer = await actor.client.graphql(REPORT, { input: { credential, usage: [{ sku: USAGE_SKU, count: Math.floor(Math.random() * 4) }] } });
      break;
    }
    case "registerProductInstance": {
      const token = actor.sharedToken!;
      const serial = `LOAD${phase}C${actor.index}N${++actor.registered}`;
      answer = await actor.client.graphql(REGISTER, {
        input: { token: token.secret, pid: "C9300-48P", serialNumber: serial, hostname: `${serial.toLowerCase()}.load` },
      });
      if (ok(answer) && answer.body.data?.registerProductInstance?.credential) {
        token.successes += 1;
        actor.credentials.push(answer.body.data.registerProductInstance.credential);
      } else if (errorCodes(answer).includes("UNAUTHENTICATED:EXHAUSTED")) actor.tokenSpent = true; // a device would stop here
      break;
    }
    case "Expensive":
      throw new Error("the heavy client has its own loop");
    default: {
      const variables =
        op === "Dashboard" || op === "Light" ? {} : op === "Entitlements" ? { domain: actor.domain, after: null } : { domain: actor.domain };
      answer = await actor.client.graphql(ops.get(op)!, variables, actor.token);
    }
  }
  recorder.record(op, actor.audience, answer);
  await backOff(answer);
}

async function clientLoop(actor: Actor, until: number, recorder: Recorder, phase: number): Promise<void> {
  const weights = WEIGHTS[actor.audience as Exclude<Audience, "heavy">];
  const allowed = (op: Op) =>
    (op !== "transferLicenses" || !!actor.pair) &&
    (op !== "reportUsage" || actor.credentials.length > 0) &&
    (op !== "registerProductInstance" || (!!actor.sharedToken && !actor.tokenSpent));
  while (performance.now() < until) await step(actor, pick(weights, allowed), recorder, phase);
}

// ---------------------------------------------------------------------------------------------
// Setup

interface Pools {
  id: string;
  vas: { id: string; name: string; pools: Map<string, { purchased: number; inUse: number; available: number }> }[];
}

async function accountPools(actor: Actor): Promise<Pools> {
  const answer = await actor.client.graphql(SETUP, { domain: actor.domain }, actor.token);
  if (!ok(answer) || !answer.body.data.smartAccount) throw new Error(`setup of ${actor.email} failed: ${JSON.stringify(answer.body).slice(0, 300)}`);
  const account = answer.body.data.smartAccount;
  return {
    id: account.id,
    vas: account.allVirtualAccounts.nodes.map((va: any) => ({
      id: va.id,
      name: va.name,
      pools: new Map(va.licensePools.map((p: any) => [p.product.sku, { purchased: p.purchased, inUse: p.inUse, available: p.available }])),
    })),
  };
}

/**
 * Two Virtual Accounts and a SKU: `need` available at the first, none in use at the second (what arrives
 * there stays available to go back). The largest availability wins.
 */
function transferPair(pools: Pools, need: number, key: string): Pair | undefined {
  let best: { pair: Pair; available: number } | undefined;
  for (const a of pools.vas) {
    for (const [sku, pool] of a.pools) {
      if (!sku.startsWith("BENCH-") || pool.available < need || (best && pool.available <= best.available)) continue;
      const b = pools.vas.find((va) => va.id !== a.id && (va.pools.get(sku)?.inUse ?? 0) === 0);
      if (b) best = { pair: { key, from: a.id, to: b.id, sku, net: 0 }, available: pool.available };
    }
  }
  return best?.pair;
}

async function createToken(actor: Actor, vaId: string, maxUses: number, description: string): Promise<string> {
  const answer = await actor.client.graphql(CREATE_TOKEN, { input: { virtualAccountId: vaId, description, expiresInDays: 1, maxUses } }, actor.token);
  if (!ok(answer)) throw new Error(`createRegistrationToken for ${actor.email}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body.data.createRegistrationToken.secret;
}

/** Runs `work` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/** Shared tokens for one phase: one per group of eight small clients, in the first one's account. */
async function shareTokens(small: Actor[], pools: Map<Actor, Pools>, phase: number): Promise<SharedToken[]> {
  const tokens: SharedToken[] = [];
  for (let g = 0; g * TOKEN_GROUP < small.length; g++) {
    const members = small.slice(g * TOKEN_GROUP, (g + 1) * TOKEN_GROUP);
    const owner = members[0];
    const description = `${RUN_TAG}-p${phase}-g${g + 1}`;
    const secret = await createToken(owner, pools.get(owner)!.vas[0].id, TOKEN_MAX_USES, description);
    const token: SharedToken = { key: `group ${g + 1}`, description, secret, maxUses: TOKEN_MAX_USES, successes: 0 };
    tokens.push(token);
    for (const member of members) Object.assign(member, { sharedToken: token, tokenSpent: false });
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The most expensive accepted operation

/** The reference Dashboard with its five page sizes (smartAccounts, virtualAccounts, productInstances, children, children). */
const DASHBOARD_SIZES = [10, 50, 20, 50, 50];
function dashboardWith(sizes: number[]): string {
  let i = 0;
  const text = ops.get("Dashboard")!.replace(/\(first: \d+\)/g, () => `(first: ${sizes[i++]})`);
  if (i !== sizes.length) throw new Error(`the reference Dashboard has ${i} page sizes, not ${sizes.length}`);
  return text;
}

interface Candidate {
  label: string;
  query: string;
  variables: Record<string, unknown>;
  sizes?: number[];
  ms?: number;
  cost?: unknown;
}

/**
 * Whether the cost limit (R30) accepts `query`: asked as a user of no account, so nothing runs but the
 * checks (which do not depend on who asks), and each probe as another user, so no budget is spent twice.
 */
async function probeAccepts(client: Client, query: string, probe: { n: number }): Promise<boolean> {
  const token = await signToken(SECRET, { email: `probe-${++probe.n}@load.example.com` }, { expiresIn: "1h" });
  for (;;) {
    const answer = await client.graphql(query, {}, token);
    if (await backOff(answer)) continue;
    const codes = errorCodes(answer);
    if (codes.includes("QUERY_TOO_COMPLEX")) return false;
    if (answer.status !== 200) throw new Error(`probe answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    return true;
  }
}

async function largestAccepted(
  client: Client,
  sizesAt: (x: number) => number[],
  low: number,
  high: number,
  integer: boolean,
  probe: { n: number },
): Promise<number> {
  if (await probeAccepts(client, dashboardWith(sizesAt(high)), probe)) return high;
  for (let i = 0; i < 12 && high - low > (integer ? 1 : 0.02); i++) {
    const mid = integer ? Math.floor((low + high) / 2) : (low + high) / 2;
    if (await probeAccepts(client, dashboardWith(sizesAt(mid)), probe)) low = mid;
    else high = mid;
  }
  return low;
}

async function mostExpensive(admin: Actor): Promise<{ chosen: Candidate; candidates: Candidate[] }> {
  const probe = { n: 0 };
  const cap = (n: number) => Math.max(1, Math.min(500, Math.round(n)));
  const uniform = (f: number) => DASHBOARD_SIZES.map((size) => cap(size * f));
  const devicesOnly = (n: number) => DASHBOARD_SIZES.map((size, i) => (i === 2 ? cap(n) : size));
  const f = await largestAccepted(admin.client, uniform, 1, 50, false, probe);
  const n = await largestAccepted(admin.client, devicesOnly, 20, 500, true, probe);
  const candidates: Candidate[] = [
    { label: "reference Dashboard", query: dashboardWith(DASHBOARD_SIZES), variables: {}, sizes: DASHBOARD_SIZES },
    { label: `Dashboard, every page size ×${f.toFixed(2)}`, query: dashboardWith(uniform(f)), variables: {}, sizes: uniform(f) },
    { label: `Dashboard, productInstances(first: ${n})`, query: dashboardWith(devicesOnly(n)), variables: {}, sizes: devicesOnly(n) },
    { label: "reference Tree", query: ops.get("Tree")!, variables: { domain: BENCH } },
  ];
  // Each timed twice, the faster kept: the first of a shape also pays for its compilation and cold caches.
  for (const candidate of candidates) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await admin.client.graphql(candidate.query, candidate.variables, admin.token);
      if (!ok(answer)) {
        console.log(`  ${candidate.label}: not accepted (${answer.status} ${errorCodes(answer).join(",")})`);
        candidate.ms = -1;
        break;
      }
      candidate.ms = Math.min(candidate.ms ?? Infinity, Math.round(answer.ms));
      candidate.cost = answer.body.extensions?.cost;
    }
    if (candidate.ms! >= 0)
      console.log(`  ${candidate.label}: ${candidate.ms} ms${candidate.cost ? `, cost ${JSON.stringify(candidate.cost)}` : ""}`);
  }
  // The accepted candidate of the highest cost (the largest page sizes), unless another is clearly slower:
  // where the data has fewer rows than the pages allow, every variant does the same work, and timing
  // alone would pick by noise on a shared machine.
  const accepted = candidates.filter((c) => (c.ms ?? -1) >= 0);
  const costOf = (c: Candidate) => Number((c.cost as { requested?: number } | undefined)?.requested ?? (c.sizes ?? []).reduce((a, b) => a + b, 0));
  const costliest = accepted.reduce((a, b) => (costOf(b) > costOf(a) ? b : a));
  const slowest = accepted.reduce((a, b) => (b.ms! > a.ms! ? b : a));
  const chosen = slowest.ms! >= 1.5 * costliest.ms! ? slowest : costliest;
  return { chosen, candidates };
}

async function heavyLoop(actor: Actor, candidate: Candidate, until: number, recorder: Recorder): Promise<void> {
  while (performance.now() < until) {
    const answer = await actor.client.graphql(candidate.query, candidate.variables, actor.token);
    recorder.record("Expensive", "heavy", answer);
    await backOff(answer);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks, straight from the database

interface Snapshot {
  perProduct: Map<string, number>;
  perLotGroup: Map<string, number>;
  nonPositiveLots: number;
  lots: number;
  events: Map<string, number>;
}

/**
 * Every lot read once and summed here rather than by a GROUP BY of 100,000 groups, which MariaDB would
 * spill to an on-disk temporary table; one retry, should a read fail on the shared server.
 */
async function snapshot(db: mysql.Connection): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [lots] = (await db.query(
        "SELECT l.smart_account_id a, p.sku, l.kind k, l.starts_at s, l.ends_at e, l.quantity q FROM licenses l JOIN products p ON p.id = l.product_id",
      )) as any;
      const [events] = (await db.query("SELECT type, COUNT(*) n FROM events GROUP BY type")) as any;
      const perProduct = new Map<string, number>();
      const perLotGroup = new Map<string, number>();
      let nonPositiveLots = 0;
      const date = (d: Date | null) => (d ? new Date(d).toISOString() : "-");
      for (const lot of lots) {
        const q = Number(lot.q);
        if (q <= 0) nonPositiveLots += 1;
        perProduct.set(lot.sku, (perProduct.get(lot.sku) ?? 0) + q);
        const key = `${lot.a}/${lot.sku}/${lot.k}/${date(lot.s)}/${date(lot.e)}`;
        perLotGroup.set(key, (perLotGroup.get(key) ?? 0) + q);
      }
      return { perProduct, perLotGroup, nonPositiveLots, lots: lots.length, events: new Map(events.map((r: any) => [r.type, Number(r.n)])) };
    } catch (error) {
      if (attempt >= 2) throw error;
      console.warn(`  reading the database failed (${(error as Error).message}); once more`);
      await sleep(1000);
    }
  }
}

async function vaTotals(db: mysql.Connection, pairs: Pair[]): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const pair of pairs) {
    for (const va of [pair.from, pair.to]) {
      const id = Number(Buffer.from(va, "base64url").toString().split(":").pop());
      const [[row]] = (await db.query(
        "SELECT COALESCE(SUM(l.quantity), 0) q FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.virtual_account_id = ? AND p.sku = ?",
        [id, pair.sku],
      )) as any;
      totals.set(`${va}/${pair.sku}`, Number(row.q));
    }
  }
  return totals;
}

function differences(before: Map<string, number>, after: Map<string, number>): string[] {
  const out: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if ((before.get(key) ?? 0) !== (after.get(key) ?? 0)) out.push(`${key}: ${before.get(key) ?? 0} → ${after.get(key) ?? 0}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One phase

interface OperationRow {
  operation: string;
  audience: string;
  requests: number;
  succeeded: number;
  p50: number;
  p99: number;
  rps: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
}

interface PhaseResult {
  name: string;
  clients: number;
  seconds: number;
  requests: number;
  rps: number;
  statuses: Record<string, number>;
  codes: Record<string, number>;
  rateLimited: number;
  rateLimitedRate: number;
  serverErrors: number;
  transportFailures: string[];
  cpu: { serverPercentOfOneCore: number | null; generatorPercentOfOneCore: number };
  /** The hundred clients' latency over all their requests (the heavy client apart). */
  others: { p50: number; p99: number; readsP99: number; writesP99: number };
  operations: OperationRow[];
  heavy?: OperationRow & { label: string; sizes?: number[] };
  checks: {
    conservation: { ok: boolean; perProduct: string[]; perLotGroup: string[]; nonPositiveLots: number; lotsBefore: number; lotsAfter: number };
    transfers: { ok: boolean; pairs: { pair: string; sku: string; net: number; expected: string[] }[]; mismatches: string[] };
    tokens: { ok: boolean; rows: { token: string; maxUses: number; uses: number; devices: number; successesSeen: number }[] };
    events: { ok: boolean; successfulMutations: number; newEvents: number; byType: Record<string, number> };
    serverLog: { internalErrors: number; samples: string[]; deadlocks: number; lockWaitTimeouts: number; slowStatements: number };
  };
}

function summarize(
  recorder: Recorder,
  seconds: number,
): Pick<PhaseResult, "requests" | "rps" | "statuses" | "codes" | "rateLimited" | "rateLimitedRate" | "serverErrors" | "others" | "operations"> & {
  heavyRow?: OperationRow;
} {
  const operations: OperationRow[] = [];
  const statuses: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const all: number[] = [];
  const reads: number[] = [];
  const writes: number[] = [];
  let heavyRow: OperationRow | undefined;
  for (const [key, entry] of [...recorder.byKey.entries()].sort()) {
    const [operation, audience] = key.split("|");
    const row: OperationRow = {
      operation,
      audience,
      requests: entry.latencies.length,
      succeeded: entry.succeeded,
      p50: round1(percentile(entry.latencies, 50)),
      p99: round1(percentile(entry.latencies, 99)),
      rps: round1(entry.latencies.length / seconds),
      statuses: entry.statuses,
      codes: entry.codes,
    };
    if (audience === "heavy") {
      heavyRow = row;
      continue;
    }
    operations.push(row);
    for (const [status, n] of Object.entries(entry.statuses)) bump(statuses, status, n);
    for (const [code, n] of Object.entries(entry.codes)) bump(codes, code, n);
    for (const value of entry.latencies) all.push(value);
    for (const value of entry.latencies) ((READS as readonly string[]).includes(operation) ? reads : writes).push(value);
  }
  const requests = all.length;
  const rateLimited = statuses["429"] ?? 0;
  return {
    requests,
    rps: Math.round(requests / seconds),
    statuses,
    codes,
    rateLimited,
    rateLimitedRate: requests ? rateLimited / requests : 0,
    serverErrors: Object.entries(statuses).reduce((sum, [status, n]) => sum + (Number(status) >= 500 ? n : 0), 0),
    others: {
      p50: round1(percentile(all, 50)),
      p99: round1(percentile(all, 99)),
      readsP99: round1(percentile(reads, 99)),
      writesP99: round1(percentile(writes, 99)),
    },
    operations,
    heavyRow,
  };
}

/** What the server logged during a phase: internal errors, and the deadlocks and lock waits it retried (R33). */
function scanLog(file: string, from: number): PhaseResult["checks"]["serverLog"] {
  const lines = fs.readFileSync(file).subarray(from).toString("utf8").split("\n");
  const bad = lines.filter((line) => /internal error|INTERNAL_SERVER_ERROR|"level":(50|60)|Unhandled|uncaught/i.test(line));
  return {
    internalErrors: bad.length,
    samples: bad.slice(0, 5).map((line) => line.slice(0, 400)),
    deadlocks: lines.filter((line) => /Deadlock found/.test(line)).length,
    lockWaitTimeouts: lines.filter((line) => /Lock wait timeout/.test(line)).length,
    slowStatements: lines.filter((line) => /\[sql\] slow/.test(line)).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const started = Date.now();
  const database = await benchDatabase(DATABASE_URL, { scale: SCALE, reuse: flag("reuse"), keep: flag("keep") });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const db = await mysql.createConnection(DATABASE_URL.replace(/^mariadb:/, "mysql:"));
  try {
    const [[facts]] = (await db.query(
      "SELECT (SELECT COUNT(*) FROM licenses) lots, (SELECT COUNT(*) FROM product_instances) devices, (SELECT COUNT(*) FROM virtual_accounts) vas",
    )) as any;
    if (!Number(facts.lots)) throw new Error(`${database.name} holds no bench data set`);
    server = await startServer("src/main.ts", PORT, { DATABASE_URL, JWT_SECRET: SECRET, ...(BUDGET ? { RATE_LIMIT_COST_PER_MINUTE: BUDGET } : {}) });
    console.log(`server on ${PORT} (log ${server.logFile})`);

    // The actors: each its own user, its own connection and its own loopback address.
    const actors: Actor[] = [];
    const actor = async (email: string, audience: Audience, domain: string): Promise<Actor> => {
      const index = actors.length;
      const address = audience === "heavy" ? "127.0.1.1" : `127.0.${Math.floor(index / 200)}.${10 + (index % 200)}`;
      const a: Actor = {
        index,
        email,
        audience,
        domain,
        token: await signToken(SECRET, { email }, { expiresIn: "2h" }),
        client: new Client(PORT, address),
        direction: 1,
        credentials: [],
        tokenSpent: false,
        registered: 0,
      };
      if (audience !== "heavy") actors.push(a);
      return a;
    };
    const small: Actor[] = [];
    for (let i = 1; i <= SMALL_CLIENTS; i++)
      small.push(await actor(`admin@small-${String(i).padStart(3, "0")}.example.com`, "small", `small-${String(i).padStart(3, "0")}.example.com`));
    const readers = [
      "va-user",
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `virtual-account-user-0${n}`),
      ...[1, 2, 3].map((n) => `virtual-account-admin-0${n}`),
    ];
    for (const name of readers) await actor(`${name}@${BENCH}`, "bench-va", BENCH);
    const movers: Actor[] = [];
    for (let n = 1; n <= 8; n++) movers.push(await actor(`smart-account-user-0${n}@${BENCH}`, "bench-sa", BENCH));
    const heavy = await actor(`admin@${BENCH}`, "heavy", BENCH);

    console.log(`setup: ${small.length} small-account admins, ${readers.length} bench readers, ${movers.length} bench movers…`);
    const pools = new Map<Actor, Pools>();
    const pairs: Pair[] = [];
    await inBatches(small, 8, async (a) => {
      const p = await accountPools(a);
      pools.set(a, p);
      a.pair = transferPair(p, 1, a.domain);
      if (a.pair) pairs.push(a.pair);
      // Two devices of its own, registered with a token of two uses, to report usage.
      const secret = await createToken(a, p.vas[p.vas.length - 1].id, 2, `${RUN_TAG}-devices-${a.index}`);
      for (let d = 1; d <= 2; d++) {
        const answer = await a.client.graphql(REGISTER, {
          input: { token: secret, pid: "C9300-24T", serialNumber: `LOADDEV${a.index}X${d}${RUN_TAG}`, hostname: `dev-${a.index}-${d}.load` },
        });
        if (!ok(answer)) throw new Error(`setup registration: ${JSON.stringify(answer.body).slice(0, 300)}`);
        a.credentials.push(answer.body.data.registerProductInstance.credential);
      }
    });
    const benchPools = await accountPools(movers[0]);
    const benchPair = transferPair(benchPools, 30, BENCH);
    if (!benchPair) throw new Error("no Virtual Account pair of bench.example.com to move licenses between");
    pairs.push(benchPair);
    for (const m of movers) m.pair = benchPair;
    console.log(`  ${small.filter((a) => a.pair).length} of ${small.length} small accounts have a transfer pair; bench pair ${benchPair.sku}`);

    console.log("the most expensive operation the server accepts (as admin@bench.example.com):");
    const expensive = await mostExpensive(heavy);
    console.log(`  → ${expensive.chosen.label}`);

    const phases: PhaseResult[] = [];
    for (const phase of [1, 2]) {
      const tokens = await shareTokens(small, pools, phase);
      for (const pair of pairs) pair.net = 0;
      const before = await snapshot(db);
      const vaBefore = await vaTotals(db, pairs);
      const logFrom = fs.statSync(server.logFile).size;
      const recorder = new Recorder();
      for (const a of [...actors, heavy]) a.client.reset();
      console.log(`phase ${phase}: ${actors.length}${phase === 2 ? " + 1 heavy" : ""} clients for ${SECONDS} s…`);
      const cpu0 = { server: cpuSeconds(server.child.pid), generator: process.cpuUsage() };
      const t0 = performance.now();
      const until = t0 + SECONDS * 1000;
      await Promise.all([
        ...actors.map((a) => clientLoop(a, until, recorder, phase)),
        ...(phase === 2 ? [heavyLoop(heavy, expensive.chosen, until, recorder)] : []),
      ]);
      const seconds = (performance.now() - t0) / 1000;
      const serverCpu = cpuSeconds(server.child.pid);
      const generatorCpu = process.cpuUsage(cpu0.generator);
      const cpu = {
        serverPercentOfOneCore: serverCpu === null || cpu0.server === null ? null : Math.round((100 * (serverCpu - cpu0.server)) / seconds),
        generatorPercentOfOneCore: Math.round((100 * (generatorCpu.user + generatorCpu.system)) / 1e6 / seconds),
      };
      await sleep(500); // let the server log what it answered
      const summary = summarize(recorder, seconds);
      const after = await snapshot(db);
      const vaAfter = await vaTotals(db, pairs);

      const [tokenRows] = (await db.query(
        "SELECT t.description, t.max_uses, t.uses, (SELECT COUNT(*) FROM product_instances p WHERE p.registration_token_id = t.id) devices FROM registration_tokens t WHERE t.description LIKE ?",
        [`${RUN_TAG}-p${phase}-%`],
      )) as any;
      const tokenCheck = tokens.map((token) => {
        const row = tokenRows.find((r: any) => r.description === token.description);
        return {
          token: token.key,
          maxUses: token.maxUses,
          uses: Number(row?.uses ?? -1),
          devices: Number(row?.devices ?? -1),
          successesSeen: token.successes,
        };
      });
      const transferMismatches: string[] = [];
      const pairRows = pairs.map((pair) => {
        const expected = [
          [pair.from, -pair.net],
          [pair.to, pair.net],
        ].map(([va, delta]) => {
          const key = `${va}/${pair.sku}`;
          const want = (vaBefore.get(key) ?? 0) + Number(delta);
          if (vaAfter.get(key) !== want) transferMismatches.push(`${pair.key} ${key}: expected ${want}, found ${vaAfter.get(key)}`);
          return `${vaBefore.get(key)}→${vaAfter.get(key)}`;
        });
        return { pair: pair.key, sku: pair.sku, net: pair.net, expected };
      });
      const newEvents = [...after.events.entries()].reduce((sum, [type, n]) => sum + n - (before.events.get(type) ?? 0), 0);
      const byType = Object.fromEntries(
        [...after.events.entries()].map(([type, n]) => [type, n - (before.events.get(type) ?? 0)]).filter(([, n]) => n),
      );
      const mutationsOk = summary.operations
        .filter((row) => !(READS as readonly string[]).includes(row.operation))
        .reduce((sum, row) => sum + row.succeeded, 0);
      const perProduct = differences(before.perProduct, after.perProduct);
      const perLotGroup = differences(before.perLotGroup, after.perLotGroup);
      const log = scanLog(server.logFile, logFrom);
      const result: PhaseResult = {
        name: phase === 1 ? "mix" : "mix + heaviest accepted operation",
        clients: actors.length + (phase === 2 ? 1 : 0),
        seconds: round1(seconds),
        ...summary,
        transportFailures: recorder.failures,
        cpu,
        heavy: summary.heavyRow ? { ...summary.heavyRow, label: expensive.chosen.label, sizes: expensive.chosen.sizes } : undefined,
        checks: {
          conservation: {
            ok: !perProduct.length && !perLotGroup.length && after.nonPositiveLots === 0,
            perProduct,
            perLotGroup: perLotGroup.slice(0, 20),
            nonPositiveLots: after.nonPositiveLots,
            lotsBefore: before.lots,
            lotsAfter: after.lots,
          },
          transfers: {
            ok: !transferMismatches.length,
            pairs: pairRows.filter((row) => row.pair === BENCH || row.net !== 0).slice(0, 5),
            mismatches: transferMismatches,
          },
          tokens: {
            ok: tokenCheck.every((t) => t.uses <= t.maxUses && t.devices <= t.maxUses && t.uses === t.successesSeen && t.devices === t.uses),
            rows: tokenCheck,
          },
          events: { ok: newEvents === mutationsOk, successfulMutations: mutationsOk, newEvents, byType },
          serverLog: log,
        },
      };
      delete (result as { heavyRow?: unknown }).heavyRow;
      phases.push(result);
      console.log(
        `  ${result.requests} answers, ${result.rps} req/s, statuses ${JSON.stringify(result.statuses)}, codes ${JSON.stringify(result.codes)}; ` +
          `p50 ${result.others.p50} ms, p99 ${result.others.p99} ms; conservation ${result.checks.conservation.ok ? "ok" : "FAILED"}, ` +
          `transfers ${result.checks.transfers.ok ? "ok" : "FAILED"}, tokens ${result.checks.tokens.ok ? "ok" : "FAILED"}, events ${result.checks.events.ok ? "ok" : "MISMATCH"}, ` +
          `internal errors in the log ${log.internalErrors}, deadlocks ${log.deadlocks}`,
      );
      if (result.heavy)
        console.log(
          `  heavy client: ${result.heavy.requests} answers, statuses ${JSON.stringify(result.heavy.statuses)}, p50 ${result.heavy.p50} ms`,
        );
    }

    const [p1, p2] = phases;
    const run = {
      kind: "load",
      date: new Date().toISOString(),
      machine: machine(),
      node: process.version,
      database: database.version,
      dataSet: { scale: SCALE, lots: Number(facts.lots), devices: Number(facts.devices), virtualAccounts: Number(facts.vas) },
      settings: {
        seconds: SECONDS,
        clients: actors.length,
        tokenGroup: TOKEN_GROUP,
        tokenMaxUses: TOKEN_MAX_USES,
        weights: WEIGHTS,
        rateLimitBudget: BUDGET ?? "the server's default",
      },
      expensive: {
        chosen: expensive.chosen.label,
        sizes: expensive.chosen.sizes,
        candidates: expensive.candidates.map(({ label, ms: t, cost, sizes }) => ({ label, ms: t, cost, sizes })),
      },
      phases,
      othersP99Ratio: round1((p2.others.p99 / Math.max(p1.others.p99, 0.001)) * 100) / 100,
      withinTwice: p2.others.p99 <= 2 * p1.others.p99,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `load-mariadb-scale${SCALE}.json`);
    fs.writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
    writeSection("load", render(run));
    console.log(
      `\n${render(run)}\nsaved ${path.relative(process.cwd(), file)}; bench/results.md "Load" section rewritten; ${run.totalSeconds} s in all`,
    );
    const failed = phases.some((p) => p.serverErrors || !p.checks.conservation.ok || !p.checks.transfers.ok || !p.checks.tokens.ok);
    if (failed) process.exitCode = 2;
  } finally {
    await db.end();
    await server?.stop();
    await database.drop();
  }
}

function render(run: any): string {
  const phases = run.phases as PhaseResult[];
  const [p1, p2] = phases;
  const codes = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ") || "–";
  const lines = [
    "## Load",
    "",
    `Written by \`npm run load\` (bench/load.ts). ${run.date.slice(0, 16).replace("T", " ")} UTC · ${run.machine} · Node ${run.node} · ${run.database} · ` +
      `bench data set at scale ${run.dataSet.scale} (${run.dataSet.lots.toLocaleString("en")} lots, ${run.dataSet.devices.toLocaleString("en")} devices, ${run.dataSet.virtualAccounts.toLocaleString("en")} Virtual Accounts), server with NODE_ENV=production and ${run.settings.rateLimitBudget === "the server's default" ? "its default budgets" : `RATE_LIMIT_COST_PER_MINUTE=${run.settings.rateLimitBudget}`}.`,
    "",
    `${run.settings.clients} clients for ${run.settings.seconds} s each phase, closed loops without think time, each its own user from its own loopback address: ` +
      "80 small-account admins (the five reference reads on their account; transferLicenses of one license back and forth between two of their Virtual Accounts; " +
      `reportUsage by their devices; registerProductInstance with a token of maxUses ${run.settings.tokenMaxUses} shared by ${run.settings.tokenGroup} of them), ` +
      "12 Virtual Account users of bench.example.com (the reads in scope) and 8 SMART_ACCOUNT_USERs of it (Light, Entitlements, Devices; all eight moving one license back and forth between the same two Virtual Accounts). " +
      `Phase 2 adds admin@bench.example.com sending in a loop the most expensive operation the server accepts: **${run.expensive.chosen}**` +
      `${run.expensive.sizes ? ` (page sizes ${run.expensive.sizes.join("/")})` : ""}; candidates timed alone: ${run.expensive.candidates.map((c: any) => `${c.label} ${c.ms < 0 ? "refused" : `${c.ms} ms`}`).join("; ")}. ` +
      "A client answered 429 waits (Retry-After, at most 1 s).",
    "",
    "| operation | clients | phase 1 answers | p50 | p99 | phase 2 answers | p50 | p99 | p99 ratio | errors (phase 1 / 2) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const row of p1.operations) {
    const other = p2?.operations.find((r) => r.operation === row.operation && r.audience === row.audience);
    lines.push(
      `| ${row.operation} | ${row.audience} | ${row.requests} | ${ms(row.p50)} | ${ms(row.p99)} | ${other?.requests ?? "–"} | ${other ? ms(other.p50) : "–"} | ${other ? ms(other.p99) : "–"} | ${other ? `${(other.p99 / row.p99).toFixed(2)}×` : "–"} | ${codes(row.codes)} / ${other ? codes(other.codes) : "–"} |`,
    );
  }
  lines.push("");
  for (const p of phases) {
    const c = p.checks;
    lines.push(
      `- **Phase ${phases.indexOf(p) + 1}** (${p.name}, ${p.clients} clients, ${p.seconds} s): ${p.requests.toLocaleString("en")} answers to the hundred, **${p.rps} req/s**; ` +
        `HTTP statuses ${codes(p.statuses)}; RATE_LIMITED (429) **${p.rateLimited}** = ${(100 * p.rateLimitedRate).toFixed(2)}%; 5xx **${p.serverErrors}**` +
        `${p.transportFailures.length ? `; transport failures ${p.transportFailures.length}` : ""}; all requests p50 ${ms(p.others.p50)} ms, **p99 ${ms(p.others.p99)} ms** (reads ${ms(p.others.readsP99)}, writes ${ms(p.others.writesP99)}); ` +
        `CPU: the server process ${p.cpu.serverPercentOfOneCore ?? "?"}% of one core, this load generator ${p.cpu.generatorPercentOfOneCore}%.`,
      `  Checks: licenses conserved ${c.conservation.ok ? "✓" : "✗"} (total per product over all lots, and per account, product, kind and dates; ${c.conservation.lotsBefore.toLocaleString("en")} → ${c.conservation.lotsAfter.toLocaleString("en")} lots, ${c.conservation.nonPositiveLots} of quantity ≤ 0)` +
        `; transfer pairs ${c.transfers.ok ? "✓" : "✗"} (each pair's Virtual Accounts moved by exactly the successful transfers)` +
        `; maxUses ${c.tokens.ok ? "✓" : "✗"} (registrations per token ${c.tokens.rows.map((t) => t.uses).join(", ")} of ${run.settings.tokenMaxUses}, each equal to the successes seen and the devices written)` +
        `; one event per successful mutation ${c.events.ok ? "✓" : `✗ (${c.events.newEvents} events for ${c.events.successfulMutations} mutations)`}` +
        `; internal errors in the server log ${c.serverLog.internalErrors}; deadlocks ${c.serverLog.deadlocks} and lock-wait timeouts ${c.serverLog.lockWaitTimeouts} logged (and retried, R33); slow statements logged ${c.serverLog.slowStatements}.`,
    );
    if (p.heavy)
      lines.push(
        `  The heavy client: ${p.heavy.requests} answers, statuses ${codes(p.heavy.statuses)}${Object.keys(p.heavy.codes).length ? `, codes ${codes(p.heavy.codes)}` : ""}, p50 ${ms(p.heavy.p50)} ms, p99 ${ms(p.heavy.p99)} ms.`,
      );
  }
  if (p2) {
    lines.push(
      `- The hundred clients' p99 with the heavy client: ${ms(p2.others.p99)} ms against ${ms(p1.others.p99)} ms without = **${run.othersP99Ratio.toFixed(2)}×** (target ≤ 2×: ${run.withinTwice ? "met" : "**not met**"}).`,
    );
  }
  return `${lines.join("\n")}\n`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
