import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../logging";
import type { Notifications } from "./index";
import { startRedisQueue } from "./queue-redis";
import { startTableQueue } from "./queue-table";

/**
 * What the worker runs (R39). Each is the owning module's function; the worker only decides when, where and
 * how often, so that each runs once however many workers run. src/notifications/jobs.ts builds the real set.
 */
export interface WorkerJobs {
  /** One attempt of a webhook delivery. */
  deliver(deliveryId: number): Promise<void>;
  /**
   * `deliver` claims each delivery itself, atomically (the service's does): the table queue then takes no
   * lease of its own. Without it, the table queue leases each delivery around the call.
   */
  deliverClaims?: boolean;
  /**
   * Attempts these due deliveries together, up to `concurrency` POSTs at once, claiming each itself (the
   * table queue uses it when given; BullMQ's jobs stay one delivery each).
   */
  deliverBatch?(deliveryIds: number[], concurrency: number): Promise<void>;
  /** Delivery ids due at `now` (PENDING, nextAttemptAt <= now). */
  dueDeliveries(now: Date, limit: number): Promise<number[]>;
  /** Immediate mails for these notifications (ALERT_RAISED ones matter). */
  mail(notificationIds: number[]): Promise<void>;
  /** The daily digests due at the clock's now. */
  digests(): Promise<void>;
  /** R35's clock-driven check. */
  scanAlerts(): Promise<void>;
  /** What the jobs hold open (the mail transport), closed when the worker stops. */
  close?(): Promise<void>;
}

/** How often each recurring piece runs; the defaults suit production, tests shorten them. */
export interface WorkerTimings {
  /** How long a claim (a delivery's or a task's lease, a BullMQ job's lock) holds before another worker may take it over. */
  leaseMs: number;
  /** How often the digests are asked for (the mail module decides which are due): at least every minute. */
  digestCheckMs: number;
  /** BullMQ: how often a worker enqueues what a dead process never did (due deliveries, mail past the cursor). */
  sweepMs: number;
  /** BullMQ: how often a worker looks for jobs whose worker died (lock expired), to run them again. */
  stalledCheckMs: number;
  /** How many jobs one worker runs at once. */
  concurrency: number;
  /**
   * The mail cursor passes only notifications at least this old (by the service clock): ids are taken before
   * their transactions commit, so one may commit after a higher one, and a cursor past it would skip it.
   */
  mailSettleMs: number;
}

export const DEFAULT_TIMINGS: WorkerTimings = {
  leaseMs: 60_000,
  digestCheckMs: 60_000,
  sweepMs: 30_000,
  stalledCheckMs: 30_000,
  concurrency: 4,
  mailSettleMs: 5_000,
};

export { WORKER_TASKS } from "./queue-leases";

export interface WorkerOptions {
  db: Database;
  clock: Clock;
  settings: NotificationSettings;
  logger: Logger;
  notifications: Notifications;
  jobs: WorkerJobs;
  /** Who holds a lease (logged, and written to `worker_tasks.lease_owner`); host, pid and a random part by default. */
  owner?: string;
  timings?: Partial<WorkerTimings>;
}

export interface WorkerHandle {
  /** `redis` with REDIS_URL (BullMQ), `table` otherwise (the outbox tables are the queue, claimed by lease). */
  readonly mode: "redis" | "table";
  readonly owner: string;
  /** Stops taking work and waits for the jobs in progress to finish. */
  stop(): Promise<void>;
}

/** What both queues are built from. */
export interface WorkerContext extends Omit<WorkerOptions, "owner" | "timings"> {
  owner: string;
  timings: WorkerTimings;
}

/**
 * R39: starts a worker that runs webhook deliveries, immediate mail, digests and the clock-driven alert scan.
 * With `settings.redisUrl`, on one BullMQ queue shared by every worker (src/notifications/queue-redis.ts);
 * without it, on the tables themselves, claimed by lease (src/notifications/queue-table.ts). Either way, any
 * number of workers (in server processes or `npm run worker`) run each job once, a worker that dies mid-job
 * loses nothing (its claim lapses and another runs it: at least once), and a job that fails is logged and run
 * again later, never crashing the process.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const context: WorkerContext = {
    ...options,
    owner: (options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`).slice(0, 64),
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
  };
  context.timings.digestCheckMs = Math.min(context.timings.digestCheckMs, 60_000);
  const handle = options.settings.redisUrl ? await startRedisQueue(context, options.settings.redisUrl) : startTableQueue(context);
  options.logger.info({ owner: handle.owner, mode: handle.mode }, "worker: started");
  return {
    ...handle,
    async stop() {
      await handle.stop();
      await options.jobs.close?.();
    },
  };
}
