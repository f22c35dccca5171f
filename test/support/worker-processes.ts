import "reflect-metadata";
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { Queue } from "bullmq";
import Redis from "ioredis";
import { Notification, Webhook, WebhookDelivery } from "../../entities";
import type { Database } from "../../src/db/database";
import { openDatabase } from "../../src/db/open";
import { deliveryJobId, mailJobId, QUEUE_NAME } from "../../src/notifications/queue-redis";

/**
 * What test/worker.test.ts (R39) runs worker processes against: a database several processes share (a
 * SQLite file in a temporary folder, or a fresh database on DATABASE_URL's MariaDB), real child processes
 * (test/support/worker-child.ts) stopped and killed by pid, and the runs their jobs recorded.
 */
export interface SharedDatabase {
  url: string;
  db: Database;
  drop(): Promise<void>;
}

export async function sharedDatabase(): Promise<SharedDatabase> {
  const base = process.env.DATABASE_URL;
  let url: string;
  let cleanup: () => Promise<void>;
  if (base && /^(mysql|mariadb):/.test(base)) {
    const name = `sag_worker_${process.pid}_${randomBytes(4).toString("hex")}`;
    const server = new URL(base.replace(/^mariadb:/, "mysql:"));
    server.pathname = "/";
    const admin = await mysql.createConnection(server.toString());
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const target = new URL(server.toString());
    target.pathname = `/${name}`;
    url = target.toString();
    cleanup = async () => {
      const connection = await mysql.createConnection(server.toString());
      await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await connection.end();
    };
  } else {
    const dir = mkdtempSync(join(tmpdir(), "sag-worker-"));
    url = `sqlite:${join(dir, "worker.sqlite")}`;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const db = await openDatabase(url);
  await db.manager.query(
    "CREATE TABLE worker_test_runs (job VARCHAR(16) NOT NULL, subject INT NOT NULL, owner VARCHAR(64) NOT NULL, at_ms BIGINT NOT NULL)",
  );
  return {
    url,
    db,
    async drop() {
      await db.close();
      await cleanup();
    },
  };
}

export interface Run {
  job: string;
  subject: number;
  owner: string;
  at: number;
}

export async function runs(db: Database, job: string): Promise<Run[]> {
  const rows: { subject: unknown; owner: string; at_ms: unknown }[] = await db.manager.query(
    "SELECT subject, owner, at_ms FROM worker_test_runs WHERE job = ? ORDER BY at_ms, subject",
    [job],
  );
  return rows.map((row) => ({ job, subject: Number(row.subject), owner: row.owner, at: Number(row.at_ms) }));
}

/** `count` PENDING deliveries due now, of one webhook; their ids. */
export async function pendingDeliveries(db: Database, count: number): Promise<number[]> {
  const now = new Date();
  const webhook = await db.manager.save(
    db.manager.create(Webhook, {
      smartAccountId: 1,
      virtualAccountId: null,
      url: "https://example.test/hook",
      topics: "EVENT",
      secretSalt: "salt",
      createdAt: now,
    }),
  );
  const rows = Array.from({ length: count }, () =>
    db.manager.create(WebhookDelivery, {
      webhookId: webhook.id,
      notificationId: 1,
      topic: "EVENT",
      status: "PENDING",
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
    }),
  );
  await db.manager.save(rows, { chunk: 100 });
  return rows.map((row) => row.id);
}

/** `count` notifications in the outbox, as a commit would have left them; their ids. */
export async function outboxNotifications(db: Database, count: number): Promise<number[]> {
  const rows = Array.from({ length: count }, () =>
    db.manager.create(Notification, { topic: "EVENT", smartAccountId: 1, virtualAccountId: null, eventId: null, data: "{}", createdAt: new Date() }),
  );
  await db.manager.save(rows, { chunk: 100 });
  return rows.map((row) => row.id);
}

export interface WorkerProcess {
  owner: string;
  child: ChildProcess;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to finish or let go of anything. */
  kill(): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const owner = env.WORKER_OWNER;
  const child = spawn(process.execPath, ["-r", "@swc-node/register", join(__dirname, "worker-child.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk) => (errors += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${owner} did not start: ${errors}`)), 45_000);
    child.stdout?.on("data", (chunk) => {
      if (!String(chunk).includes("ready")) return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`worker ${owner} exited (${code}) before it was ready: ${errors}`))));
  });
  return {
    owner,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      process.kill(child.pid as number, "SIGTERM");
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid as number, "SIGKILL");
      await exited;
    },
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deletes every Redis key under `prefix:` (never anything else). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/**
 * What a server does after its commit (enqueue at once), done by hand: the workers' sweeps then find the
 * same deliveries and notifications in the tables and enqueue them again, which must not run them twice.
 */
export async function enqueueAsWriter(url: string, prefix: string, deliveries: number[], notifications: number[]): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  try {
    await queue.addBulk([
      ...deliveries.map((deliveryId) => ({
        name: "deliver",
        data: { deliveryId },
        opts: { jobId: deliveryJobId(deliveryId, 0), removeOnComplete: { age: 3600 } },
      })),
      ...notifications.map((notificationId) => ({
        name: "mail",
        data: { notificationId },
        opts: { jobId: mailJobId(notificationId), removeOnComplete: { age: 3600 } },
      })),
    ]);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
