/**
 * `npm run bench:notifications [-- --subs 1000 --connections 50 --mutations 100 --wide --events 500 --webhooks 4 --redis URL]`
 * against the data set of `npm run bench:seed` in DATABASE_URL (MariaDB; by default
 * mysql://root@127.0.0.1:3306/sag_bench, reused as it is): SPEC §8's notifications under load (issue
 * "Notifications").
 *
 * - Subscriptions: a server (NODE_ENV=production, worker in-process, table queue) idle after warm-up, its RSS
 *   (VmRSS) read; `--subs` Subscription.events of bench.example.com opened as admin@bench.example.com over
 *   `--connections` graphql-ws connections; RSS read again; then `--mutations` updateVirtualAccount renames,
 *   one at a time, each waited for until every subscriber has it: latency of each delivery from its
 *   `extensions.committedAt` (the server's wall clock once the write committed; same machine clock), from
 *   the event's createdAt (the server's clock inside the transaction, before the commit) and from the
 *   mutation's HTTP answer arriving, and each mutation's fan-out (first to last
 *   subscriber). `--wide` repeats it on a fresh server with one connection per subscription.
 * - Webhooks: a node:http receiver in this process answering 204; `--webhooks` account-wide webhooks (topic
 *   EVENT) pointing at it; `--events` renames by 8 clients in parallel (so `--events` × `--webhooks`
 *   deliveries): deliveries/s from the first delivery to the last, each X-Webhook-Id counted (once?), the
 *   signatures of a sample verified. With the table queue (default) and, with `--redis` (or REDIS_URL), with
 *   BullMQ on that Redis (its own key prefix, its keys deleted after). A second table-queue measurement
 *   ("backlog") writes the deliveries with the worker off (WORKER=0) and then times a fresh server's worker
 *   draining them: the worker's own rate, without producers competing for the two cores.
 *
 * The names are restored after, the webhooks deleted (deleteWebhook: they stay listed, inactive); the
 * events, notifications and deliveries written stay (R29). Figures go to bench/results/notifications-*.json
 * and the "notifications" section of bench/results.md.
 */
import { createHmac, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Client as WsClient, createClient } from "graphql-ws";
import Redis from "ioredis";
import mysql from "mysql2/promise";
import WebSocket from "ws";
import { signToken } from "../src/auth/identity";
import { toGlobalId } from "../src/ids";
import { benchDatabase, Client, machine, ok, percentile, RESULTS_DIR, round1, Server, sleep, startServer, writeSection } from "./support";

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const has = (name: string) => args.includes(`--${name}`);

const DATABASE_URL = process.env.DATABASE_URL ?? "mysql://root@127.0.0.1:3306/sag_bench";
const REDIS_URL = option("redis", process.env.REDIS_URL ?? "");
const SUBS = Number(option("subs", "1000"));
const CONNECTIONS = Number(option("connections", "50"));
const MUTATIONS = Number(option("mutations", "100"));
const EVENTS = Number(option("events", "500"));
const WEBHOOKS = Number(option("webhooks", "4"));
const PRODUCERS = 8;
const WIDE = has("wide");
const ONLY = option("only", ""); // subscriptions | webhooks | redis
/** How long the receiver may stay quiet before the deliveries still missing count as missing. */
const QUIET_MS = Number(option("quiet-ms", "20000"));
/** --server-cpu-prof DIR: the measured servers write a V8 CPU profile there (--cpu-prof) when they stop. */
const CPU_PROF = option("server-cpu-prof", "");
/** --merge: keep the saved run's cases that this run does not measure. */
const MERGE = has("merge");
const SECRET = randomBytes(32).toString("hex");
const DOMAIN = "bench.example.com";
const ADMIN = "admin@bench.example.com";
const PORT = 4460;
const RECEIVER_PORT = 4461;

const RENAME = `mutation BenchRename($id: ID!, $name: String!) { updateVirtualAccount(input: { id: $id, name: $name }) { id } }`;
const EVENTS_SUB = `subscription BenchEvents($sa: ID!) { events(smartAccountId: $sa) { id type createdAt } }`;
const CREATE_WEBHOOK = `mutation BenchWebhook($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`;
const DELETE_WEBHOOK = `mutation BenchDeleteWebhook($id: ID!) { deleteWebhook(id: $id) }`;

// ---------------------------------------------------------------------------------------------

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** The server's RSS once it has settled: the median of five readings a second apart. */
async function settledRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(1000);
    readings.push(rssMb(pid));
  }
  return round1(percentile(readings, 50));
}

function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL,
    JWT_SECRET: SECRET,
    RATE_LIMIT_COST_PER_MINUTE: "1000000000000000",
    WEBHOOK_ALLOW_PRIVATE: "1",
    MAX_CONNECTIONS_PER_ADDRESS: "5000",
    WORKER: "1",
    // No Redis unless a case asks for it (REDIS_URL of the bench's own environment is not inherited).
    REDIS_URL: "",
    ...(CPU_PROF ? { NODE_OPTIONS: `--require ${path.join(__dirname, "cpu-profile.js")}`, CPU_PROF_DIR: CPU_PROF } : {}),
    ...extra,
  };
}

interface Va {
  id: number;
  gid: string;
  name: string;
}

async function virtualAccounts(count: number): Promise<Va[]> {
  const connection = await mysql.createConnection(DATABASE_URL);
  try {
    const [rows] = (await connection.query(
      `SELECT va.id, va.name FROM virtual_accounts va JOIN smart_accounts sa ON sa.id = va.smart_account_id
        WHERE sa.domain = ? AND va.parent_id IS NOT NULL ORDER BY va.id LIMIT ?`,
      [DOMAIN, count],
    )) as unknown as [{ id: number; name: string }[]];
    return rows.map((row) => ({ id: Number(row.id), gid: toGlobalId("VirtualAccount", Number(row.id)), name: row.name }));
  } finally {
    await connection.end();
  }
}

async function smartAccountGid(): Promise<string> {
  const connection = await mysql.createConnection(DATABASE_URL);
  try {
    const [rows] = (await connection.query(`SELECT id FROM smart_accounts WHERE domain = ?`, [DOMAIN])) as unknown as [{ id: number }[]];
    return toGlobalId("SmartAccount", Number(rows[0].id));
  } finally {
    await connection.end();
  }
}

async function must(client: Client, query: string, variables: Record<string, unknown>, token: string) {
  const answer = await client.graphql(query, variables, token);
  if (!ok(answer)) throw new Error(`${query.slice(0, 40)}…: ${answer.status} ${JSON.stringify(answer.body ?? answer.failure).slice(0, 400)}`);
  return answer;
}

/** Internal errors the server logged (level 50+). */
function loggedErrors(server: Server): number {
  return fs
    .readFileSync(server.logFile, "utf8")
    .split("\n")
    .filter((line) => /"level":\s*(50|60)/.test(line)).length;
}

const stats = (values: number[]) => ({
  p50: round1(percentile(values, 50)),
  p99: round1(percentile(values, 99)),
  max: round1(percentile(values, 100)),
  count: values.length,
});

// ---------------------------------------------------------------------------------------------
// Subscriptions

interface SubscriptionRun {
  subscriptions: number;
  connections: number;
  perConnection: number;
  mutations: number;
  rssIdleMb: number;
  rssOpenMb: number;
  rssGrowthMb: number;
  rssAfterMutationsMb: number;
  openSeconds: number;
  /** From the delivery's extensions.committedAt (server wall clock, once the write committed) to arrival: the target's measure. */
  fromCommit?: ReturnType<typeof stats>;
  /** From the event's createdAt (server clock, inside the transaction, before commit) to arrival. */
  fromCreatedAt: ReturnType<typeof stats>;
  /** From the mutation's HTTP answer arriving at this process to the delivery (negative: before the answer). */
  fromResponse: ReturnType<typeof stats>;
  /** First to last subscriber, per mutation. */
  fanOut: ReturnType<typeof stats>;
  mutationMs: ReturnType<typeof stats>;
  deliveries: number;
  expectedDeliveries: number;
  wrongEvent: number;
  serverErrors: number;
  serverCpuSeconds: number | null;
}

function cpu(pid: number): number {
  const fields = fs
    .readFileSync(`/proc/${pid}/stat`, "utf8")
    .replace(/^.*\) /, "")
    .split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function subscriptionRun(connections: number, token: string, sa: string, va: Va): Promise<SubscriptionRun> {
  const perConnection = Math.ceil(SUBS / connections);
  const server = await startServer("src/main.ts", PORT, serverEnv());
  const pid = server.child.pid as number;
  const http1 = new Client(PORT);
  const clients: WsClient[] = [];
  let current: {
    eventId: string | null;
    arrivals: number[];
    wrong: number;
    createdAt: number;
    committedAt: number;
    expected: number;
    done: () => void;
  } | null = null;
  const onEvent = (event: { id: string; createdAt: string }, extensions?: Record<string, unknown>) => {
    const now = Date.now();
    if (!current) return;
    if (current.eventId === null) {
      current.eventId = event.id;
      current.createdAt = Date.parse(event.createdAt);
      current.committedAt = Date.parse(String(extensions?.committedAt));
    }
    if (event.id !== current.eventId) current.wrong++;
    else current.arrivals.push(now);
    if (current.arrivals.length + current.wrong >= current.expected) current.done();
  };
  let names = 0;
  const rename = async () => {
    names++;
    return must(http1, RENAME, { id: va.gid, name: names % 2 ? `${va.name} nb` : va.name }, token);
  };
  /** One mutation, waited for until every subscriber has heard it (or 15 s). */
  const mutate = async (expected: number, timeoutMs = 15_000) => {
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    current = { eventId: null, arrivals: [], wrong: 0, createdAt: 0, committedAt: NaN, expected, done };
    const sent = Date.now();
    const answer = await rename();
    const answered = Date.now();
    await Promise.race([all, sleep(timeoutMs)]);
    const result = { ...current, sent, answered, mutationMs: answer.ms };
    current = null;
    return result;
  };
  try {
    // Warm-up: requests, a subscription opened and closed, a few mutations heard.
    for (let i = 0; i < 20; i++) await must(http1, `query { smartAccount(domain: "${DOMAIN}") { id name } }`, {}, token);
    {
      const warm = wsClient(token);
      await openSubscriptions([warm], 1, sa, onEvent);
      for (let i = 0; i < 10; i++) await mutate(1, 2000);
      await warm.dispose();
    }
    if (names % 2) await rename();
    const rssIdleMb = await settledRss(pid);
    http1.reset(); // idle past the server's keep-alive timeout
    console.log(`subscriptions ×${SUBS} over ${connections} connections: idle RSS ${rssIdleMb} MB`);
    const openedAt = Date.now();
    for (let c = 0; c < connections; c++) clients.push(wsClient(token));
    await openSubscriptions(clients, perConnection, sa, onEvent);
    const total = connections * perConnection;
    // Every stream is listening once a probe mutation reaches all of them.
    for (let attempt = 0; ; attempt++) {
      const probe = await mutate(total, 5000);
      if (probe.arrivals.length === total) break;
      if (attempt > 20) throw new Error(`only ${probe.arrivals.length} of ${total} subscriptions heard the probe`);
      await sleep(500);
    }
    const openSeconds = (Date.now() - openedAt) / 1000;
    if (names % 2) await rename();
    const rssOpenMb = await settledRss(pid);
    http1.reset();
    console.log(`  open in ${openSeconds.toFixed(1)} s; RSS ${rssOpenMb} MB (+${round1(rssOpenMb - rssIdleMb)})`);
    const fromCommit: number[] = [];
    const fromCreatedAt: number[] = [];
    const fromResponse: number[] = [];
    const fanOut: number[] = [];
    const mutationMs: number[] = [];
    let deliveries = 0;
    let wrong = 0;
    const cpuBefore = cpu(pid);
    for (let i = 0; i < MUTATIONS; i++) {
      const result = await mutate(total);
      deliveries += result.arrivals.length;
      wrong += result.wrong;
      mutationMs.push(result.mutationMs);
      for (const at of result.arrivals) {
        fromCreatedAt.push(at - result.createdAt);
        if (Number.isFinite(result.committedAt)) fromCommit.push(at - result.committedAt);
        fromResponse.push(at - result.answered);
      }
      if (result.arrivals.length) fanOut.push(Math.max(...result.arrivals) - Math.min(...result.arrivals));
    }
    const serverCpuSeconds = round1(cpu(pid) - cpuBefore);
    if (CPU_PROF) {
      server.child.kill("SIGUSR2");
      await sleep(3000);
    }
    if (names % 2) await rename();
    const rssAfterMutationsMb = round1(rssMb(pid));
    const run: SubscriptionRun = {
      subscriptions: total,
      connections,
      perConnection,
      mutations: MUTATIONS,
      rssIdleMb,
      rssOpenMb,
      rssGrowthMb: round1(rssOpenMb - rssIdleMb),
      rssAfterMutationsMb,
      openSeconds: round1(openSeconds),
      fromCommit: stats(fromCommit),
      fromCreatedAt: stats(fromCreatedAt),
      fromResponse: stats(fromResponse),
      fanOut: stats(fanOut),
      mutationMs: stats(mutationMs),
      deliveries,
      expectedDeliveries: total * MUTATIONS,
      wrongEvent: wrong,
      serverErrors: loggedErrors(server),
      serverCpuSeconds,
    };
    console.log(
      `  ${deliveries}/${run.expectedDeliveries} deliveries: from commit p50 ${run.fromCommit?.p50} p99 ${run.fromCommit?.p99} max ${run.fromCommit?.max} ms; from createdAt p50 ${run.fromCreatedAt.p50} p99 ${run.fromCreatedAt.p99} max ${run.fromCreatedAt.max} ms; ` +
        `from the answer p50 ${run.fromResponse.p50} p99 ${run.fromResponse.p99}; fan-out p50 ${run.fanOut.p50} p99 ${run.fanOut.p99} ms`,
    );
    return run;
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    http1.close();
    await server.stop();
  }
}

function wsClient(token: string): WsClient {
  return createClient({
    url: `ws://127.0.0.1:${PORT}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
  });
}

/** `each` subscriptions on every client; resolves once the connections are acknowledged. */
async function openSubscriptions(
  clients: WsClient[],
  each: number,
  sa: string,
  onEvent: (event: any, extensions?: Record<string, unknown>) => void,
): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      const connected = new Promise<void>((resolve, reject) => {
        const off = client.on("connected", () => (off(), resolve()));
        client.on("closed", (event) => reject(new Error(`connection closed: ${JSON.stringify(event)}`)));
      });
      for (let s = 0; s < each; s++) {
        client.subscribe(
          { query: EVENTS_SUB, variables: { sa } },
          {
            next: (result) => {
              if (result.data) onEvent((result.data as any).events, result.extensions as Record<string, unknown> | undefined);
              else console.error("subscription error", JSON.stringify(result.errors));
            },
            error: (error) => console.error("subscription failed", error),
            complete: () => undefined,
          },
        );
      }
      await connected;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Webhooks

interface Receiver {
  port: number;
  arrivals: { id: string; at: number }[];
  samples: { timestamp: string; signature: string; body: string }[];
  close(): Promise<void>;
}

function startReceiver(): Promise<Receiver> {
  const arrivals: Receiver["arrivals"] = [];
  const samples: Receiver["samples"] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      arrivals.push({ id: String(request.headers["x-webhook-id"]), at: Date.now() });
      if (arrivals.length % 25 === 1) {
        samples.push({
          timestamp: String(request.headers["x-webhook-timestamp"]),
          signature: String(request.headers["x-webhook-signature"]),
          body: Buffer.concat(chunks).toString("utf8"),
        });
      }
      response.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(RECEIVER_PORT, "127.0.0.1", () =>
      resolve({ port: RECEIVER_PORT, arrivals, samples, close: () => new Promise((done) => server.close(() => done())) }),
    ),
  );
}

interface WebhookRun {
  mode: string;
  webhooks: number;
  events: number;
  expected: number;
  received: number;
  unique: number;
  duplicates: number;
  missing: number;
  deliveredInDb: number;
  seconds: number;
  deliveriesPerSecond: number;
  /** Mutations per second while the producers ran (live runs). */
  producedPerSecond: number | null;
  /** From the last mutation's answer to the last delivery (live runs). */
  tailSeconds: number | null;
  signaturesChecked: number;
  signaturesValid: number;
  serverErrors: number;
  serverCpuPercent: number | null;
}

async function createWebhooks(client: Client, token: string, sa: string, count: number) {
  const hooks: { id: string; secret: string }[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await must(
      client,
      CREATE_WEBHOOK,
      { input: { smartAccountId: sa, url: `http://127.0.0.1:${RECEIVER_PORT}/hook/${i}`, topics: ["EVENT"] } },
      token,
    );
    const { secret, webhook } = answer.body.data.createWebhook;
    hooks.push({ id: webhook.id, secret });
  }
  return hooks;
}

/** `events` renames by PRODUCERS clients in parallel, each on its own Virtual Account (names restored). */
async function produce(client: Client[], token: string, vas: Va[], events: number): Promise<number> {
  const started = Date.now();
  const each = Math.ceil(events / PRODUCERS);
  await Promise.all(
    client.map(async (c, p) => {
      const va = vas[p];
      for (let n = 0; n < each; n++) await must(c, RENAME, { id: va.gid, name: n % 2 === 0 ? `${va.name} nb` : va.name }, token);
      if (each % 2) await must(c, RENAME, { id: va.gid, name: va.name }, token);
    }),
  );
  return (Date.now() - started) / 1000;
}

const creationDeliveries = (webhooks: number) => (webhooks * (webhooks + 1)) / 2;

async function deliveredCount(webhookGids: string[]): Promise<number> {
  const ids = webhookGids.map((gid) => Number(Buffer.from(gid, "base64url").toString("utf8").split(":")[1]));
  const connection = await mysql.createConnection(DATABASE_URL);
  try {
    const [rows] = (await connection.query(`SELECT COUNT(*) n FROM webhook_deliveries WHERE status = 'DELIVERED' AND webhook_id IN (?)`, [
      ids,
    ])) as unknown as [{ n: number }[]];
    return Number(rows[0].n);
  } finally {
    await connection.end();
  }
}

async function waitForArrivals(receiver: Receiver, expected: number, quietMs = QUIET_MS): Promise<void> {
  let last = receiver.arrivals.length;
  let since = Date.now();
  while (receiver.arrivals.length < expected) {
    await sleep(200);
    if (receiver.arrivals.length !== last) {
      last = receiver.arrivals.length;
      since = Date.now();
    } else if (Date.now() - since > quietMs) break;
  }
  await sleep(1000); // duplicates, if any, would come now
}

function summarise(
  mode: string,
  receiver: Receiver,
  hooks: { id: string; secret: string }[],
  events: number,
  /** Deliveries of the webhooks' own creation events in the measured set (backlog). */
  creation: number,
  deliveredInDb: number,
  extra: Pick<WebhookRun, "producedPerSecond" | "tailSeconds" | "serverErrors" | "serverCpuPercent">,
): WebhookRun {
  const counts = new Map<string, number>();
  for (const arrival of receiver.arrivals) counts.set(arrival.id, (counts.get(arrival.id) ?? 0) + 1);
  const expected = events * hooks.length + creation;
  const times = receiver.arrivals.map((arrival) => arrival.at);
  const seconds = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
  let valid = 0;
  for (const sample of receiver.samples) {
    const matches = hooks.some(
      (hook) => `sha256=${createHmac("sha256", hook.secret).update(`${sample.timestamp}.${sample.body}`).digest("hex")}` === sample.signature,
    );
    if (matches) valid++;
  }
  const run: WebhookRun = {
    mode,
    webhooks: hooks.length,
    events,
    expected,
    received: receiver.arrivals.length,
    unique: counts.size,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    missing: Math.max(0, expected - counts.size),
    deliveredInDb,
    seconds: round1(seconds),
    deliveriesPerSecond: Math.round((receiver.arrivals.length - 1) / Math.max(seconds, 0.001)),
    signaturesChecked: receiver.samples.length,
    signaturesValid: valid,
    ...extra,
  };
  console.log(
    `webhooks (${mode}): ${run.received} received (${run.unique} unique, ${run.duplicates} duplicated, ${run.missing} missing) of ${expected} in ${run.seconds} s = ${run.deliveriesPerSecond}/s; ` +
      `signatures ${valid}/${receiver.samples.length}; DB DELIVERED ${deliveredInDb}`,
  );
  return run;
}

/** Live: webhooks created, producers renaming in parallel while the worker delivers. */
async function webhookLive(
  mode: "table" | "redis",
  token: string,
  sa: string,
  vas: Va[],
  redisUrl: string,
  prefix: string,
  options: { workerApart?: boolean } = {},
): Promise<WebhookRun> {
  const redis: Record<string, string> = mode === "redis" ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {};
  const server = await startServer("src/main.ts", PORT, serverEnv({ ...redis, ...(options.workerApart ? { WORKER: "0" } : {}) }));
  // R39's worker as a process of its own (`npm run worker`), beside a server with WORKER=0.
  const worker = options.workerApart ? await startWorkerProcess(serverEnv(redis)) : null;
  const receiver = await startReceiver();
  const clients = Array.from({ length: PRODUCERS }, (_, i) => new Client(PORT, `127.0.0.${i + 2}`));
  let hooks: { id: string; secret: string }[] = [];
  try {
    // Warm-up without webhooks.
    await produce(clients, token, vas, PRODUCERS * 4);
    hooks = await createWebhooks(clients[0], token, sa, WEBHOOKS);
    // createWebhook writes an event too, heard by the webhooks active then: 1 + 2 + … + WEBHOOKS deliveries, let through first.
    await waitForArrivals(receiver, creationDeliveries(hooks.length), 3000);
    receiver.arrivals.length = 0;
    receiver.samples.length = 0;
    const pid = server.child.pid as number;
    const cpuOf = () => cpu(pid) + (worker ? cpu(worker.pid) : 0);
    const cpuBefore = cpuOf();
    const cpuStarted = Date.now();
    const producing = await produce(clients, token, vas, EVENTS);
    const producedAt = Date.now();
    const events = PRODUCERS * (Math.ceil(EVENTS / PRODUCERS) + (Math.ceil(EVENTS / PRODUCERS) % 2));
    await waitForArrivals(receiver, events * hooks.length);
    const lastArrival = Math.max(...receiver.arrivals.map((arrival) => arrival.at));
    const serverCpuPercent = Math.round((100 * (cpuOf() - cpuBefore)) / ((lastArrival - cpuStarted) / 1000));
    if (CPU_PROF) {
      server.child.kill("SIGUSR2");
      await sleep(3000);
    }
    return summarise(
      `${mode} queue, live${worker ? ", worker apart" : ""}`,
      receiver,
      hooks,
      events,
      0,
      await deliveredCount(hooks.map((hook) => hook.id)),
      {
        producedPerSecond: Math.round(events / producing),
        tailSeconds: round1((lastArrival - producedAt) / 1000),
        serverErrors: loggedErrors(server),
        serverCpuPercent,
      },
    );
  } finally {
    for (const hook of hooks) await must(clients[0], DELETE_WEBHOOK, { id: hook.id }, token).catch((error) => console.error(error));
    clients.forEach((client) => client.close());
    await receiver.close();
    await server.stop();
    await worker?.stop();
  }
}

/** `src/worker-main.ts` with `env`, as the image runs it; up once its log says it started. */
async function startWorkerProcess(env: Record<string, string>): Promise<{ pid: number; stop(): Promise<void> }> {
  const logFile = path.join(os.tmpdir(), `sag-worker-${process.pid}.log`);
  const log = fs.openSync(logFile, "w");
  const child = spawn(process.execPath, ["-r", "@swc-node/register", "src/worker-main.ts"], {
    cwd: path.join(__dirname, ".."),
    env: { ...process.env, ...env, NODE_ENV: "production" },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  let exited = false;
  child.on("exit", () => (exited = true));
  for (let i = 0; i < 240 && !/worker: started/.test(fs.readFileSync(logFile, "utf8")); i++) {
    if (exited) throw new Error(`the worker exited at start:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
    await sleep(250);
  }
  return {
    pid: child.pid as number,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      for (let i = 0; i < 60 && !exited; i++) await sleep(250);
      if (!exited) child.kill("SIGKILL");
    },
  };
}

/** Backlog (table queue): the deliveries written with the worker off, then a fresh server's worker drains them. */
async function webhookBacklog(token: string, sa: string, vas: Va[]): Promise<WebhookRun> {
  const receiver = await startReceiver();
  let hooks: { id: string; secret: string }[] = [];
  const clients = Array.from({ length: PRODUCERS }, (_, i) => new Client(PORT, `127.0.0.${i + 2}`));
  let server = await startServer("src/main.ts", PORT, serverEnv({ WORKER: "0" }));
  let events = 0;
  try {
    hooks = await createWebhooks(clients[0], token, sa, WEBHOOKS);
    await produce(clients, token, vas, EVENTS);
    events = PRODUCERS * (Math.ceil(EVENTS / PRODUCERS) + (Math.ceil(EVENTS / PRODUCERS) % 2));
    if (receiver.arrivals.length) throw new Error("deliveries arrived with WORKER=0");
  } finally {
    await server.stop();
  }
  clients.forEach((client) => client.close());
  server = await startServer("src/main.ts", PORT, serverEnv());
  const admin = new Client(PORT);
  try {
    const pid = server.child.pid as number;
    const cpuBefore = cpu(pid);
    const started = Date.now();
    await waitForArrivals(receiver, events * hooks.length + creationDeliveries(hooks.length));
    const lastArrival = Math.max(...receiver.arrivals.map((arrival) => arrival.at));
    const serverCpuPercent = Math.round((100 * (cpu(pid) - cpuBefore)) / ((lastArrival - started) / 1000));
    return summarise(
      "table queue, backlog",
      receiver,
      hooks,
      events,
      creationDeliveries(hooks.length),
      await deliveredCount(hooks.map((hook) => hook.id)),
      {
        producedPerSecond: null,
        tailSeconds: null,
        serverErrors: loggedErrors(server),
        serverCpuPercent,
      },
    );
  } finally {
    for (const hook of hooks) await must(admin, DELETE_WEBHOOK, { id: hook.id }, token).catch((error) => console.error(error));
    admin.close();
    await receiver.close();
    await server.stop();
  }
}

async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  let deleted = 0;
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const database = await benchDatabase(DATABASE_URL, { scale: 1, reuse: true, keep: true });
  const token = await signToken(SECRET, { email: ADMIN }, { expiresIn: "2h" });
  const sa = await smartAccountGid();
  const vas = await virtualAccounts(PRODUCERS + 1);
  const subscriptions: SubscriptionRun[] = [];
  const webhooks: WebhookRun[] = [];
  if (ONLY === "" || ONLY === "subscriptions") {
    subscriptions.push(await subscriptionRun(CONNECTIONS, token, sa, vas[PRODUCERS]));
    if (WIDE) subscriptions.push(await subscriptionRun(SUBS, token, sa, vas[PRODUCERS]));
  }
  if (ONLY === "" || ONLY === "webhooks") {
    webhooks.push(await webhookLive("table", token, sa, vas, "", ""));
    webhooks.push(await webhookLive("table", token, sa, vas, "", "", { workerApart: true }));
    webhooks.push(await webhookBacklog(token, sa, vas));
  }
  if (ONLY === "" || ONLY === "webhooks" || ONLY === "redis") {
    if (REDIS_URL) {
      const prefix = `nbench-${process.pid}`;
      try {
        webhooks.push(await webhookLive("redis", token, sa, vas, REDIS_URL, prefix));
        webhooks.push(await webhookLive("redis", token, sa, vas, REDIS_URL, prefix, { workerApart: true }));
      } finally {
        console.log(`deleted ${await deleteRedisKeys(REDIS_URL, prefix)} Redis keys under ${prefix}:`);
      }
    }
  }
  const run: Run = {
    at: new Date().toISOString(),
    machine: machine(),
    node: process.version,
    database: { url: DATABASE_URL.replace(/\/\/[^@]*@/, "//…@"), version: database.version },
    redis: REDIS_URL ? REDIS_URL.replace(/\/\/[^@]*@/, "//…@") : null,
    settings: { subs: SUBS, connections: CONNECTIONS, mutations: MUTATIONS, events: EVENTS, webhooks: WEBHOOKS, producers: PRODUCERS },
    subscriptions,
    webhooks,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = has("no-write") ? path.join("/tmp", `notifications-${process.pid}.json`) : path.join(RESULTS_DIR, "notifications-mariadb-scale1.json");
  if (MERGE && fs.existsSync(file)) {
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as typeof run;
    run.subscriptions = [...saved.subscriptions.filter((s) => !subscriptions.some((n) => n.connections === s.connections)), ...subscriptions];
    run.webhooks = [...saved.webhooks.filter((w) => !webhooks.some((n) => n.mode === w.mode)), ...webhooks];
    run.settings = { ...saved.settings, ...run.settings };
    run.notes = saved.notes;
  }
  fs.writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
  if (!has("no-write")) writeSection("notifications", render(run));
}

type Run = {
  at: string;
  database: { url: string; version: string };
  machine: string;
  node: string;
  redis: string | null;
  settings: Record<string, number>;
  subscriptions: SubscriptionRun[];
  webhooks: WebhookRun[];
  /** Written by hand into the saved JSON (what the run could not see: the machine's other load, diagnoses). */
  notes?: string[];
};

const verdict = (met: boolean) => (met ? "met" : "**not met**");

export function render(run: Run): string {
  const lines = [
    "## Notifications",
    "",
    `Written by \`npm run bench:notifications\` (bench/notifications.ts). ${run.at.slice(0, 16).replace("T", " ")} UTC · ${run.machine} · Node ${run.node} · ` +
      `${run.database.version} · bench data set at scale 1 (bench.example.com) · one server, NODE_ENV=production, worker in-process, ` +
      "RATE_LIMIT_COST_PER_MINUTE raised out of the way, WEBHOOK_ALLOW_PRIVATE=1, MAX_CONNECTIONS_PER_ADDRESS=5000.",
    "",
  ];
  if (run.subscriptions.length) {
    lines.push(
      `**Subscriptions**: \`Subscription.events(smartAccountId:)\` of bench.example.com as admin@bench.example.com (graphql-ws). RSS is the server's VmRSS (median of 5 readings 1 s apart) idle after warm-up and with the subscriptions open. ` +
        `Then ${run.settings.mutations} \`updateVirtualAccount\` renames one at a time, each waited for until every subscriber has it. ` +
        "Latency from the delivery's `extensions.committedAt` (the server's wall clock, taken once the write's transaction committed, before publishing) to arrival here, same machine clock: the target's measure; from the event's `createdAt` (the server's clock inside the mutation's transaction, before its commit); and from the mutation's HTTP answer arriving (negative: the delivery came first). Fan-out: first to last subscriber of one mutation. Milliseconds.",
      "",
      "| subscriptions | connections × each | RSS idle MB | RSS open MB | growth MB | deliveries | from commit p50 | from commit p99 | max | from createdAt p50 | from createdAt p99 | p99 from answer | fan-out p50 | fan-out p99 | mutation p50 | server CPU s |",
      "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const s of run.subscriptions) {
      lines.push(
        `| ${s.subscriptions} | ${s.connections} × ${s.perConnection} | ${s.rssIdleMb} | ${s.rssOpenMb} | **${s.rssGrowthMb}** | ${s.deliveries} of ${s.expectedDeliveries}${s.wrongEvent ? ` (${s.wrongEvent} wrong)` : ""} | ${s.fromCommit?.p50 ?? "–"} | **${s.fromCommit?.p99 ?? "–"}** | ${s.fromCommit?.max ?? "–"} | ${s.fromCreatedAt.p50} | ${s.fromCreatedAt.p99} | ${s.fromResponse.p99} | ${s.fanOut.p50} | ${s.fanOut.p99} | ${s.mutationMs.p50} | ${s.serverCpuSeconds} |`,
      );
    }
    lines.push("");
    for (const s of run.subscriptions) {
      lines.push(
        `- ${s.connections} connections: p99 commit → delivery **${s.fromCommit?.p99 ?? "not measured"} ms** (target ≤ 100 ms: ${s.fromCommit ? verdict(s.fromCommit.p99 <= 100) : "not measured"}); from createdAt ${s.fromCreatedAt.p99} ms; RSS growth **${s.rssGrowthMb} MB** (target ≤ 60 MB: ${verdict(s.rssGrowthMb <= 60)}); opened in ${s.openSeconds} s; internal errors logged ${s.serverErrors}.`,
      );
    }
    lines.push("");
  }
  if (run.webhooks.length) {
    lines.push(
      `**Webhooks**: a node:http receiver in the benchmark process answering 204; ${run.settings.webhooks} account-wide webhooks (topic EVENT) of bench.example.com pointing at it, so each event is ${run.settings.webhooks} deliveries. ` +
        `Live: ${run.settings.producers} clients rename their own Virtual Account in parallel while the in-process worker delivers. Backlog: the same deliveries written by a server with WORKER=0, then drained by a fresh server's worker (the worker alone on the cores). ` +
        "Deliveries/s from the first delivery to the last; each X-Webhook-Id counted; every 25th delivery's signature verified with the webhook's secret." +
        (run.redis ? ` Redis: ${run.redis}, a key prefix of its own, its keys deleted after.` : ""),
      "",
      "| queue | deliveries expected | received | unique | duplicated | missing | DELIVERED in DB | seconds | deliveries/s | mutations/s | tail s | signatures | server CPU |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    );
    for (const w of run.webhooks) {
      lines.push(
        `| ${w.mode} | ${w.expected} | ${w.received} | ${w.unique} | ${w.duplicates} | ${w.missing} | ${w.deliveredInDb} | ${w.seconds} | **${w.deliveriesPerSecond}** | ${w.producedPerSecond ?? "–"} | ${w.tailSeconds ?? "–"} | ${w.signaturesValid}/${w.signaturesChecked} | ${w.serverCpuPercent ?? "–"}% |`,
      );
    }
    lines.push(
      "",
      "DELIVERED in DB counts every delivery of the webhooks, the deliveries of their own creation events included (1 + 2 + … + webhooks; let through before a live run is timed, part of the backlog run).",
      "",
    );
    for (const w of run.webhooks) {
      // A live run whose last delivery came right after the last write was bounded by the writers, not the worker.
      const keptUp =
        w.tailSeconds !== null && w.tailSeconds <= 0.5 && w.producedPerSecond !== null
          ? `; the worker kept up (last delivery ${w.tailSeconds} s after the last write): this is ${w.webhooks} webhooks × ${w.producedPerSecond} writes/s, the writers' limit, not the worker's`
          : "";
      lines.push(`- ${w.mode}: **${w.deliveriesPerSecond} deliveries/s** (target ≥ 200/s: ${verdict(w.deliveriesPerSecond >= 200)}${keptUp}).`);
    }
  }
  if (run.notes?.length) lines.push("", ...run.notes.map((note) => `- ${note}`));
  return lines.join("\n");
}

if (require.main === module) {
  (has("render")
    ? async () => {
        const run = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, "notifications-mariadb-scale1.json"), "utf8")) as Run;
        writeSection("notifications", render(run));
      }
    : main)().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
