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
  /** Runs an operation as `as`: an email (a token is minted), a raw token string with `raw:`, or null for none. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, as?: string | null, scope?: string): Promise<GqlResult<T>>;
  token(email: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real server on a clean database per suite: SQLite in memory by default; with
 * DATABASE_URL=mysql://… a fresh database on that server, dropped afterwards.
 */
export async function startTestServer(options: { env?: Record<string, string>; logger?: Logger } = {}): Promise<TestServer> {
  const baseUrl = process.env.DATABASE_URL;
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
    ...options.env,
  };
  const config = loadConfig(env as NodeJS.ProcessEnv);
  // Request logs stay quiet in the suite unless LOG_LEVEL asks for them (test/logging.test.ts reads its own).
  const app = await createApp({ db, config, clock, logger: options.logger ?? createLogger({ level: process.env.LOG_LEVEL ?? "silent" }) });
  const port = await app.listen(0);
  const url = `http://127.0.0.1:${port}/graphql`;
  const token = (email: string, scope?: string) => signToken(TEST_SECRET, { email, scope }, { expiresIn: "1h" });

  return {
    url,
    db,
    clock,
    app,
    kind: db.kind,
    build: new Builder(db.manager, clock),
    token,
    async gql(query, variables = {}, as = null, scope) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (as) headers.authorization = `Bearer ${as.startsWith("raw:") ? as.slice(4) : await token(as, scope)}`;
      const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      const body = (await response.json()) as { data: any; errors?: any[]; extensions?: { sqlStatements?: number } };
      // What follows a commit runs after the answer (src/notifications/index.ts): the suites read its results
      // (outbox rows, alert changes) right after the request, so they wait for it here.
      await app.notifications.settled();
      return { status: response.status, data: body.data, errors: body.errors, statements: body.extensions?.sqlStatements ?? -1 };
    },
    async close() {
      await app.stop();
      await db.dataSource.destroy();
      if (dropDatabase) await dropDatabase();
    },
  };
}

/** The first error's code, or undefined. */
export const codeOf = (result: GqlResult): string | undefined => result.errors?.[0]?.extensions.code;

export const ALL_ROLES = Object.values(Role);
