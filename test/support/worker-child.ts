/**
 * One worker process for test/worker.test.ts (R39): the real startWorker on WORKER_DATABASE_URL (and Redis
 * with WORKER_REDIS_URL), with jobs that write each run to `worker_test_runs` and do what the real ones do
 * to the queue's rows (a delivery attempt marks its delivery DELIVERED). WORKER_HANG_DELIVERY=<id> makes that
 * delivery's attempt hang after it is recorded, for the test to kill this process mid-job. Prints "ready".
 * SIGTERM stops the worker (it finishes its jobs) and exits 0.
 */
import "reflect-metadata";
import { WebhookDelivery } from "../../entities";
import { systemClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import type { Database } from "../../src/db/database";
import { openDatabase } from "../../src/db/open";
import { createLogger } from "../../src/logging";
import { createNotifications } from "../../src/notifications";
import { startWorker, WorkerJobs } from "../../src/notifications/worker";

const env = process.env;
const owner = env.WORKER_OWNER ?? `child-${process.pid}`;
const hang = Number(env.WORKER_HANG_DELIVERY ?? 0);

export async function recordRun(db: Database, job: string, subject: number, by: string): Promise<void> {
  await db.exclusive(() =>
    db.manager.query("INSERT INTO worker_test_runs (job, subject, owner, at_ms) VALUES (?, ?, ?, ?)", [job, subject, by, Date.now()]),
  );
}

export function recordingJobs(db: Database, by: string, options: { hang?: number; jobMs?: number } = {}): WorkerJobs {
  const pause = () => new Promise((resolve) => setTimeout(resolve, options.jobMs ?? 20));
  return {
    async deliver(deliveryId) {
      await recordRun(db, "deliver", deliveryId, by);
      if (deliveryId === options.hang) await new Promise(() => undefined);
      await pause();
      await db.exclusive(() =>
        db.manager.query("UPDATE webhook_deliveries SET status = 'DELIVERED', attempts = attempts + 1 WHERE id = ?", [deliveryId]),
      );
    },
    async dueDeliveries(now, limit) {
      const rows = await db.exclusive(() =>
        db.manager
          .createQueryBuilder(WebhookDelivery, "d")
          .select("d.id")
          .where("d.status = 'PENDING' AND (d.nextAttemptAt IS NULL OR d.nextAttemptAt <= :now)", { now })
          .orderBy("d.id")
          .limit(limit)
          .getMany(),
      );
      return rows.map((row) => row.id);
    },
    async mail(ids) {
      for (const id of ids) await recordRun(db, "mail", id, by);
    },
    digests: () => recordRun(db, "digests", 0, by),
    async scanAlerts() {
      await recordRun(db, "scan", 0, by);
      await pause();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig({ JWT_SECRET: "test-secret-for-the-suite", REDIS_URL: env.WORKER_REDIS_URL, REDIS_KEY_PREFIX: env.WORKER_KEY_PREFIX });
  const settings = { ...config.notifications, alertScanIntervalMs: Number(env.WORKER_SCAN_MS ?? 60_000), workerPollMs: 100 };
  const logger = createLogger({ level: env.LOG_LEVEL ?? "warn" });
  const db = await openDatabase(env.WORKER_DATABASE_URL as string);
  const notifications = createNotifications({ db, clock: systemClock, settings, logger });
  const leaseMs = Number(env.WORKER_LEASE_MS ?? 2000);
  const worker = await startWorker({
    db,
    clock: systemClock,
    settings,
    logger,
    notifications,
    owner,
    jobs: recordingJobs(db, owner, { hang }),
    timings: { leaseMs, stalledCheckMs: Math.max(500, leaseMs / 2), sweepMs: 1000, digestCheckMs: 60_000 },
  });
  const alive = setInterval(() => undefined, 60_000);
  process.on("SIGTERM", () => {
    clearInterval(alive);
    void (async () => {
      await worker.stop();
      await notifications.close();
      await db.close();
    })().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write("ready\n");
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
