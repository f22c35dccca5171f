/**
 * R33 for the server process itself, spawned as in production (`node src/main.ts`, on MySQL/MariaDB):
 * SIGTERM fails /readyz, stops accepting connections, lets an in-flight streamed export finish and exits
 * 0; `kill -9` in the middle of a burst of writes leaves no partial write (totals conserved, every change
 * of a lot has its event).
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import path from "node:path";
import mysql from "mysql2/promise";
import { Role } from "../entities";
import { signToken } from "../src/auth/identity";
import { openDatabase } from "../src/db/open";
import { Builder } from "../src/db/seed/builder";
import { TEST_SECRET } from "./support/harness";
import { gid } from "./support/ids";
import { onMysql } from "./support/own-mariadb";

const SKU = "C9300-NW-A";
const ADMIN = "admin@process.test";
const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
  transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) { quantity }
}`;

const suite = onMysql() ? describe : describe.skip;
if (!onMysql()) console.info("faults-process: skipped, these run with DATABASE_URL=mysql://… (spawned servers on MySQL/MariaDB)");

interface Spawned {
  port: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** `node src/main.ts` on `databaseUrl`; resolves once it listens. */
function spawnServer(databaseUrl: string, env: Record<string, string> = {}): Promise<Spawned> {
  const root = path.resolve(__dirname, "..");
  const child = spawn(process.execPath, ["-r", "@swc-node/register", "src/main.ts"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", JWT_SECRET: TEST_SECRET, SEED_DEMO: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 45_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /localhost:(\d+)\/graphql/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), child, exited, output: () => output });
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    void exited.then(({ code }) => reject(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
}

suite("R33 the server process", () => {
  const name = `sag_process_${process.pid}_${randomBytes(4).toString("hex")}`;
  // Set in beforeAll (a skipped suite's body still runs): the shared server, and this suite's own database on it.
  let server: URL;
  let databaseUrl: string;
  let token: string;
  let east: number;
  let west: number;
  let productId: number;
  let drained: Spawned;
  let killed: Spawned;
  let lotsAtStart = 0;
  let eastAtStart = 0;

  const query = async <T = any>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const connection = await mysql.createConnection(databaseUrl);
    try {
      return (await connection.query(sql, params))[0] as T[];
    } finally {
      await connection.end();
    }
  };

  beforeAll(async () => {
    server = new URL((process.env.DATABASE_URL ?? "").replace(/^mariadb:/, "mysql:"));
    server.pathname = "/";
    databaseUrl = Object.assign(new URL(server.toString()), { pathname: `/${name}` }).toString();
    const admin = await mysql.createConnection(server.toString());
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const db = await openDatabase(databaseUrl);
    try {
      const build = new Builder(db.manager);
      const account = await build.account("process.test");
      await account.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
      const eastVa = await account.virtualAccount("East");
      const westVa = await account.virtualAccount("West");
      [east, west] = [eastVa.id, westVa.id];
      const lot = await account.license(eastVa, SKU, 1000);
      await account.license(westVa, SKU, 1000);
      productId = lot.productId;
      // A large account for a long export: 2^15 more one-license lots, doubled statement by statement.
      const columns =
        "smart_account_id, virtual_account_id, product_id, order_id, order_line_id, kind, quantity, starts_at, ends_at, pak, split_from_id, created_at";
      await db.dataSource.query(
        `INSERT INTO licenses (${columns}) SELECT smart_account_id, ?, product_id, order_id, order_line_id, kind, 1, starts_at, ends_at, pak, split_from_id, created_at FROM licenses WHERE id = ?`,
        [west, lot.id],
      );
      for (let i = 0; i < 15; i++) {
        await db.dataSource.query(`INSERT INTO licenses (${columns}) SELECT ${columns} FROM licenses WHERE virtual_account_id = ? AND quantity = 1`, [
          west,
        ]);
      }
    } finally {
      await db.close();
    }
    lotsAtStart = Number((await query("SELECT COUNT(*) AS n FROM licenses"))[0].n);
    eastAtStart = Number((await query("SELECT SUM(quantity) AS n FROM licenses WHERE virtual_account_id = ?", [east]))[0].n);
    token = await signToken(TEST_SECRET, { email: ADMIN }, { expiresIn: "1h" });
    // Both servers start at once (each takes seconds to compile and connect).
    [drained, killed] = await Promise.all([
      spawnServer(databaseUrl, { SHUTDOWN_GRACE_MS: "8000", SHUTDOWN_READINESS_DELAY_MS: "600" }),
      spawnServer(databaseUrl),
    ]);
  }, 120_000);

  afterAll(async () => {
    if (!server) return;
    for (const spawned of [drained, killed])
      if (spawned && spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill("SIGKILL");
    const admin = await mysql.createConnection(server.toString());
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  });

  const get = (port: number, route: string) =>
    fetch(`http://127.0.0.1:${port}${route}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });

  it("R33 SIGTERM: /readyz fails first, new connections are refused, the in-flight export finishes whole, exit 0", async () => {
    expect((await get(drained.port, "/readyz")).status).toBe(200);
    // A reporting tool that reads slowly: the export stays in flight while its client does not read.
    let body = "";
    let paused!: () => void;
    const reading = new Promise<void>((resolve) => (paused = resolve));
    let response!: http.IncomingMessage;
    const complete = new Promise<number | undefined>((resolve, reject) => {
      const request = http.get(
        {
          host: "127.0.0.1",
          port: drained.port,
          path: "/exports/licenses?domain=process.test&format=ndjson",
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          response = res;
          res.setEncoding("utf8");
          res.once("data", (chunk: string) => {
            body += chunk;
            res.pause();
            paused();
          });
          res.on("end", () => resolve(res.statusCode));
          res.on("error", reject);
        },
      );
      request.on("error", reject);
    });
    await reading;
    await new Promise((resolve) => setTimeout(resolve, 300)); // the server is now blocked on the unread socket

    drained.child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 150));
    const readiness = await get(drained.port, "/readyz");
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ status: "stopping" });
    await new Promise((resolve) => setTimeout(resolve, 900)); // past SHUTDOWN_READINESS_DELAY_MS: the listener is closed
    await expect(get(drained.port, "/healthz")).rejects.toThrow();
    expect(drained.child.exitCode).toBeNull(); // still draining the export

    response.on("data", (chunk: string) => (body += chunk));
    response.resume();
    expect(await complete).toBe(200);
    const lines = body.trim().split("\n");
    expect(lines.length).toBe(lotsAtStart);
    expect(body).not.toMatch(/truncated/);
    expect(await drained.exited).toEqual({ code: 0, signal: null });
  });

  it("R33 kill -9 in the middle of a burst of transfers leaves no partial write: totals conserved, every change has its event", async () => {
    const transfer = (from: number, to: number) =>
      fetch(`http://127.0.0.1:${killed.port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: TRANSFER,
          variables: { from: gid("VirtualAccount", from), to: gid("VirtualAccount", to), sku: SKU, quantity: 3 },
        }),
      }).then(
        async (response) => (((await response.json()) as { errors?: unknown[] }).errors ? "failed" : "done"),
        () => "cut",
      );
    const totalBefore = Number((await query("SELECT SUM(quantity) AS n FROM licenses WHERE product_id = ?", [productId]))[0].n);
    let answered = 0;
    const burst = Array.from({ length: 120 }, (_, i) =>
      transfer(i % 2 ? east : west, i % 2 ? west : east).then((outcome) => ((answered += 1), outcome)),
    );
    while (answered < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    // Kill while a transfer has written but not committed: a transaction of this database with modified rows.
    const watcher = await mysql.createConnection(databaseUrl);
    try {
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const [rows] = await watcher.query("SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_rows_modified > 0");
        if (Number((rows as { n: unknown }[])[0].n) > 0) break;
      }
      killed.child.kill("SIGKILL");
    } finally {
      await watcher.end();
    }
    const outcomes = await Promise.all(burst);
    expect(await killed.exited).toMatchObject({ signal: "SIGKILL" });
    expect(outcomes.filter((outcome) => outcome === "cut").length).toBeGreaterThan(0); // it really died mid-burst

    // The database rolled back whatever the dead process had open: nothing half-done is left.
    const totalAfter = Number((await query("SELECT SUM(quantity) AS n FROM licenses WHERE product_id = ?", [productId]))[0].n);
    expect(totalAfter).toBe(totalBefore);
    expect(Number((await query("SELECT COUNT(*) AS n FROM licenses WHERE quantity < 0"))[0].n)).toBe(0);
    // Every transfer that changed lots has its one event, and every event its change: East moved by exactly the events.
    const events = await query<{ message: string }>("SELECT message FROM events WHERE type = 'LICENSES_TRANSFERRED'");
    let eastNet = 0;
    for (const { message } of events) eastNet += /from "East"/.test(message) ? -3 : 3;
    const eastAfter = Number((await query("SELECT SUM(quantity) AS n FROM licenses WHERE virtual_account_id = ?", [east]))[0].n);
    expect(eastAfter).toBe(eastAtStart + eastNet);
    expect(events.length).toBeGreaterThanOrEqual(outcomes.filter((outcome) => outcome === "done").length);
  });
});
