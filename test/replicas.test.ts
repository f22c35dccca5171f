/**
 * §6, issue #16: read replicas (DATABASE_REPLICA_URLS), proved with each server's own statement counters
 * (SHOW GLOBAL STATUS: Com_select, Com_insert, Com_update; the SHOW itself is a Com_show_status). Needs a
 * primary and a replica of it, e.g. `scripts/mariadb-replica.sh start`, then
 *
 *   REPLICA_PRIMARY_URL=mysql://root@127.0.0.1:3407/test REPLICA_URL=mysql://root@127.0.0.1:3408/test npx jest test/replicas
 *
 * A fresh database is made on the primary (it replicates); the server's DATABASE_URL is it on the
 * primary and DATABASE_REPLICA_URLS it on the replica. The cross-copy case uses Redis (REPLICA_REDIS_URL,
 * default redis://127.0.0.1:6379/11) under a key prefix of its own.
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import mysql from "mysql2/promise";
import { Role } from "../entities";
import { App, createApp } from "../src/app";
import { signToken } from "../src/auth/identity";
import { FixedClock } from "../src/clock";
import { loadConfig } from "../src/config";
import { Database } from "../src/db/database";
import { openDatabase } from "../src/db/open";
import { Builder } from "../src/db/seed/builder";
import { createLogger } from "../src/logging";
import { START } from "./support/fixtures";
import { TEST_SECRET } from "./support/harness";

const PRIMARY_URL = process.env.REPLICA_PRIMARY_URL;
const REPLICA_URL = process.env.REPLICA_URL;
const REDIS_URL = process.env.REPLICA_REDIS_URL ?? "redis://127.0.0.1:6379/11";
const WINDOW_MS = 1500;

const suite = PRIMARY_URL && REPLICA_URL ? describe : describe.skip;
const title =
  PRIMARY_URL && REPLICA_URL
    ? "read replicas (DATABASE_REPLICA_URLS)"
    : "read replicas (skipped: set REPLICA_PRIMARY_URL and REPLICA_URL, e.g. after scripts/mariadb-replica.sh start)";

const DASHBOARD = `query Dashboard($domain: String!) {
  viewer { user { email } smartAccounts(first: 10) { totalCount nodes { id name viewerRoles { role } } } }
  smartAccount(domain: $domain) {
    name
    defaultVirtualAccount { id }
    roleAssignments(first: 100) { totalCount nodes { role user { email } } }
    allVirtualAccounts(first: 500) { totalCount nodes { id name depth parent { id } } }
  }
}`;
const CREATE_VA = `mutation($id: ID!, $name: String!) { createVirtualAccount(input: { smartAccountId: $id, name: $name }) { name } }`;

type Counters = Record<"Com_select" | "Com_insert" | "Com_update" | "Com_delete" | "Com_stmt_execute", number>;

const atDatabase = (url: string, name: string): string => {
  const at = new URL(url.replace(/^mariadb:/, "mysql:"));
  at.pathname = `/${name}`;
  return at.toString();
};

async function counters(connection: mysql.Connection): Promise<Counters> {
  const [rows] = await connection.query(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_stmt_execute')",
  );
  return Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((row) => [row.Variable_name, Number(row.Value)])) as Counters;
}

const minus = (after: Counters, before: Counters): Counters =>
  Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - before[name as keyof Counters]])) as Counters;

interface Copy {
  app: App;
  db: Database;
  url: string;
}

suite(title, () => {
  const name = `sag_replica_${process.pid}_${randomBytes(4).toString("hex")}`;
  const prefix = `sag-replica-test-${randomBytes(4).toString("hex")}`;
  let primary: mysql.Connection;
  let replica: mysql.Connection;
  const copies: Copy[] = [];
  let a: Copy;
  let accountId: string;

  /** Until the replica has applied all the primary has written (SHOW only: no Com_select on either). */
  async function caughtUp(): Promise<void> {
    const [rows] = await primary.query("SHOW GLOBAL VARIABLES LIKE 'gtid_binlog_pos'");
    const target = (rows as { Value: string }[])[0].Value;
    for (let waited = 0; ; waited += 50) {
      const [applied] = await replica.query("SHOW GLOBAL VARIABLES LIKE 'gtid_slave_pos'");
      if ((applied as { Value: string }[])[0].Value === target) return;
      if (waited > 20_000) throw new Error(`the replica did not reach ${target}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** What `work` made each server count (caught up first, so that nothing earlier is still arriving). */
  async function measure<T>(work: () => Promise<T>): Promise<{ result: T; primary: Counters; replica: Counters }> {
    // What followed an earlier write (its alert check, on the primary, after the answer) is done first.
    await Promise.all(copies.map((copy) => copy.app.notifications.settled()));
    await caughtUp();
    const [p0, r0] = await Promise.all([counters(primary), counters(replica)]);
    const result = await work();
    const [p1, r1] = await Promise.all([counters(primary), counters(replica)]);
    return { result, primary: minus(p1, p0), replica: minus(r1, r0) };
  }

  async function startCopy(env: Record<string, string> = {}): Promise<Copy> {
    const config = loadConfig({
      JWT_SECRET: TEST_SECRET,
      EXPOSE_QUERY_STATS: "1",
      WORKER: "0",
      POOL_SWEEP_INTERVAL_S: "0",
      HTTP_KEEP_ALIVE_TIMEOUT_MS: "600000",
      DATABASE_URL: atDatabase(PRIMARY_URL as string, name),
      DATABASE_REPLICA_URLS: atDatabase(REPLICA_URL as string, name),
      READ_YOUR_WRITES_MS: String(WINDOW_MS),
      ...env,
    } as NodeJS.ProcessEnv);
    const db = await openDatabase(config.databaseUrl, config.database, config.replicas.urls);
    const app = await createApp({ db, config, clock: new FixedClock(START), logger: createLogger({ level: "silent" }) });
    const port = await app.listen(0);
    const copy = { app, db, url: `http://127.0.0.1:${port}` };
    copies.push(copy);
    return copy;
  }

  async function gql(copy: Copy, query: string, variables: Record<string, unknown>, as: string) {
    const token = await signToken(TEST_SECRET, { email: as }, { expiresIn: "1h" });
    const response = await fetch(`${copy.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data: any; errors?: unknown[]; extensions?: { sqlStatements?: number } };
    expect(body.errors).toBeUndefined();
    return { data: body.data, statements: body.extensions?.sqlStatements ?? -1 };
  }

  const dashboard = (copy: Copy, as: string) => gql(copy, DASHBOARD, { domain: "replica.example.com" }, as);

  beforeAll(async () => {
    primary = await mysql.createConnection(atDatabase(PRIMARY_URL as string, ""));
    replica = await mysql.createConnection(atDatabase(REPLICA_URL as string, ""));
    await primary.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await caughtUp();
    a = await startCopy();
    const build = new Builder(a.db.manager, new FixedClock(START));
    const account = await build.account("replica.example.com");
    await account.grant("admin@example.com", Role.SMART_ACCOUNT_ADMIN);
    await account.grant("other@example.com", Role.SMART_ACCOUNT_ADMIN);
    const top = await account.virtualAccount("Top");
    await account.virtualAccount("Child", top);
    await caughtUp();
    accountId = (await dashboard(a, "other@example.com")).data.viewer.smartAccounts.nodes[0].id;
  }, 60_000);

  afterAll(async () => {
    for (const copy of copies) {
      await copy.app.stop();
      await copy.db.close();
    }
    await primary?.query(`DROP DATABASE IF EXISTS \`${name}\``);
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
    } catch {
      // no Redis: nothing was written there
    } finally {
      redis.disconnect();
    }
    await primary?.end();
    await replica?.end();
  }, 60_000);

  it("a query's reads go to the replica; authentication's one prepared statement to the primary", async () => {
    const { result, primary: p, replica: r } = await measure(() => dashboard(a, "admin@example.com"));
    console.log(`query: ${result.statements} statements; primary ${JSON.stringify(p)}; replica Com_select +${r.Com_select}`);
    expect(result.data.smartAccount.allVirtualAccounts.totalCount).toBe(3);
    // Authentication (user, grants and their accounts in one prepared statement) reads the primary.
    expect(p.Com_stmt_execute).toBe(1);
    expect(p.Com_select).toBe(1);
    expect(p.Com_insert + p.Com_update + p.Com_delete).toBe(0);
    // Everything else the request ran, the replica answered.
    expect(result.statements).toBeGreaterThan(3);
    expect(r.Com_select).toBe(result.statements - 1);
  });

  it("a mutation runs on the primary; right after it, its principal reads the primary, another principal the replica", async () => {
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS)); // no window left from setup
    const write = await measure(() => gql(a, CREATE_VA, { id: accountId, name: "Fresh" }, "admin@example.com"));
    console.log(
      `mutation: ${write.result.statements} statements; primary ${JSON.stringify(write.primary)}; replica Com_select +${write.replica.Com_select}`,
    );
    expect(write.result.data.createVirtualAccount.name).toBe("Fresh");
    expect(write.primary.Com_insert).toBeGreaterThanOrEqual(1);
    expect(write.primary.Com_select).toBeGreaterThanOrEqual(1);
    expect(write.replica.Com_select).toBe(0);

    // Right away, not caught up first: the writer reads its own write from the primary (once what follows
    // the write's commit on the primary, its alert check, is done: it would count there too).
    await a.app.notifications.settled();
    const p0 = await counters(primary);
    const r0 = await counters(replica);
    const own = await dashboard(a, "admin@example.com");
    const p1 = await counters(primary);
    const r1 = await counters(replica);
    console.log(
      `writer's read within READ_YOUR_WRITES_MS: primary Com_select +${p1.Com_select - p0.Com_select}, replica +${r1.Com_select - r0.Com_select}`,
    );
    expect(own.data.smartAccount.allVirtualAccounts.nodes.map((va: { name: string }) => va.name)).toContain("Fresh");
    expect(p1.Com_select - p0.Com_select).toBe(own.statements);
    expect(r1.Com_select - r0.Com_select).toBe(0);

    const other = await measure(() => dashboard(a, "other@example.com"));
    expect(other.primary.Com_select).toBe(1);
    expect(other.replica.Com_select).toBe(other.result.statements - 1);

    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100));
    const later = await measure(() => dashboard(a, "admin@example.com"));
    console.log(`writer's read after the window: primary Com_select +${later.primary.Com_select}, replica +${later.replica.Com_select}`);
    expect(later.primary.Com_select).toBe(1);
    expect(later.replica.Com_select).toBe(later.result.statements - 1);
  });

  it("a request that wrote (authentication's first sight of a user) reads from the primary from then on", async () => {
    const {
      result,
      primary: p,
      replica: r,
    } = await measure(() => gql(a, `{ viewer { user { email } } smartAccount(domain: "replica.example.com") { name } }`, {}, "newcomer@example.com"));
    console.log(`first sight: ${result.statements} statements; primary ${JSON.stringify(p)}; replica Com_select +${r.Com_select}`);
    expect(result.data.viewer.user.email).toBe("newcomer@example.com");
    expect(p.Com_insert).toBe(1);
    expect(r.Com_select).toBe(0);
  });

  it("an export streams from the replica (its principal's window aside)", async () => {
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100));
    const token = await signToken(TEST_SECRET, { email: "admin@example.com" }, { expiresIn: "1h" });
    const get = (path: string) =>
      fetch(`${a.url}${path}`, { headers: { authorization: `Bearer ${token}` } }).then(async (response) => ({
        status: response.status,
        text: await response.text(),
      }));
    for (const kind of ["licenses", "pools", "product-instances"]) {
      const { result, primary: p, replica: r } = await measure(() => get(`/exports/${kind}?domain=replica.example.com`));
      console.log(`export ${kind}: primary Com_select +${p.Com_select}, replica Com_select +${r.Com_select}`);
      expect(result.status).toBe(200);
      expect(p.Com_select).toBe(1); // authentication
      expect(r.Com_select).toBeGreaterThanOrEqual(2); // the scope, then the rows
    }
    // Within its principal's window, an export reads the primary like any other request.
    await gql(a, CREATE_VA, { id: accountId, name: "Before export" }, "admin@example.com");
    const p0 = await counters(primary);
    const r0 = await counters(replica);
    const within = await get("/exports/licenses?domain=replica.example.com");
    const p1 = await counters(primary);
    const r1 = await counters(replica);
    expect(within.status).toBe(200);
    expect(p1.Com_select - p0.Com_select).toBeGreaterThanOrEqual(3);
    expect(r1.Com_select - r0.Com_select).toBe(0);
  });

  it("a replica that cannot be reached leaves the reads to the primary", async () => {
    const nowhere = new URL(atDatabase(REPLICA_URL as string, name));
    nowhere.port = "1"; // nothing listens on 127.0.0.1:1: connection refused at once
    const lost = await startCopy({ DATABASE_REPLICA_URLS: nowhere.toString() });
    const { result, primary: p, replica: r } = await measure(() => dashboard(lost, "other@example.com"));
    expect(result.data.smartAccount.name).toBeDefined();
    expect(p.Com_select).toBe(result.statements);
    expect(r.Com_select).toBe(0);
  });

  it("with REDIS_URL, a write through one copy sends the principal's reads through another copy to the primary", async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
    try {
      await redis.connect();
      await redis.ping();
    } catch {
      redis.disconnect();
      console.warn(`cross-copy case skipped: no Redis answers on ${REDIS_URL}`);
      return;
    }
    try {
      const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix };
      const [one, two] = [await startCopy(env), await startCopy(env)];
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 100));
      const before = await measure(() => dashboard(two, "admin@example.com"));
      expect(before.primary.Com_select).toBe(1);

      await gql(one, CREATE_VA, { id: accountId, name: "Across" }, "admin@example.com");
      await one.app.notifications.settled(); // the write's alert check, on the primary, after the answer
      const keys = await redis.keys(`${prefix}:wrote:*`);
      expect(keys).toHaveLength(1);
      const ttl = await redis.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(WINDOW_MS);

      const p0 = await counters(primary);
      const r0 = await counters(replica);
      const across = await dashboard(two, "admin@example.com");
      const p1 = await counters(primary);
      const r1 = await counters(replica);
      console.log(`copy B after copy A's write: primary Com_select +${p1.Com_select - p0.Com_select}, replica +${r1.Com_select - r0.Com_select}`);
      expect(across.data.smartAccount.allVirtualAccounts.nodes.map((va: { name: string }) => va.name)).toContain("Across");
      expect(p1.Com_select - p0.Com_select).toBe(across.statements);
      expect(r1.Com_select - r0.Com_select).toBe(0);

      // Another principal through copy B still reads the replica.
      const other = await measure(() => dashboard(two, "other@example.com"));
      expect(other.replica.Com_select).toBe(other.result.statements - 1);
    } finally {
      redis.disconnect();
    }
  });
});
