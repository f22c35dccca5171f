import { Job, JobsOptions, Queue, Worker } from "bullmq";
import Redis from "ioredis";
import { loggableError } from "../logging";
import { advanceCursor, deliveryStates, ensureTask, notificationsAfter, taskCursor, WORKER_TASKS } from "./queue-leases";
import type { Logger } from "../logging";
import type { Notifications } from "./index";
import type { WorkerContext, WorkerHandle } from "./worker";

/** The queue's name under `settings.keyPrefix`: its Redis keys are `<prefix>:worker:…`. */
export const QUEUE_NAME = "worker";
const SWEEP_BATCH = 500;

/** A delivery's job id: one per attempt, however many processes enqueue it. */
export const deliveryJobId = (deliveryId: number, attempts: number): string => `deliver-${deliveryId}-${attempts}`;
/** A notification's mail job id. */
export const mailJobId = (notificationId: number): string => `mail-${notificationId}`;

type JobName = "deliver" | "mail" | "alert-scan" | "digests" | "sweep";
type JobData = { deliveryId?: number; notificationId?: number };

/** The queue as every process opens it, to add jobs (and, in a worker, to schedule them). */
function openQueue(connection: Redis, prefix: string, logger: Logger, who: string): Queue<JobData, unknown, JobName> {
  const keep: Pick<JobsOptions, "removeOnComplete" | "removeOnFail"> = {
    // Kept an hour so that the same job id enqueued again (by a sweep) is recognised and dropped.
    removeOnComplete: { age: 3600 },
    // A job that failed every try is dropped, so that the next sweep may enqueue it again.
    removeOnFail: true,
  };
  const queue = new Queue<JobData, unknown, JobName>(QUEUE_NAME, {
    connection,
    prefix,
    defaultJobOptions: { ...keep, attempts: 5, backoff: { type: "exponential", delay: 2000 } },
  });
  queue.on("error", (error) => logger.warn({ err: loggableError(error) }, `${who}: queue error`));
  return queue;
}

/**
 * R39 with Redis: one BullMQ queue that every worker (server processes and `npm run worker` alike) takes
 * jobs from. A delivery's job is named after the delivery and its attempt, a mail job after its notification,
 * so however many processes enqueue one (the writer after its commit, every worker's sweep) it is queued once;
 * finished jobs are kept an hour for that. Schedulers enqueue the alert scan, the digests and the sweep once
 * per interval for all workers together. A worker that dies mid-job stops renewing the job's lock: after
 * `leaseMs` another worker's stalled check puts it back, and it runs again (at least once).
 */
export async function startRedisQueue(context: WorkerContext, redisUrl: string): Promise<WorkerHandle> {
  const { db, clock, settings, logger, jobs, owner, timings } = context;
  // BullMQ's blocking reads need commands that wait as long as Redis is away (maxRetriesPerRequest: null).
  const connect = () => {
    const client = new Redis(redisUrl, { maxRetriesPerRequest: null, connectTimeout: 2000 });
    client.on("error", () => undefined); // reconnects by itself; BullMQ reports what fails
    return client;
  };
  const queueConnection = connect();
  const workerConnection = connect();
  const prefix = settings.keyPrefix;
  const queue = openQueue(queueConnection, prefix, logger, "worker");

  const enqueueDeliveries = async (ids: readonly number[]) => {
    const states = await deliveryStates(db, ids);
    const now = clock.now().getTime();
    const entries = [...states].filter(([, state]) => state.status === "PENDING");
    await queue.addBulk(
      entries.map(([deliveryId, state]) => ({
        name: "deliver" as const,
        data: { deliveryId },
        opts: { jobId: deliveryJobId(deliveryId, state.attempts), delay: Math.max(0, (state.nextAttemptAt?.getTime() ?? now) - now) },
      })),
    );
  };
  const enqueueMail = (ids: readonly number[]) =>
    queue.addBulk(ids.map((notificationId) => ({ name: "mail" as const, data: { notificationId }, opts: { jobId: mailJobId(notificationId) } })));

  /** Enqueues what no one did (a process that died between its commit and its enqueue); the job ids keep it once. */
  const sweep = async () => {
    await enqueueDeliveries(await jobs.dueDeliveries(clock.now(), SWEEP_BATCH));
    for (;;) {
      const cursor = await taskCursor(db, WORKER_TASKS.mail);
      const ids = await notificationsAfter(db, cursor, SWEEP_BATCH, new Date(clock.now().getTime() - timings.mailSettleMs));
      if (!ids.length) return;
      // In Redis, the job is the queue's to run: the cursor says "enqueued up to", moving forward only.
      await enqueueMail(ids);
      await advanceCursor(db, WORKER_TASKS.mail, ids[ids.length - 1]);
      if (ids.length < SWEEP_BATCH) return;
    }
  };

  const processors: Record<JobName, (job: Job<JobData, unknown, JobName>) => Promise<void>> = {
    async deliver(job) {
      const deliveryId = job.data.deliveryId as number;
      await jobs.deliver(deliveryId);
      // A retry the attempt scheduled is enqueued now, delayed until it is due (its own attempt, its own id).
      await enqueueDeliveries([deliveryId]);
    },
    mail: (job) => jobs.mail([job.data.notificationId as number]),
    "alert-scan": () => jobs.scanAlerts(),
    digests: () => jobs.digests(),
    sweep,
  };
  const worker = new Worker<JobData, unknown, JobName>(
    QUEUE_NAME,
    async (job) => {
      const processor = processors[job.name];
      if (!processor) throw new Error(`worker: no processor for job "${job.name}"`);
      await processor(job);
    },
    {
      connection: workerConnection,
      prefix,
      concurrency: timings.concurrency,
      lockDuration: timings.leaseMs,
      stalledInterval: timings.stalledCheckMs,
      // A job that outlives a dying worker twice is still run again; one that kills every worker ends FAILED.
      maxStalledCount: 3,
      name: owner,
    },
  );
  worker.on("failed", (job, error) =>
    logger.error({ err: loggableError(error), job: job?.name, jobId: job?.id, attempt: job?.attemptsMade }, "worker: a job failed"),
  );
  worker.on("error", (error) => logger.warn({ err: loggableError(error) }, "worker: queue error"));

  await ensureTask(db, WORKER_TASKS.mail);
  const scheduled: JobsOptions = { removeOnComplete: true, removeOnFail: true };
  await queue.upsertJobScheduler("alert-scan", { every: settings.alertScanIntervalMs }, { name: "alert-scan", opts: scheduled });
  await queue.upsertJobScheduler("digests", { every: timings.digestCheckMs }, { name: "digests", opts: scheduled });
  await queue.upsertJobScheduler("sweep", { every: timings.sweepMs }, { name: "sweep", opts: scheduled });

  const unsubscribe = enqueueAfterCommits(context.notifications, logger, () => queue);
  // What a previous process left unenqueued, without waiting for the first scheduled sweep.
  void sweep().catch((error) => logger.warn({ err: loggableError(error) }, "worker: the first sweep failed; the scheduled one retries"));

  return {
    mode: "redis",
    owner,
    async stop() {
      unsubscribe();
      // Waits for the jobs in progress; the queue's jobs stay for the other workers.
      await worker.close();
      await queue.close();
      await Promise.all([queueConnection.quit().catch(() => undefined), workerConnection.quit().catch(() => undefined)]);
    },
  };
}

type QueueJobs = Pick<Queue<JobData, unknown, JobName>, "addBulk">;

/**
 * R39 with Redis, the writer's half: after a commit that wrote webhook deliveries (new, due now) or raised an
 * alert (its immediate mail, R38), their jobs go to the queue at once, from the process that committed; the
 * job ids keep each once, and the sweep hands on whatever this misses. Returns the unsubscribe.
 */
function enqueueAfterCommits(notifications: Notifications, logger: Logger, queueOf: () => QueueJobs): () => void {
  return notifications.onWritten((messages, deliveries) => {
    // Only a raised alert can be mailed at once (R38); the sweep hands the rest past the cursor.
    const raised = messages.filter((message) => message.topic === "ALERT_RAISED").map((message) => message.id);
    if (!raised.length && !deliveries.length) return;
    void (async () => {
      const queue = queueOf();
      if (raised.length)
        await queue.addBulk(
          raised.map((notificationId) => ({ name: "mail" as const, data: { notificationId }, opts: { jobId: mailJobId(notificationId) } })),
        );
      if (deliveries.length)
        await queue.addBulk(
          deliveries.map((deliveryId) => ({ name: "deliver" as const, data: { deliveryId }, opts: { jobId: deliveryJobId(deliveryId, 0) } })),
        );
    })().catch((error) => logger.warn({ err: loggableError(error) }, "worker: enqueueing after a commit failed; the sweep enqueues it"));
  });
}

/**
 * A server that runs no worker (WORKER=0) beside `npm run worker` processes on Redis: what its writes make
 * due is enqueued after each commit as a worker's would be (above), so the workers start on it at once instead
 * of at their next sweep (every 30 s). The queue and its Redis connection open at the first such commit.
 */
export function startRedisEnqueuer(options: { redisUrl: string; keyPrefix: string; notifications: Notifications; logger: Logger }): {
  stop(): Promise<void>;
} {
  let opened: { queue: Queue<JobData, unknown, JobName>; connection: Redis } | null = null;
  const queueOf = () => {
    if (!opened) {
      const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
      connection.on("error", () => undefined);
      opened = { queue: openQueue(connection, options.keyPrefix, options.logger, "enqueuer"), connection };
    }
    return opened.queue;
  };
  const unsubscribe = enqueueAfterCommits(options.notifications, options.logger, queueOf);
  return {
    async stop() {
      unsubscribe();
      if (!opened) return;
      await opened.queue.close();
      await opened.connection.quit().catch(() => opened?.connection.disconnect());
    },
  };
}
