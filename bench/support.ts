/**
 * What bench/load.ts, bench/protection.ts and bench/run.ts share: a MariaDB database of their own (created,
 * seeded like `npm run bench:seed`, dropped after), servers started as the image runs them, a small HTTP
 * client that can speak from its own loopback address, the write mutations the scripts send, closed loops
 * of concurrent clients, percentiles, and sections of bench/results.md that each script rewrites without
 * touching the others'.
 */
import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { Kind, parse, print } from "graphql";
import mysql from "mysql2/promise";

export const ROOT = path.join(__dirname, "..");
export const RESULTS_DIR = path.join(__dirname, "results");
export const RESULTS_MD = path.join(__dirname, "results.md");
/** The reference operations, the repository's own copy. */
export const QUERIES = path.join(__dirname, "queries.graphql");

/** The named operations of bench/queries.graphql, each printed on its own. */
export function referenceOperations(): Map<string, string> {
  const operations = new Map<string, string>();
  for (const definition of parse(fs.readFileSync(QUERIES, "utf8")).definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) operations.set(definition.name.value, print(definition));
  }
  return operations;
}

/** `--name N` from this script's arguments, else `fallback`. */
export const numberOption = (name: string, fallback: number): number => {
  const args = process.argv.slice(2);
  return args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback;
};
/** Whether `--name` is among this script's arguments. */
export const flag = (name: string): boolean => process.argv.slice(2).includes(`--${name}`);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`;
}

// ---------------------------------------------------------------------------------------------
// The database

export interface BenchDatabase {
  url: string;
  name: string;
  version: string;
  /** Whether this run created it (and so drops it at the end). */
  created: boolean;
  drop(): Promise<void>;
}

/**
 * The MariaDB/MySQL database named by `url`. Absent: created and seeded (`bench/seed.ts --scale <scale>`),
 * dropped by `drop()` unless `keep`. Present: refused, unless `reuse` (it must hold the bench data set;
 * kept afterwards) — so a script never empties a database it did not make.
 */
export async function benchDatabase(url: string, options: { scale: number; reuse: boolean; keep: boolean }): Promise<BenchDatabase> {
  if (!/^(mysql|mariadb):\/\//.test(url)) throw new Error(`needs a MySQL/MariaDB DATABASE_URL (got ${url}); concurrent load does not run on SQLite`);
  const parsed = new URL(url.replace(/^mariadb:/, "mysql:"));
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be plain letters, digits and _`);
  const serverUrl = new URL(parsed.href);
  serverUrl.pathname = "/";
  const admin = await mysql.createConnection(serverUrl.href);
  try {
    const [[{ v }]] = (await admin.query("SELECT VERSION() v")) as unknown as [{ v: string }[]];
    const [found] = (await admin.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [name])) as unknown as [
      unknown[],
    ];
    const created = found.length === 0;
    if (!created && !options.reuse) {
      throw new Error(`database ${name} exists already: drop it, name another in DATABASE_URL, or pass --reuse to run on it as it is`);
    }
    if (created) {
      await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
      console.log(`created database ${name}; seeding it (bench/seed.ts --scale ${options.scale})…`);
      const started = Date.now();
      await runNode(["-r", "@swc-node/register", "bench/seed.ts", "--scale", String(options.scale)], { DATABASE_URL: url });
      console.log(`  seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const drop = async () => {
      if (!created || options.keep) return;
      const connection = await mysql.createConnection(serverUrl.href);
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
      console.log(`dropped database ${name}`);
    };
    return { url, name, version: v, created, drop };
  } finally {
    await admin.end();
  }
}

function runNode(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`node ${args.join(" ")} exited with ${code}`))));
  });
}

// ---------------------------------------------------------------------------------------------
// Servers

export interface Server {
  port: number;
  child: ChildProcess;
  /** Where its stdout and stderr (the structured log) go. */
  logFile: string;
  stop(): Promise<void>;
}

/**
 * A server as the image runs it (NODE_ENV=production, no demo), compiled on the fly by @swc-node (as
 * `npm run token` is), so that a benchmark neither needs nor races a `npm run build` of the working tree.
 * Its log goes to a file in the temporary directory, read after the run for internal errors.
 */
export async function startServer(script: string, port: number, env: Record<string, string>): Promise<Server> {
  const logFile = path.join(os.tmpdir(), `sag-${path.basename(script, ".ts")}-${port}-${process.pid}.log`);
  const log = fs.openSync(logFile, "w");
  const child = spawn(process.execPath, ["-r", "@swc-node/register", script], {
    cwd: ROOT,
    env: { ...process.env, SEED_DEMO: "false", ...env, PORT: String(port), NODE_ENV: "production" },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    for (let i = 0; i < 60 && !exited; i++) await sleep(250);
    if (!exited) child.kill("SIGKILL");
  };
  process.on("exit", () => {
    if (!exited) child.kill("SIGKILL");
  });
  for (let i = 0; i < 240; i++) {
    if (exited) throw new Error(`${script} on ${port} exited at start:\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.ok) return { port, child, logFile, stop };
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`${script} on ${port} did not come up within 60 s (log: ${logFile})`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  status: number;
  ms: number;
  body: any;
  headers: http.IncomingHttpHeaders;
  /** A transport failure (connection reset, timeout) instead of an answer. */
  failure?: string;
}

/**
 * One client: its own keep-alive connection, optionally from its own loopback address (127.0.0.x), so a
 * server that budgets by client address (R31) sees a hundred clients as a hundred addresses, as it would
 * behind a real network.
 */
export class Client {
  private agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(
    readonly port: number,
    readonly localAddress?: string,
    readonly timeoutMs = 30_000,
  ) {}

  graphql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Answer> {
    const payload = JSON.stringify({ query, variables });
    const headers: http.OutgoingHttpHeaders = { "content-type": "application/json", "content-length": Buffer.byteLength(payload) };
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve) => {
      const started = performance.now();
      const done = (answer: Omit<Answer, "ms">) => resolve({ ...answer, ms: performance.now() - started });
      const request = http.request(
        { host: "127.0.0.1", port: this.port, path: "/graphql", method: "POST", headers, agent: this.agent, localAddress: this.localAddress },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", (error) => done({ status: 0, body: null, headers: {}, failure: error.message }));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: any = null;
            try {
              body = JSON.parse(text);
            } catch {
              body = { unparsed: text.slice(0, 200) };
            }
            done({ status: response.statusCode ?? 0, body, headers: response.headers });
          });
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      request.on("error", (error) => done({ status: 0, body: null, headers: {}, failure: error.message }));
      request.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Drops the idle connection: after a pause longer than the server's keep-alive timeout (5 s), the
   * first request on the old socket could race the server closing it (ECONNRESET, the client's fault).
   */
  reset(): void {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }
}

/** An answer with data and no error. */
export const ok = (answer: Answer) => answer.status === 200 && !answer.body?.errors?.length;

/** The error codes of an answer, with R24's `reason` where there is one (`UNAUTHENTICATED:EXHAUSTED`). */
export function errorCodes(answer: Answer): string[] {
  const errors = (answer.body?.errors ?? []) as { extensions?: { code?: string; reason?: string } }[];
  return errors.map((error) => `${error.extensions?.code ?? "NO_CODE"}${error.extensions?.reason ? `:${error.extensions.reason}` : ""}`);
}

// ---------------------------------------------------------------------------------------------
// Writes: the mutations bench/load.ts and bench/run.ts send, each selecting the same fields

export const MUTATIONS = {
  createRegistrationToken: `mutation BenchToken($input: CreateRegistrationTokenInput!) { createRegistrationToken(input: $input) { secret token { id maxUses } } }`,
  registerProductInstance: `mutation BenchRegister($input: RegisterProductInstanceInput!) { registerProductInstance(input: $input) { credential productInstance { id } } }`,
  reportUsage: `mutation BenchReport($input: ReportUsageInput!) { reportUsage(input: $input) { id lastReportedAt usage { product { sku } count } } }`,
  transferLicenses: `mutation BenchTransfer($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity from { id } to { id } } }`,
  removeProductInstance: `mutation BenchRemoveDevice($id: ID!) { removeProductInstance(id: $id) }`,
  revokeRegistrationToken: `mutation BenchRevokeToken($id: ID!) { revokeRegistrationToken(id: $id) { id revokedAt } }`,
} as const;

/**
 * `clients` closed loops (no think time) sending `warmup` requests each, then, once every client has
 * warmed up, `requests` each, timed: latencies of the timed requests pooled over the clients, requests
 * per second from the first timed request to the last answer. `send(client, n)` sends the client's n-th
 * request (numbered on from the warm-up) and returns its answer; answers that are not `ok` are counted
 * as failures (by error code or HTTP status), never retried.
 */
export async function concurrentRun(
  clients: number,
  warmup: number,
  requests: number,
  send: (client: number, n: number) => Promise<Answer>,
): Promise<Measure & { requests: number; failures: Record<string, number> }> {
  const failures: Record<string, number> = {};
  const latencies: number[] = [];
  const loop = async (client: number, from: number, count: number, timed: boolean) => {
    for (let n = from; n < from + count; n++) {
      const answer = await send(client, n);
      if (timed) latencies.push(answer.ms);
      if (!ok(answer)) {
        const codes = answer.failure ? ["TRANSPORT"] : errorCodes(answer);
        for (const code of codes.length ? codes : [`HTTP_${answer.status}`]) failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client, 0, warmup, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, client) => loop(client, warmup, requests, true)));
  const seconds = (performance.now() - started) / 1000;
  const rps = latencies.length / Math.max(seconds, 0.001);
  return {
    p50: round1(percentile(latencies, 50)),
    p99: round1(percentile(latencies, 99)),
    rps: rps < 10 ? round1(rps) : Math.round(rps),
    requests: latencies.length,
    failures,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures

/** Nearest-rank percentile of unsorted values (0 for none). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
export function cpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, "utf8")
      .replace(/^.*\) /, "")
      .split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

export const round1 = (value: number) => Math.round(value * 10) / 10;
export const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)}`;
export const median = (values: number[]) => percentile(values, 50);

export interface Measure {
  p50: number;
  p99: number;
  rps: number;
}

/** A fixed number of requests through autocannon, timed from the first request to the last response. */
export async function autocannonRun(
  request: { url: string; headers: Record<string, string>; body: string },
  requests: number,
  connections: number,
): Promise<Measure> {
  const options = { ...request, method: "POST" as const, connections, amount: requests };
  const { result, seconds } = await new Promise<{ result: autocannon.Result; seconds: number }>((resolve, reject) => {
    const started = performance.now();
    let last = started;
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve({ result, seconds: (last - started) / 1000 })));
    instance.on("response", () => {
      last = performance.now();
    });
  });
  if (result.non2xx || result.errors) throw new Error(`${request.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const rps = result.requests.total / Math.max(seconds, 0.001);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: rps < 10 ? round1(rps) : Math.round(rps) };
}

// ---------------------------------------------------------------------------------------------
// bench/results.md

const open = (name: string) => `<!-- section:${name} -->`;
const close = (name: string) => `<!-- /section:${name} -->`;

/**
 * Replaces one script's section of bench/results.md (between its markers), appending it when absent; the
 * rest of the file stays as it is. A file without any marker is the benchmark's own (`npm run bench`
 * wrote it whole before sections existed): it becomes the `bench` section.
 */
export function writeSection(name: string, markdown: string): void {
  let text = fs.existsSync(RESULTS_MD) ? fs.readFileSync(RESULTS_MD, "utf8") : "";
  if (text.trim() && !text.includes("<!-- section:")) text = `${open("bench")}\n${text.trimEnd()}\n${close("bench")}\n`;
  const block = `${open(name)}\n${markdown.trimEnd()}\n${close(name)}\n`;
  const start = text.indexOf(open(name));
  const end = text.indexOf(close(name));
  if (start >= 0 && end > start) text = text.slice(0, start) + block + text.slice(end + close(name).length).replace(/^\n/, "");
  else text = `${text.trimEnd()}${text.trim() ? "\n\n" : ""}${block}`;
  fs.writeFileSync(RESULTS_MD, text);
}

/**
 * Streams one export of `url` as `token`, counting its rows (lines, less a CSV's header) and handing each
 * chunk to `onChunk`; then the serving process's peak RSS (VmHWM). bench/run.ts and bench/export.ts
 * measure the export with it.
 */
export async function streamExport(
  url: string,
  token: string,
  server: ChildProcess,
  options: { csv: boolean; onChunk?: (chunk: Uint8Array) => void },
): Promise<{ rows: number; seconds: number; rowsPerSecond: number; firstByteMs: number; peakRssMb: number }> {
  const started = Date.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok || !response.body) throw new Error(`export failed: ${response.status}`);
  let firstByteMs = -1;
  let rows = options.csv ? -1 : 0; // the CSV header row
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (firstByteMs < 0) firstByteMs = Date.now() - started;
    for (const byte of value) if (byte === 10) rows += 1;
    options.onChunk?.(value);
  }
  const seconds = (Date.now() - started) / 1000;
  const status = fs.readFileSync(`/proc/${server.pid}/status`, "utf8");
  const peakRssMb = Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
  return { rows, seconds, rowsPerSecond: Math.round(rows / seconds), firstByteMs, peakRssMb };
}
