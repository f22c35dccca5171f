/**
 * `npm run bench [-- --requests 200 --connections 4 --warmup 30]` against the data set of `npm run bench:seed`
 * in DATABASE_URL. For each operation of bench/queries.graphql, as a SMART_ACCOUNT_ADMIN and as
 * a VIRTUAL_ACCOUNT_USER, it measures over HTTP (autocannon, a fixed number of requests after a warm-up)
 * p50/p99 latency, requests per second and SQL statements per request (counted by the server), beside
 * the floor (bench/floor.ts) and, for Light, a bare Apollo Server (bench/bare-apollo.ts); and Dashboard with
 * the shield switched off. Then the writes (bench/writes.ts): transferLicenses and reportUsage, each under
 * 8 concurrent clients (`--write-requests 800 --write-warmup 80` in all), leaving the data set as it was.
 * Each run is saved as bench/results/<database>-scale<N>.json and the benchmark's section of
 * bench/results.md is rendered from every saved run (the other sections stay); a run copied to
 * bench/results/baseline-before-kept-pools/ is shown as the "before kept pools" baseline of later runs.
 *
 * The servers measured get RATE_LIMIT_COST_PER_MINUTE raised out of the way (R31): at the default budget,
 * 10^9 a minute per principal, the reference Dashboard (cost 27,021,823) is refused after 37 a minute.
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { Kind, parse, print } from "graphql";
import mysql from "mysql2/promise";
import Database from "better-sqlite3";
import { signToken } from "../src/auth/identity";
import { streamExport, writeSection } from "./support";
import { measureWrites, WRITE_CLIENTS, WriteRow, WriteSetup } from "./writes";

const ROOT = path.join(__dirname, "..");
const QUERIES = path.join(__dirname, "queries.graphql");
const RESULTS_DIR = path.join(__dirname, "results");
/** A fresh key per run: production refuses short or shipped ones (R32). */
const SECRET = randomBytes(32).toString("hex");
const DOMAIN = "bench.example.com";
const VIEWERS = { SMART_ACCOUNT_ADMIN: "admin@bench.example.com", VIRTUAL_ACCOUNT_USER: "va-user@bench.example.com" } as const;
const PORTS = { api: 4400, noShield: 4401, bare: 4402, floor: 4403, export: 4404, counting: 4405 };
/** R31's budget for the servers measured, raised so far that the benchmark itself is never throttled. */
const RATE_LIMIT_COST_PER_MINUTE = "1000000000000000";
const BASELINE_DIR = "baseline-before-kept-pools";

interface Measure {
  p50: number;
  p99: number;
  rps: number;
}

interface Row {
  operation: string;
  viewer: keyof typeof VIEWERS;
  api: Measure;
  statements: number;
  floor: Measure | null;
  note?: string;
}

interface Run {
  database: string;
  databaseVersion: string;
  scale: { lots: number; devices: number; virtualAccounts: number; label: number };
  machine: string;
  node: string;
  date: string;
  settings: {
    requests: number;
    connections: number;
    warmup: number;
    quick?: boolean;
    writeRequests?: number;
    writeWarmup?: number;
    rateLimitCostPerMinute?: string;
  };
  rows: Row[];
  /** transferLicenses and reportUsage under WRITE_CLIENTS concurrent clients (bench/writes.ts). */
  writes?: WriteRow[];
  writeSetup?: WriteSetup;
  light?: { api: Measure; bare: Measure; rounds?: number; requests?: number; warmup?: number; perRound?: { api: number; bare: number }[] };
  authorization?: { withShield: Measure; withoutShield: Measure };
  export?: { rows: number; seconds: number; rowsPerSecond: number; firstByteMs: number; peakRssMb: number; format: string };
}

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const settings = { requests: option("requests", 200), connections: option("connections", 4), warmup: option("warmup", 30) };
/** --quick: one timed request per operation (statements and a single latency), no floors or load; fewer writes; and the export. */
const quick = args.includes("--quick");
/** The writes' requests and warm-up per operation, in all (rounded up to an even number per client). */
const writeSettings = quick
  ? { writeRequests: 4 * WRITE_CLIENTS, writeWarmup: 2 * WRITE_CLIENTS }
  : { writeRequests: option("write-requests", 800), writeWarmup: option("write-warmup", 80) };
/**
 * --only Dashboard,Tree[,transferLicenses,reportUsage,light,authorization,export]: a probe while working on a gap — just those
 * operations (and extras), printed, nothing saved.
 */
const only = args.includes("--only") ? new Set(args[args.indexOf("--only") + 1].split(",")) : null;
const runs = (name: string) => !only || only.has(name);
/** --viewer SMART_ACCOUNT_ADMIN|VIRTUAL_ACCOUNT_USER: one viewer only (with --only). */
const onlyViewer = args.includes("--viewer") ? args[args.indexOf("--viewer") + 1] : null;
const databaseUrl = process.env.DATABASE_URL ?? "sqlite:data/smart-account-graph.sqlite";

/** Every server runs as the image does, NODE_ENV=production (graphql-js drops its development-only checks). */
function start(script: string[], port: number, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, script, {
    cwd: ROOT,
    env: {
      ...process.env,
      RATE_LIMIT_COST_PER_MINUTE,
      ...env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      SEED_DEMO: "false",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  return child;
}

async function waitFor(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

/** Light's throughput against the bare server: a fixed warm-up, then alternating rounds (see main). */
const LIGHT = { warmup: 2000, requests: 4000, rounds: 3 };

/** The round with the median throughput. */
const median = (measures: Measure[]): Measure => [...measures].sort((a, b) => a.rps - b.rps)[Math.floor(measures.length / 2)];

type LoadRequest = { url: string; method?: "GET" | "POST"; headers?: Record<string, string>; body?: string };

function load(request: LoadRequest): Promise<Measure> {
  return loadRun(request, settings.warmup, settings.requests);
}

async function loadRun(request: LoadRequest, warmup: number, requests: number): Promise<Measure> {
  // autocannon gives up on an answer after 10 s by default; the server itself allows 30 s (HTTP_REQUEST_TIMEOUT_MS),
  // and on a busy machine a Dashboard as the admin can take longer than 10 s.
  const base = { ...request, method: request.method ?? "POST", connections: settings.connections, timeout: 30 };
  if (warmup) await autocannon({ ...base, amount: warmup });
  const { result, seconds } = await timed({ ...base, amount: requests });
  if (result.non2xx || result.errors) throw new Error(`${request.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const rps = result.requests.total / Math.max(seconds, 0.001);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: rps < 10 ? Math.round(rps * 10) / 10 : Math.round(rps) };
}

/**
 * One autocannon run and its true duration, first request to last response: autocannon closes its
 * result (and its start/finish times) only on its next one-second tick, which would round every short
 * run up to whole seconds.
 */
function timed(options: autocannon.Options): Promise<{ result: autocannon.Result; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let last = started;
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve({ result, seconds: (last - started) / 1000 })));
    instance.on("response", () => {
      last = performance.now();
    });
  });
}

async function graphql(port: number, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: any; errors?: { message: string }[]; extensions?: { sqlStatements?: number } };
  if (body.errors?.length) throw new Error(`GraphQL errors: ${body.errors.map((e) => e.message).join("; ")}`);
  return body;
}

async function databaseFacts(): Promise<{ version: string; lots: number; devices: number; virtualAccounts: number }> {
  const count = `SELECT (SELECT COUNT(*) FROM licenses) lots, (SELECT COUNT(*) FROM product_instances) devices, (SELECT COUNT(*) FROM virtual_accounts) vas`;
  if (databaseUrl.startsWith("sqlite:")) {
    const db = new Database(databaseUrl.slice("sqlite:".length), { readonly: true });
    const row = db.prepare(count).get() as { lots: number; devices: number; vas: number };
    const { v } = db.prepare("SELECT sqlite_version() v").get() as { v: string };
    db.close();
    return { version: `SQLite ${v}`, lots: row.lots, devices: row.devices, virtualAccounts: row.vas };
  }
  const connection = await mysql.createConnection(databaseUrl.replace(/^mariadb:/, "mysql:"));
  const [[row]] = (await connection.query(count)) as unknown as [{ lots: number; devices: number; vas: number }[]];
  const [[{ v }]] = (await connection.query("SELECT VERSION() v")) as unknown as [{ v: string }[]];
  await connection.end();
  return { version: v, lots: Number(row.lots), devices: Number(row.devices), virtualAccounts: Number(row.vas) };
}

/** The cursor of the page before `page` (1-based), paging through the API; the last page if there are fewer. */
async function cursorBefore(token: string, query: string, page: number): Promise<{ after: string | null; page: number }> {
  let after: string | null = null;
  let reached = 1;
  while (reached < page) {
    const body: any = await graphql(PORTS.api, token, query, { domain: DOMAIN, after });
    const info = body.data.smartAccount.licenses.pageInfo;
    if (!info.hasNextPage) break;
    after = info.endCursor;
    reached += 1;
  }
  return { after, page: reached };
}

const lotIdOf = (cursor: string | null) => (cursor ? String(JSON.parse(Buffer.from(cursor, "base64url").toString())[1]) : null);

async function main(): Promise<void> {
  const facts = await databaseFacts();
  if (!facts.lots) throw new Error("No data: run `npm run bench:seed -- --scale 1` against this DATABASE_URL first.");
  const operations = parse(fs.readFileSync(QUERIES, "utf8")).definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION && definition.name ? [{ name: definition.name.value, query: print(definition) }] : [],
  );
  const measured = operations.filter((operation) => runs(operation.name));
  const children = [
    // The measured server runs as in production; a second one counts each operation's statements.
    start(["dist/src/main.js"], PORTS.api, {}),
    start(["dist/src/main.js"], PORTS.counting, { EXPOSE_QUERY_STATS: "1" }),
    start(["dist/bench/no-shield.js"], PORTS.noShield, {}),
    start(["-r", "@swc-node/register", "bench/bare-apollo.ts"], PORTS.bare, {}),
    start(["-r", "@swc-node/register", "bench/floor.ts"], PORTS.floor, {}),
  ];
  const stop = () => children.forEach((child) => child.kill());
  process.on("exit", stop);
  try {
    await Promise.all([
      waitFor(`http://127.0.0.1:${PORTS.api}/readyz`),
      waitFor(`http://127.0.0.1:${PORTS.counting}/readyz`),
      waitFor(`http://127.0.0.1:${PORTS.noShield}/readyz`),
      waitFor(`http://127.0.0.1:${PORTS.bare}/graphql`),
      waitFor(`http://127.0.0.1:${PORTS.floor}/Light`),
    ]);
    const rows: Row[] = [];
    for (const [viewer, email] of Object.entries(VIEWERS) as [keyof typeof VIEWERS, string][]) {
      if (onlyViewer && viewer !== onlyViewer) continue;
      const token = await signToken(SECRET, { email }, { expiresIn: "2h" });
      const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
      for (const operation of measured) {
        const pages: { label: string; after: string | null; note?: string }[] =
          operation.name === "Entitlements"
            ? await (async () => {
                const last = await cursorBefore(token, operation.query, 100);
                return [
                  { label: "Entitlements (page 1)", after: null },
                  {
                    label: `Entitlements (page ${last.page})`,
                    after: last.after,
                    note: last.page < 100 ? `only ${last.page} pages in scope` : undefined,
                  },
                ];
              })()
            : [{ label: operation.name, after: null }];
        for (const page of pages) {
          const variables = { domain: DOMAIN, after: page.after };
          const sample = await graphql(PORTS.counting, token, operation.query, variables);
          if (quick) {
            const started = Date.now();
            await graphql(PORTS.api, token, operation.query, variables);
            const single = Date.now() - started;
            rows.push({
              operation: page.label,
              viewer,
              api: { p50: single, p99: single, rps: 0 },
              statements: sample.extensions?.sqlStatements ?? -1,
              floor: null,
              note: page.note,
            });
            console.log(`${viewer} ${page.label}: one request ${single} ms, ${sample.extensions?.sqlStatements} statements`);
            continue;
          }
          const body = JSON.stringify({ query: operation.query, variables });
          const api = await load({ url: `http://127.0.0.1:${PORTS.api}/graphql`, headers, body });
          const after = lotIdOf(page.after);
          const floor = await load({
            url: `http://127.0.0.1:${PORTS.floor}/${operation.name}?user=${encodeURIComponent(email)}${after ? `&after=${after}` : ""}`,
            method: "GET",
          });
          rows.push({ operation: page.label, viewer, api, statements: sample.extensions?.sqlStatements ?? -1, floor, note: page.note });
          console.log(
            `${viewer} ${page.label}: p50 ${api.p50} ms (floor ${floor.p50}), ${api.rps} req/s, ${sample.extensions?.sqlStatements} statements`,
          );
        }
      }
    }
    const adminToken = await signToken(SECRET, { email: VIEWERS.SMART_ACCOUNT_ADMIN }, { expiresIn: "2h" });
    let writes: { rows: WriteRow[]; setup: WriteSetup } | undefined;
    if (runs("transferLicenses") || runs("reportUsage")) {
      writes = await measureWrites({
        databaseUrl,
        domain: DOMAIN,
        adminEmail: VIEWERS.SMART_ACCOUNT_ADMIN,
        adminToken,
        port: PORTS.api,
        countingPort: PORTS.counting,
        warmup: writeSettings.writeWarmup,
        requests: writeSettings.writeRequests,
        only: runs,
      });
      for (const row of writes.rows)
        console.log(
          `${row.caller} ${row.operation}${row.note ? ` (${row.note})` : ""}, ${row.clients} clients: p50 ${row.api.p50} ms, p99 ${row.api.p99} ms, ${row.api.rps} req/s, ${row.statements} statements (${row.requests} requests after ${row.warmup})`,
        );
      // A write that failed (e.g. SERVICE_UNAVAILABLE on a busy machine) is kept in the row's note, not fatal.
      if (writes.rows.some((row) => row.note?.startsWith("failures"))) process.exitCode = 2;
      const left = writes.setup.leftAsItWas;
      console.log(`writes: data set left as it was: ${left.ok ? "yes" : `NO (${left.differences.join("; ")})`}`);
      if (!left.ok) process.exitCode = 2;
    }
    const adminHeaders = { "content-type": "application/json", authorization: `Bearer ${adminToken}` };
    const light = operations.find((o) => o.name === "Light")!;
    const dashboard = operations.find((o) => o.name === "Dashboard")!;
    const lightBody = JSON.stringify({ query: light.query });
    const dashboardBody = JSON.stringify({ query: dashboard.query });
    let lightResult: Run["light"];
    let authorization: Run["authorization"];
    if (!quick && runs("light")) {
      // Throughput needs longer runs than latency, and both servers equally warm: each gets the same
      // warm-up, then they take turns for a few rounds; each side's median round is kept.
      const api = { url: `http://127.0.0.1:${PORTS.api}/graphql`, headers: adminHeaders, body: lightBody };
      const bare = { url: `http://127.0.0.1:${PORTS.bare}/graphql`, headers: { "content-type": "application/json" }, body: lightBody };
      await loadRun(api, 0, LIGHT.warmup);
      await loadRun(bare, 0, LIGHT.warmup);
      const rounds: { api: Measure; bare: Measure }[] = [];
      for (let round = 0; round < LIGHT.rounds; round++)
        rounds.push({ api: await loadRun(api, 0, LIGHT.requests), bare: await loadRun(bare, 0, LIGHT.requests) });
      lightResult = {
        api: median(rounds.map((r) => r.api)),
        bare: median(rounds.map((r) => r.bare)),
        ...LIGHT,
        perRound: rounds.map((r) => ({ api: r.api.rps, bare: r.bare.rps })),
      };
      console.log(
        `Light throughput, ${LIGHT.rounds} rounds of ${LIGHT.requests} requests: ${rounds.map((r) => `${r.api.rps}/${r.bare.rps}`).join(", ")} req/s; ` +
          `medians ${lightResult.api.rps} vs bare Apollo ${lightResult.bare.rps}: ${Math.round((100 * lightResult.api.rps) / lightResult.bare.rps)}%`,
      );
    }
    if (!quick && runs("authorization")) {
      const withShield = await load({ url: `http://127.0.0.1:${PORTS.api}/graphql`, headers: adminHeaders, body: dashboardBody });
      const withoutShield = await load({ url: `http://127.0.0.1:${PORTS.noShield}/graphql`, headers: adminHeaders, body: dashboardBody });
      authorization = { withShield, withoutShield };
      console.log(`Authorization: Dashboard p50 ${withShield.p50} ms with the shield, ${withoutShield.p50} ms without`);
    }

    // Issue #6: stream every lot of the account as CSV through a fresh server, whose peak RSS is the export's.
    let exported: Run["export"];
    if (runs("export")) {
      const exportServer = start(["dist/src/main.js"], PORTS.export, {});
      children.push(exportServer);
      await waitFor(`http://127.0.0.1:${PORTS.export}/readyz`);
      exported = await measureExport(adminToken, exportServer);
    }
    if (only) return;

    const cpus = os.cpus();
    const run: Run = {
      database: databaseUrl.startsWith("sqlite:") ? "sqlite" : "mariadb",
      databaseVersion: facts.version,
      scale: {
        lots: facts.lots,
        devices: facts.devices,
        virtualAccounts: facts.virtualAccounts,
        label: Math.max(1, Math.round(facts.lots / 100_000)),
      },
      machine: `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`,
      node: process.version,
      date: new Date().toISOString(),
      settings: { ...settings, quick, ...(writes ? writeSettings : {}), rateLimitCostPerMinute: RATE_LIMIT_COST_PER_MINUTE },
      rows,
      writes: writes?.rows,
      writeSetup: writes?.setup,
      light: lightResult,
      authorization,
      export: exported,
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(RESULTS_DIR, `${run.database}-scale${run.scale.label}${quick ? "-quick" : ""}.json`),
      `${JSON.stringify(run, null, 2)}\n`,
    );
    const markdown = render();
    writeSection("bench", markdown);
    console.log(`\n${markdown}`);
  } finally {
    stop();
  }
}

/** Streams /exports/licenses for the whole bench account, counting rows; the server's VmHWM after. */
async function measureExport(token: string, server: ChildProcess) {
  const url = `http://127.0.0.1:${PORTS.export}/exports/licenses?domain=${DOMAIN}&format=csv`;
  const { rows, seconds, rowsPerSecond, firstByteMs, peakRssMb } = await streamExport(url, token, server, { csv: true });
  console.log(`export: ${rows} rows in ${seconds.toFixed(1)} s, first byte ${firstByteMs} ms, server peak RSS ${peakRssMb} MB`);
  return { rows, seconds, rowsPerSecond, firstByteMs, peakRssMb, format: "csv" };
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)}`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : "–");

/** bench/results.md from every saved run: one section per database and scale. */
function render(): string {
  const runs: Run[] = fs
    .readdirSync(RESULTS_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), "utf8")))
    // bench/load.ts and bench/protection.ts save their runs here too, in shapes of their own.
    .filter((run) => Array.isArray(run.rows));
  const lines = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts) from the runs saved in bench/results/. Latencies in milliseconds over",
    "HTTP on one machine; the floor is the same rows fetched by minimal hand-written SQL through the raw driver and",
    "serialised to JSON (bench/floor.ts). Statements are counted for one request by a second instance of the server",
    "started with EXPOSE_QUERY_STATS=1; the measured one runs without it. Every server runs with NODE_ENV=production,",
    "as the image does; requests per second are timed from the first request to the last response.",
    "",
  ];
  for (const run of runs) {
    lines.push(
      `## ${run.databaseVersion}, scale ${run.scale.label} (${run.scale.lots.toLocaleString("en")} lots, ${run.scale.devices.toLocaleString("en")} devices, ${run.scale.virtualAccounts.toLocaleString("en")} Virtual Accounts)`,
      "",
      run.settings.quick
        ? `${run.date.slice(0, 16).replace("T", " ")} UTC · ${run.machine} · Node ${run.node} · quick run: one request per operation (its latency), no floors or load`
        : `${run.date.slice(0, 16).replace("T", " ")} UTC · ${run.machine} · Node ${run.node} · ${run.settings.requests} requests after ${run.settings.warmup} warm-up, ${run.settings.connections} connections` +
            (run.settings.rateLimitCostPerMinute
              ? ` · servers with RATE_LIMIT_COST_PER_MINUTE=${run.settings.rateLimitCostPerMinute} (R31 budget out of the way)`
              : ""),
      "",
      ...readsTable(run),
      "",
      ...renderWrites(run),
      ...(run.light
        ? [
            `- Light throughput: ${run.light.api.rps} req/s against a bare Apollo Server's ${run.light.bare.rps} req/s: **${Math.round((100 * run.light.api.rps) / run.light.bare.rps)}%** (target ≥ 50%)` +
              (run.light.rounds
                ? `; each the median of ${run.light.rounds} alternating rounds of ${run.light.requests} requests after ${run.light.warmup} to warm up, at ${run.settings.connections} connections`
                : "") +
              (run.light.perRound
                ? ` (rounds: ${run.light.perRound.map((r) => `${r.api} vs ${r.bare}, ${Math.round((100 * r.api) / r.bare)}%`).join("; ")}).`
                : "."),
          ]
        : []),
      ...(run.export
        ? [
            `- Export (/exports/licenses, ${run.export.format}): ${run.export.rows.toLocaleString("en")} rows in ${run.export.seconds.toFixed(1)} s = **${run.export.rowsPerSecond.toLocaleString("en")} rows/s** (target ≥ 50,000), first byte after ${run.export.firstByteMs} ms, peak RSS of the exporting server **${run.export.peakRssMb} MB** (target ≤ 200 MB).`,
          ]
        : []),
      ...(run.authorization
        ? [
            `- Authorization: Dashboard p50 ${ms(run.authorization.withShield.p50)} ms with the shield, ${ms(run.authorization.withoutShield.p50)} ms without: **${Math.round((100 * (run.authorization.withShield.p50 - run.authorization.withoutShield.p50)) / run.authorization.withShield.p50)}%** of p50 (target ≤ 15%).`,
          ]
        : []),
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * A run's reads, and where a baseline before kept pools was saved for its database and scale (and is not
 * this run), that baseline's p50, floor and statements beside each, so both floors' history shows.
 */
function readsTable(run: Run): string[] {
  const baseline = baselineOf(run);
  const before = baseline && baseline.run.date !== run.date ? baseline : null;
  const cells = (row: Row) =>
    `| ${row.operation}${row.note ? ` (${row.note})` : ""} | ${row.viewer} | ${ms(row.api.p50)} | ${ms(row.api.p99)} | ${row.api.rps} | ${row.statements} | ${row.floor ? ms(row.floor.p50) : "–"} | ${row.floor ? ratio(row.api.p50, row.floor.p50) : "–"} |`;
  if (!before) {
    return [
      "| operation | viewer | p50 | p99 | req/s | statements | floor p50 | p50 / floor |",
      "|---|---|---:|---:|---:|---:|---:|---:|",
      ...run.rows.map(cells),
    ];
  }
  const old = (row: Row) => before.run.rows.find((b) => b.operation === row.operation && b.viewer === row.viewer);
  return [
    `Before kept pools: ${before.run.date.slice(0, 16).replace("T", " ")} UTC (${before.file}${before.run.settings.quick ? ", a quick run" : ""}), the same operations on the same data set with the code before pools were kept; its floor summed lots and usage.`,
    "",
    "| operation | viewer | p50 | p99 | req/s | statements | floor p50 | p50 / floor | p50 before | floor before | statements before | p50 / before |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...run.rows.map((row) => {
      const b = old(row);
      return `${cells(row)} ${b ? ms(b.api.p50) : "–"} | ${b?.floor ? ms(b.floor.p50) : "–"} | ${b ? b.statements : "–"} | ${b ? ratio(row.api.p50, b.api.p50) : "–"} |`;
    }),
  ];
}

/** The baseline saved for this run's database and scale, if any (bench/results/baseline-before-kept-pools/). */
function baselineOf(run: Run): { file: string; run: Run } | null {
  const file = path.join(RESULTS_DIR, BASELINE_DIR, `${run.database}-scale${run.scale.label}.json`);
  return fs.existsSync(file) ? { file: path.relative(ROOT, file), run: JSON.parse(fs.readFileSync(file, "utf8")) } : null;
}

/** A run's "Writes" table, beside the baseline before kept pools when there is one. */
function renderWrites(run: Run): string[] {
  if (!run.writes?.length) return [];
  const baseline = run.settings.quick ? null : baselineOf(run);
  const isBaseline = baseline?.run.date === run.date;
  const before = isBaseline ? null : baseline;
  const setup = run.writeSetup;
  const clients = run.writes[0].clients;
  const transfer = run.writes.find((w) => w.operation === "transferLicenses");
  const report = run.writes.find((w) => w.operation === "reportUsage");
  const sentence = [
    `Each of ${clients} clients in a closed loop on its own keep-alive connection from its own loopback address`,
    transfer && setup
      ? `; transferLicenses as ${transfer.caller}: each client moves 1 license of a perpetual SKU back and forth (A→B, B→A, an even number of times) between its own pair of Virtual Accounts of bench.example.com, picked from the data so that the whole lot of 1 moves (no split): ${setup.pairs.map((p) => `${p.sku} ${p.from}↔${p.to}`).join(", ")}`
      : "",
    report && setup
      ? `; reportUsage by ${setup.usage.devices} devices registered for the run (two per client, token of createRegistrationToken) in "${setup.usage.name}", each report ${setup.usage.skus.join(", ")} (or the first two) with counts 1–12 varying, the devices removed (removeProductInstance) and the token revoked after`
      : "",
    setup
      ? `. Data set left as it was: ${setup.leftAsItWas.ok ? "✓ (lots, their Virtual Accounts, devices, usage; one event per write stays, R29)" : `✗ ${setup.leftAsItWas.differences.join("; ")}`}.`
      : ".",
    ` Statements: one request of each sent to the counting server${transfer?.note ? ` (transferLicenses A→B; ${transfer.note})` : ""}.`,
  ].join("");
  const header = before
    ? [
        "| operation | caller | requests | p50 | p99 | req/s | statements | p50 / before | p99 / before |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
      ]
    : ["| operation | caller | requests | p50 | p99 | req/s | statements |", "|---|---|---:|---:|---:|---:|---:|"];
  const lines = [
    `**Writes (${clients} concurrent clients)**, ${run.writes[0].requests} requests after ${run.writes[0].warmup} warm-up each. ${sentence}`,
    ...(isBaseline ? ["", `This run is the baseline **before kept pools** (saved as ${baseline!.file}).`] : []),
    ...(before
      ? [
          "",
          `Before kept pools: the baseline of ${before.run.date.slice(0, 16).replace("T", " ")} UTC (${before.file}); the ratios below are this run against it (target ≤ 1.3×).`,
        ]
      : []),
    "",
    ...header,
  ];
  for (const row of run.writes) {
    const old = before?.run.writes?.find((w) => w.operation === row.operation);
    lines.push(
      `| ${row.operation}${row.note ? ` (${row.note})` : ""} | ${row.caller} | ${row.requests} | ${ms(row.api.p50)} | ${ms(row.api.p99)} | ${row.api.rps} | ${row.statements} |` +
        (before ? ` ${old ? ratio(row.api.p50, old.api.p50) : "–"} | ${old ? ratio(row.api.p99, old.api.p99) : "–"} |` : ""),
    );
  }
  if (before?.run.writes)
    lines.push(
      "",
      `Before kept pools: ${before.run.writes.map((w) => `${w.operation} p50 ${ms(w.api.p50)}, p99 ${ms(w.api.p99)} ms, ${w.api.rps} req/s, ${w.statements} statements`).join("; ")}.`,
    );
  lines.push("");
  return lines;
}

/** --render: rewrite bench/results.md from the saved runs, without measuring. */
const entry = args.includes("--render") ? async () => writeSection("bench", render()) : main;

entry().catch((error) => {
  console.error(error);
  process.exit(1);
});
