import "reflect-metadata";
import { randomBytes } from "node:crypto";
import mysql from "mysql2/promise";
import { Role } from "../../entities";
import { createApp, App } from "../../src/app";
import { signToken } from "../../src/auth/identity";
import { FixedClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { Database } from "../../src/db/database";
import { openDatabase } from "../../src/db/open";
import { createLogger, Logger } from "../../src/logging";
import { Builder } from "../../src/db/seed/builder";
import { copiesWanted, Copies, forkCopy, startCopies } from "./copies";
import { START } from "./fixtures";

export const TEST_SECRET = "test-secret-for-the-suite";

export interface GqlResult<T = any> {
  status: number;
  data: T;
  errors?: { message: string; path?: (string | number)[]; extensions: { code: string; field?: string; [key: string]: unknown } }[];
  statements: number;
}

export interface TestServer {
  url: string;
  db: Database;
  clock: FixedClock;
  build: Builder;
  app: App;
  kind: "sqlite" | "mysql";
  /** With TEST_COPIES=2: the second copy and the round-robin proxy that `url` points at (test/support/copies.ts). */
  copies: Copies | null;
  /**
   * The suite's own copy, never through the proxy: for a test that watches this process's internals (a spy on
   * its database, an injected failure) while it asks. The same as `url`/`gql` without TEST_COPIES=2.
   */
  direct: { url: string; gql: TestServer["gql"] };
  /** Runs an operation as `as`: an email (a token is minted), a raw token string with `raw:`, or null for none. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, as?: string | null, scope?: string): Promise<GqlResult<T>>;
  token(email: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real server on a clean database per suite: SQLite in memory by default; with
 * DATABASE_URL=mysql://… a fresh database on that server, dropped afterwards. With TEST_COPIES=2 (and
 * REDIS_URL), two copies of the service on that database behind a round-robin proxy (test/support/copies.ts),
 * unless the suite reads one process's own log (`logger`) or asks for one copy (`copies: 1`, with its reason).
 */
export async function startTestServer(
  options: { env?: Record<string, string>; logger?: Logger; copies?: { one: string } } = {},
): Promise<TestServer> {
  const baseUrl = process.env.DATABASE_URL;
  const isMysql = Boolean(baseUrl && /^(mysql|mariadb):/.test(baseUrl));
  const twoCopies = copiesWanted(isMysql ? "mysql" : "sqlite") && !options.logger && !options.copies;
  // Forked first: the second copy loads the service while this one creates and migrates the database.
  const child = twoCopies ? forkCopy() : null;
  let databaseUrl = "sqlite::memory:";
  let dropDatabase: (() => Promise<void>) | null = null;
  if (baseUrl && /^(mysql|mariadb):/.test(baseUrl)) {
    const name = `sag_test_${process.pid}_${randomBytes(4).toString("hex")}`;
    const server = new URL(baseUrl.replace(/^mariadb:/, "mysql:"));
    server.pathname = "/";
    const admin = await mysql.createConnection(server.toString());
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const url = new URL(server.toString());
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      const connection = await mysql.createConnection(server.toString());
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    };
  }
  const db = await openDatabase(databaseUrl);
  const clock = new FixedClock(START);
  // The rule suites try many wrong device secrets on purpose: R31's allowance is raised for them, and
  // test/rate-limits.test.ts runs with the defaults.
  // The client (fetch) and the server share this process's event loop: a synchronous stretch longer than
  // the server's 5 s keep-alive (fixtures written on SQLite, a starved CPU) lets fetch write its next
  // request on the idle pooled connection just as the server's keep-alive timer closes it: ECONNRESET (see
  // test/exports.test.ts). No pause in a suite comes near ten minutes, and close() ends idle connections.
  const env = {
    JWT_SECRET: TEST_SECRET,
    EXPOSE_QUERY_STATS: "1",
    GRAPHQL_JIT: process.env.GRAPHQL_JIT,
    RATE_LIMIT_SECRET_FAILURES: "100000",
    HTTP_KEEP_ALIVE_TIMEOUT_MS: "600000",
    // The suites run R35's scan and the deliveries themselves, at their own clock's moments;
    // test/worker.test.ts starts workers of its own.
    WORKER: "0",
    // Two copies share what must be shared through Redis (R31, R36, R39, persisted queries), in a key space of
    // their own.
    ...(twoCopies ? { REDIS_URL: process.env.REDIS_URL!, REDIS_KEY_PREFIX: `sag-copies-${randomBytes(6).toString("hex")}` } : {}),
    ...options.env,
  };
  const config = loadConfig(env as NodeJS.ProcessEnv);
  // Request logs stay quiet in the suite unless LOG_LEVEL asks for them (test/logging.test.ts reads its own).
  const app = await createApp({ db, config, clock, logger: options.logger ?? createLogger({ level: process.env.LOG_LEVEL ?? "silent" }) });
  const ownPort = await app.listen(0);
  const copies = child
    ? await startCopies({
        child,
        databaseUrl,
        env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
        clock,
        ownPort,
        settleOwn: () => app.notifications.settled(),
      })
    : null;
  const ownUrl = `http://127.0.0.1:${ownPort}/graphql`;
  const url = copies ? `http://127.0.0.1:${copies.port}/graphql` : ownUrl;
  const token = (email: string, scope?: string) => signToken(TEST_SECRET, { email, scope }, { expiresIn: "1h" });
  async function gql<T>(
    target: string,
    query: string,
    variables: Record<string, unknown> = {},
    as: string | null = null,
    scope?: string,
  ): Promise<GqlResult<T>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (as) headers.authorization = `Bearer ${as.startsWith("raw:") ? as.slice(4) : await token(as, scope)}`;
    const response = await fetch(target, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data: any; errors?: any[]; extensions?: { sqlStatements?: number } };
    // What follows a commit runs after the answer (src/notifications/index.ts): the suites read its results
    // (outbox rows, alert changes) right after the request, so they wait for it here (and the proxy, for
    // the other copy's, before it hands the answer on).
    await app.notifications.settled();
    return { status: response.status, data: body.data, errors: body.errors, statements: body.extensions?.sqlStatements ?? -1 };
  }

  return {
    url,
    db,
    clock,
    app,
    kind: db.kind,
    copies,
    build: new Builder(db.manager, clock),
    token,
    gql: (query, variables, as, scope) => gql(url, query, variables, as, scope),
    direct: { url: ownUrl, gql: (query, variables, as, scope) => gql(ownUrl, query, variables, as, scope) },
    async close() {
      await copies?.close();
      await app.stop();
      await db.dataSource.destroy();
      if (dropDatabase) await dropDatabase();
    },
  };
}

/** The first error's code, or undefined. */
export const codeOf = (result: GqlResult): string | undefined => result.errors?.[0]?.extensions.code;

export const ALL_ROLES = Object.values(Role);
