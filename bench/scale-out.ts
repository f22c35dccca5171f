/**
 * `npm run bench:scale-out [-- --scale 1 --clients 8 --rounds 3 --reuse --keep]`: issue "Scale-out", its targets.
 *
 * VIRTUAL_ACCOUNT_USER's Dashboard and Light (bench/queries.graphql), measured side by side in one run in
 * four arrangements of the same service on the same data:
 *
 *   one copy, reads on the primary      DATABASE_URL only
 *   one copy, reads on a replica        DATABASE_URL + DATABASE_REPLICA_URLS
 *   two copies, reads on the primary    two processes, the clients spread over them round-robin
 *   two copies, reads on a replica      both
 *
 * The database pair is scripts/mariadb-replica.sh's (a primary and a GTID replica of it, each its own mariadbd,
 * on PRIMARY_PORT / REPLICA_PORT, 3417 / 3418 here, under MARIADB_REPLICA_DIR, /tmp/sag-bench-replica): started
 * if it does not run (and stopped, its folder removed, at the end unless --keep); the database sag_bench is
 * created on the primary and seeded like `npm run bench:seed -- --scale N`, and the replica has applied all
 * of it before anything is measured. Every copy shares REDIS_URL (default redis://127.0.0.1:6379) under a
 * key prefix of this run's own, as copies in production do.
 *
 * Each operation: every arrangement warmed up, then `--rounds` rounds in which each arrangement in turn (the
 * order rotating per round) serves `--clients` closed-loop clients; each arrangement's median round is kept.
 * Beside throughput and latency, where the time goes: CPU seconds per request of the API copies, of each
 * mariadbd and of this load generator (from /proc), and SELECT statements per request each server executed
 * (its Com_select counter), which also shows that the replica arrangements read on the replica. Figures go
 * to bench/results/scale-out-mariadb-scale<N>.json and the "Scale-out" section of bench/results.md
 * (`--render` rewrites the section from the saved run, measuring nothing).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { signToken } from "../src/auth/identity";
import {
  benchDatabase,
  Client,
  concurrentRun,
  cpuSeconds,
  machine,
  ms,
  referenceOperations,
  RESULTS_DIR,
  ROOT,
  round1,
  Server,
  startServer,
  writeSection,
  flag,
  numberOption,
} from "./support";

const SCALE = numberOption("scale", 1);
const CLIENTS = numberOption("clients", 8);
const ROUNDS = numberOption("rounds", 3);
const REUSE = flag("reuse");
const KEEP = flag("keep");
const PRIMARY_PORT = process.env.PRIMARY_PORT ?? "3417";
const REPLICA_PORT = process.env.REPLICA_PORT ?? "3418";
const REPLICA_DIR = process.env.MARIADB_REPLICA_DIR ?? "/tmp/sag-bench-replica";
const REDIS_URL = process.env.REDIS_URL?.trim() || "redis://127.0.0.1:6379";
const DATABASE = "sag_bench";
const PRIMARY_URL = `mysql://root@127.0.0.1:${PRIMARY_PORT}/${DATABASE}`;
const REPLICA_URL = `mysql://root@127.0.0.1:${REPLICA_PORT}/${DATABASE}`;
const VIEWER = "va-user@bench.example.com";
const SECRET = randomBytes(32).toString("hex");
const RUN_TAG = `scale-out-${Date.now().toString(36)}`;
/** R31's budget raised out of the way: the benchmark measures serving, not throttling. */
const RATE_LIMIT_COST_PER_MINUTE = "1000000000000000";
const API_PORTS = { primary1: 4440, primary2: 4441, replica1: 4442, replica2: 4443 };
/** Requests per client per round, and warm-up per client, for each operation. */
const WORK: Record<"Light" | "Dashboard", { requests: number; warmup: number }> = {
  Light: { requests: numberOption("light-requests", 500), warmup: numberOption("light-warmup", 150) },
  Dashboard: { requests: numberOption("dashboard-requests", 30), warmup: numberOption("dashboard-warmup", 8) },
};

interface Arrangement {
  key: string;
  label: string;
  ports: number[];
  reads: "primary" | "replica";
}
const ARRANGEMENTS: Arrangement[] = [
  { key: "one-primary", label: "one copy, reads on the primary", ports: [API_PORTS.primary1], reads: "primary" },
  { key: "one-replica", label: "one copy, reads on a replica", ports: [API_PORTS.replica1], reads: "replica" },
  { key: "two-primary", label: "two copies, reads on the primary", ports: [API_PORTS.primary1, API_PORTS.primary2], reads: "primary" },
  { key: "two-replica", label: "two copies, reads on a replica", ports: [API_PORTS.replica1, API_PORTS.replica2], reads: "replica" },
];

interface RoundFigures {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  failures: Record<string, number>;
  seconds: number;
  /** CPU seconds per request. */
  cpu: { api: number; primary: number; replica: number; load: number };
  /** SELECT statements per request each server executed. */
  selects: { primary: number; replica: number };
}

// ---------------------------------------------------------------------------------------------
// The database pair

function replicaScript(command: "start" | "stop" | "status"): string {
  return execFileSync("bash", [path.join(ROOT, "scripts/mariadb-replica.sh"), command], {
    cwd: ROOT,
    env: { ...process.env, MARIADB_REPLICA_DIR: REPLICA_DIR, PRIMARY_PORT, REPLICA_PORT },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

function pairRuns(): boolean {
  try {
    const status = replicaScript("status");
    return /primary: running/.test(status) && /replica: running/.test(status);
  } catch {
    return false;
  }
}

const mariadbPid = (node: "primary" | "replica") => Number(fs.readFileSync(path.join(REPLICA_DIR, node, "mariadbd.pid"), "utf8").trim());

async function comSelect(connection: mysql.Connection): Promise<number> {
  const [rows] = (await connection.query("SHOW GLOBAL STATUS LIKE 'Com_select'")) as unknown as [{ Value: string }[]];
  return Number(rows[0].Value);
}

/** Waits until the replica has applied everything the primary has written so far. */
async function replicaCaughtUp(primary: mysql.Connection, replica: mysql.Connection): Promise<void> {
  const [[{ pos }]] = (await primary.query("SELECT @@gtid_binlog_pos pos")) as unknown as [{ pos: string }[]];
  const [[{ waited }]] = (await replica.query("SELECT MASTER_GTID_WAIT(?, 900) waited", [pos])) as unknown as [{ waited: number }[]];
  if (Number(waited) !== 0) throw new Error(`the replica did not reach the primary's ${pos} within 15 minutes`);
}

// ---------------------------------------------------------------------------------------------
// Measuring

async function measure(
  arrangement: Arrangement,
  query: string,
  token: string,
  work: { requests: number; warmup: number },
  servers: Map<number, Server>,
  counters: { primary: mysql.Connection; replica: mysql.Connection; pids: { primary: number; replica: number } },
  warmupOnly: boolean,
): Promise<RoundFigures | null> {
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(arrangement.ports[i % arrangement.ports.length]));
  const send = (client: number) => clients[client].graphql(query, {}, token);
  try {
    if (warmupOnly) {
      await concurrentRun(CLIENTS, work.warmup, 0, send);
      return null;
    }
    const apiPids = arrangement.ports.map((port) => servers.get(port)!.child.pid);
    const apiCpu = () => apiPids.reduce<number>((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0);
    const loadCpu = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    };
    // A short warm-up of this round's own connections, then the counters, then the timed requests.
    await concurrentRun(CLIENTS, 2, 0, send);
    const before = {
      api: apiCpu(),
      primary: cpuSeconds(counters.pids.primary) ?? 0,
      replica: cpuSeconds(counters.pids.replica) ?? 0,
      load: loadCpu(),
      selectsPrimary: await comSelect(counters.primary),
      selectsReplica: await comSelect(counters.replica),
      at: performance.now(),
    };
    const run = await concurrentRun(CLIENTS, 0, work.requests, send);
    const seconds = (performance.now() - before.at) / 1000;
    const per = (value: number) => value / Math.max(run.requests, 1);
    // The counter reads themselves are one SELECT each on the server read (SHOW is not counted).
    return {
      ...run,
      seconds: round1(seconds),
      cpu: {
        api: per(apiCpu() - before.api),
        primary: per((cpuSeconds(counters.pids.primary) ?? 0) - before.primary),
        replica: per((cpuSeconds(counters.pids.replica) ?? 0) - before.replica),
        load: per(loadCpu() - before.load),
      },
      selects: {
        primary: per((await comSelect(counters.primary)) - before.selectsPrimary),
        replica: per((await comSelect(counters.replica)) - before.selectsReplica),
      },
    };
  } finally {
    clients.forEach((client) => client.close());
  }
}

const medianRound = (rounds: RoundFigures[]) => [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (flag("render")) {
    const run = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, `scale-out-mariadb-scale${SCALE}.json`), "utf8")) as Run;
    const markdown = render(run);
    writeSection("scale-out", markdown);
    console.log(markdown);
    return;
  }
  const startedPair = !pairRuns();
  if (startedPair) {
    if (REUSE) throw new Error(`--reuse: no replica pair runs on ${PRIMARY_PORT}/${REPLICA_PORT} (MARIADB_REPLICA_DIR=${REPLICA_DIR})`);
    console.log(`starting a MariaDB primary (${PRIMARY_PORT}) and replica (${REPLICA_PORT}) under ${REPLICA_DIR}…`);
    replicaScript("start");
  }
  const servers = new Map<number, Server>();
  const connections: mysql.Connection[] = [];
  let database: Awaited<ReturnType<typeof benchDatabase>> | null = null;
  try {
    database = await benchDatabase(PRIMARY_URL, { scale: SCALE, reuse: REUSE, keep: KEEP || REUSE });
    const primary = await mysql.createConnection(PRIMARY_URL);
    const replica = await mysql.createConnection(REPLICA_URL.replace(`/${DATABASE}`, "/"));
    connections.push(primary, replica);
    console.log("waiting for the replica to apply the seed…");
    const caughtUpStarted = Date.now();
    await replicaCaughtUp(primary, replica);
    console.log(`  caught up (${((Date.now() - caughtUpStarted) / 1000).toFixed(1)} s)`);
    const [[facts]] = (await replica.query(
      `SELECT (SELECT COUNT(*) FROM ${DATABASE}.licenses) lots, (SELECT COUNT(*) FROM ${DATABASE}.product_instances) devices`,
    )) as unknown as [{ lots: number; devices: number }[]];
    const [[{ version }]] = (await primary.query("SELECT VERSION() version")) as unknown as [{ version: string }[]];

    const common = {
      DATABASE_URL: PRIMARY_URL,
      JWT_SECRET: SECRET,
      RATE_LIMIT_COST_PER_MINUTE,
      REDIS_URL,
      REDIS_KEY_PREFIX: `sag-${RUN_TAG}`,
    };
    const started = await Promise.all([
      startServer("src/main.ts", API_PORTS.primary1, common),
      startServer("src/main.ts", API_PORTS.primary2, common),
      startServer("src/main.ts", API_PORTS.replica1, { ...common, DATABASE_REPLICA_URLS: REPLICA_URL }),
      startServer("src/main.ts", API_PORTS.replica2, { ...common, DATABASE_REPLICA_URLS: REPLICA_URL }),
    ]);
    for (const server of started) servers.set(server.port, server);

    const token = await signToken(SECRET, { email: VIEWER }, { expiresIn: "2h" });
    const operations = referenceOperations();
    const counters = { primary, replica, pids: { primary: mariadbPid("primary"), replica: mariadbPid("replica") } };
    const results: Record<string, Record<string, { median: RoundFigures; rounds: RoundFigures[] }>> = {};
    for (const name of ["Light", "Dashboard"] as const) {
      const query = operations.get(name)!;
      const probe = await new Client(API_PORTS.replica1).graphql(query, {}, token);
      if (probe.status !== 200 || probe.body?.errors?.length) throw new Error(`${name} as ${VIEWER}: ${JSON.stringify(probe.body).slice(0, 400)}`);
      console.log(`${name}: warming up every arrangement…`);
      for (const arrangement of ARRANGEMENTS) await measure(arrangement, query, token, WORK[name], servers, counters, true);
      const rounds = new Map<string, RoundFigures[]>(ARRANGEMENTS.map((a) => [a.key, []]));
      for (let round = 0; round < ROUNDS; round++) {
        const order = ARRANGEMENTS.map((_, i) => ARRANGEMENTS[(i + round) % ARRANGEMENTS.length]);
        for (const arrangement of order) {
          const figures = (await measure(arrangement, query, token, WORK[name], servers, counters, false))!;
          rounds.get(arrangement.key)!.push(figures);
          console.log(
            `  round ${round + 1} ${name}, ${arrangement.label}: ${figures.rps} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms; ` +
              `selects/request primary ${figures.selects.primary.toFixed(1)} replica ${figures.selects.replica.toFixed(1)}` +
              (Object.keys(figures.failures).length ? `; failures ${JSON.stringify(figures.failures)}` : ""),
          );
        }
      }
      results[name] = Object.fromEntries([...rounds].map(([key, list]) => [key, { median: medianRound(list), rounds: list }]));
    }

    const run = {
      database: "mariadb",
      databaseVersion: version,
      scale: { label: SCALE, lots: Number(facts.lots), devices: Number(facts.devices) },
      machine: machine(),
      node: process.version,
      date: new Date().toISOString(),
      viewer: VIEWER,
      settings: { clients: CLIENTS, rounds: ROUNDS, work: WORK, redis: true },
      arrangements: ARRANGEMENTS.map(({ key, label, reads, ports }) => ({ key, label, reads, copies: ports.length })),
      results,
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(path.join(RESULTS_DIR, `scale-out-mariadb-scale${SCALE}.json`), `${JSON.stringify(run, null, 2)}\n`);
    const markdown = render(run);
    writeSection("scale-out", markdown);
    console.log(`\n${markdown}`);
    const failed = Object.values(results).some((byArrangement) =>
      Object.values(byArrangement).some(({ rounds }) => rounds.some((r) => Object.keys(r.failures).length)),
    );
    if (failed) process.exitCode = 2;
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
    await Promise.all(connections.map((connection) => connection.end().catch(() => undefined)));
    if (database) await database.drop();
    if (startedPair && !KEEP) {
      console.log("stopping the replica pair…");
      replicaScript("stop");
    }
  }
}

type Run = {
  databaseVersion: string;
  scale: { label: number; lots: number; devices: number };
  machine: string;
  node: string;
  date: string;
  viewer: string;
  settings: { clients: number; rounds: number; work: typeof WORK };
  results: Record<string, Record<string, { median: RoundFigures; rounds: RoundFigures[] }>>;
};

const cpuMs = (seconds: number) => (seconds * 1000).toFixed(seconds * 1000 < 10 ? 2 : 1);
const totalCpu = (m: RoundFigures) => m.cpu.api + m.cpu.primary + m.cpu.replica + m.cpu.load;
const percent = (part: number, whole: number) => `${Math.round((100 * part) / Math.max(whole, 1e-9))}%`;
const signed = (part: number, whole: number) => `${part >= 0 ? "+" : "−"}${percent(Math.abs(part), whole)}`;

function render(run: Run): string {
  const cores = Number(/^(\d+) ×/.exec(run.machine)?.[1] ?? 2);
  const lines = [
    "## Scale-out (issue #16)",
    "",
    "Written by `npm run bench:scale-out` (bench/scale-out.ts). VIRTUAL_ACCOUNT_USER (`" +
      run.viewer +
      "`) Dashboard and Light on the bench data set",
    `(scale ${run.scale.label}: ${run.scale.lots.toLocaleString("en")} lots, ${run.scale.devices.toLocaleString("en")} devices) in a MariaDB ${run.databaseVersion}`,
    "primary with one GTID replica (scripts/mariadb-replica.sh, both on this machine), every copy sharing Redis. Each",
    `arrangement in turn serves ${run.settings.clients} closed-loop clients (spread round-robin over the copies); ${run.settings.rounds} rounds, order rotating,`,
    `the median round kept (Light ${run.settings.work.Light.requests * run.settings.clients} requests a round, Dashboard ${run.settings.work.Dashboard.requests * run.settings.clients}). ${run.machine}, Node ${run.node}, ${run.date.slice(0, 10)}.`,
    "",
    "Where the time goes: CPU milliseconds per request of the API copies (together), of each mariadbd and of",
    `the load generator, read from /proc, and their sum; the ceiling is what ${cores} cores could serve at that sum`,
    "(cores ÷ CPU per request). SELECT statements per request each server executed (its Com_select counter).",
    "",
    "| Operation | Arrangement | req/s | vs one copy on the primary | p50 ms | p99 ms | CPU ms/request: API · primary · replica · load | all | ceiling req/s | SELECTs/request: primary · replica |",
    "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
  ];
  for (const [operation, byArrangement] of Object.entries(run.results)) {
    const base = byArrangement["one-primary"].median.rps;
    for (const arrangement of ARRANGEMENTS) {
      const m = byArrangement[arrangement.key].median;
      lines.push(
        `| ${operation} | ${arrangement.label} | ${m.rps} | ${(m.rps / base).toFixed(2)}× | ${ms(m.p50)} | ${ms(m.p99)} | ` +
          `${cpuMs(m.cpu.api)} · ${cpuMs(m.cpu.primary)} · ${cpuMs(m.cpu.replica)} · ${cpuMs(m.cpu.load)} | ${cpuMs(totalCpu(m))} | ` +
          `${Math.round(cores / totalCpu(m))} | ${m.selects.primary.toFixed(1)} · ${m.selects.replica.toFixed(1)} |`,
      );
    }
  }
  const figures = (operation: string, key: string) => run.results[operation][key].median;
  const dashboard = {
    one: figures("Dashboard", "one-primary"),
    replica: figures("Dashboard", "one-replica"),
    two: figures("Dashboard", "two-primary"),
  };
  const light = { one: figures("Light", "one-primary"), replica: figures("Light", "one-replica"), two: figures("Light", "two-primary") };
  const saturation = (m: RoundFigures) => percent(m.rps * totalCpu(m), cores);
  lines.push(
    "",
    "What it shows:",
    "",
    `- **The machine is the limit, not the arrangement.** Every arrangement keeps the ${cores} cores busy (Dashboard, one copy on the`,
    `  primary: ${dashboard.one.rps} req/s × ${cpuMs(totalCpu(dashboard.one))} ms = ${saturation(dashboard.one)} of ${cores} cores; Light ${saturation(light.one)}), and the copies, both`,
    "  mariadbd and the load generator share them: on one machine neither a second copy nor a replica adds",
    "  capacity, it only moves the work (and a second process costs some, below). What moves is the point.",
    `- **A replica takes the reads off the primary.** Dashboard's primary CPU per request ${cpuMs(dashboard.one.cpu.primary)} → ${cpuMs(dashboard.replica.cpu.primary)} ms`,
    `  (${dashboard.one.selects.primary.toFixed(0)} → ${dashboard.replica.selects.primary.toFixed(0)} SELECTs: what is left is authentication's statement, kept on the primary by design, docs/replicas.md);`,
    `  the replica does that work instead (${cpuMs(dashboard.replica.cpu.replica)} ms). On its own machine a replica adds that much read capacity;`,
    "  Light's one statement is authentication's, so a replica cannot change Light.",
    `- **What a second copy costs on the same cores.** API CPU per request: Dashboard ${cpuMs(dashboard.one.cpu.api)} → ${cpuMs(dashboard.two.cpu.api)} ms`,
    `  (${signed(dashboard.two.cpu.api - dashboard.one.cpu.api, dashboard.one.cpu.api)}), Light ${cpuMs(light.one.cpu.api)} → ${cpuMs(light.two.cpu.api)} ms (${signed(light.two.cpu.api - light.one.cpu.api, light.one.cpu.api)}): for a request as small as Light's,`,
    "  two processes on two shared cores switch and cache worse, which is Light's lower throughput with two copies;",
    "  Dashboard's work per request is large enough not to show it. Copies on machines of",
    "  their own each bring their cores; what they share is Redis and the database, whose CPU per request is above.",
    `- The load generator's share (Dashboard ${cpuMs(dashboard.one.cpu.load)} ms a request: parsing the answer) is part of what the ${cores} cores carry here`,
    "  and would not be on the servers' machines.",
    "",
    "The machine is a shared virtual one and noisy: the same arrangement's rounds differ by up to " +
      Object.entries(run.results)
        .map(([operation, byArrangement]) => {
          const spreads = Object.values(byArrangement).map(({ rounds }) => {
            const values = rounds.map((round) => round.rps);
            return Math.max(...values) / Math.max(Math.min(...values), 1e-9);
          });
          return `${Math.max(...spreads).toFixed(2)}× (${operation})`;
        })
        .join(" and ") +
      ", as much as",
    "the differences between arrangements. Every round's throughput (req/s), in the order of the table:",
    "",
    ...Object.entries(run.results).map(
      ([operation, byArrangement]) =>
        `- ${operation}: ` +
        ARRANGEMENTS.map((arrangement) => `${arrangement.key} ${byArrangement[arrangement.key].rounds.map((round) => round.rps).join(" / ")}`).join(
          "; ",
        ),
    ),
  );
  return lines.join("\n");
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
