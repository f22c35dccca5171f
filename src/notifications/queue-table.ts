import { loggableError } from "../logging";
import {
  advanceCursor,
  claimDelivery,
  claimTask,
  ensureTask,
  finishTask,
  notificationsAfter,
  releaseDelivery,
  taskCursor,
  WORKER_TASKS,
} from "./queue-leases";
import type { WorkerContext, WorkerHandle } from "./worker";

const DELIVERY_BATCH = 100;
/** A batch handed to `deliverBatch` is this many rounds of the worker's concurrency. */
const BATCH_ROUNDS = 4;
const MAIL_BATCH = 100;

/**
 * R39 without Redis: the tables are the queue. Every `workerPollMs` (and at once after a commit that wrote
 * notifications) a worker takes due deliveries one lease at a time, and the recurring tasks (alert scan,
 * digests, mail cursor) through their `worker_tasks` lease. Deliveries and tasks run in two lanes, so a slow
 * webhook never holds up the scan. A job that throws keeps its lease until it lapses: that is its backoff.
 */
export function startTableQueue(context: WorkerContext): WorkerHandle {
  const { db, clock, settings, logger, jobs, owner, timings } = context;
  let stopped = false;

  const deliveries = lane(async () => {
    const due = clock.now();
    const ids = await jobs.dueDeliveries(due, DELIVERY_BATCH);
    if (jobs.deliverBatch) {
      // Batches of a few rounds of `concurrency` each, so that a claim's lease covers its batch.
      for (let from = 0; from < ids.length && !stopped; from += BATCH_ROUNDS * timings.concurrency) {
        await jobs
          .deliverBatch(ids.slice(from, from + BATCH_ROUNDS * timings.concurrency), timings.concurrency)
          .catch((error) =>
            logger.error({ err: loggableError(error) }, "worker: a batch of deliveries failed; they run again when their leases lapse"),
          );
      }
      return ids.length === DELIVERY_BATCH;
    }
    let next = 0;
    const runner = async () => {
      while (!stopped && next < ids.length) {
        const id = ids[next++];
        if (jobs.deliverClaims) {
          // The job claims (and gives back) the delivery itself, in its own statements.
          await jobs
            .deliver(id)
            .catch((error) =>
              logger.error({ err: loggableError(error), deliveryId: id }, "worker: a delivery attempt failed; it runs again when its lease lapses"),
            );
          continue;
        }
        if (!(await claimDelivery(db, id, due, timings.leaseMs))) continue;
        try {
          await jobs.deliver(id);
        } catch (error) {
          logger.error({ err: loggableError(error), deliveryId: id }, "worker: a delivery attempt failed; it runs again when its lease lapses");
          continue;
        }
        await releaseDelivery(db, id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(timings.concurrency, ids.length) }, runner));
    // A full batch: more may be due at once.
    return ids.length === DELIVERY_BATCH;
  });

  const tasks = lane(async () => {
    await recurring(WORKER_TASKS.alertScan, settings.alertScanIntervalMs, () => jobs.scanAlerts());
    await recurring(WORKER_TASKS.digests, timings.digestCheckMs, () => jobs.digests());
    await recurring(WORKER_TASKS.mail, 0, mailPastCursor);
    return false;
  });

  const ensured = new Set<string>();
  /** Runs `work` if this worker wins the task's lease (and, with `everyMs`, the interval has passed). */
  async function recurring(name: string, everyMs: number, work: () => Promise<void>): Promise<void> {
    if (stopped) return;
    if (!ensured.has(name)) await ensureTask(db, name).then(() => ensured.add(name));
    const startedAt = new Date();
    if (!(await claimTask(db, name, owner, timings.leaseMs, everyMs))) return;
    try {
      await work();
    } catch (error) {
      logger.error({ err: loggableError(error), task: name }, "worker: a task failed; it runs again when its lease lapses");
      return;
    }
    await finishTask(db, name, owner, startedAt);
  }

  /** Hands the notifications after the cursor to mail, in order, a batch at a time; the cursor follows each batch. */
  async function mailPastCursor(): Promise<void> {
    let cursor = await taskCursor(db, WORKER_TASKS.mail);
    while (!stopped) {
      const ids = await notificationsAfter(db, cursor, MAIL_BATCH, new Date(clock.now().getTime() - timings.mailSettleMs));
      if (!ids.length) return;
      await jobs.mail(ids);
      cursor = ids[ids.length - 1];
      // Lost the lease (this run outlived it): the new holder goes on from the cursor it reads.
      if (!(await advanceCursor(db, WORKER_TASKS.mail, cursor, { owner, leaseMs: timings.leaseMs }))) return;
      if (ids.length < MAIL_BATCH) return;
    }
  }

  /** One loop that runs `pass` when woken, never twice at once; a wake during a pass runs it again after. */
  function lane(pass: () => Promise<boolean>) {
    let running: Promise<void> | null = null;
    let again = false;
    const loop = async () => {
      do {
        again = false;
        try {
          if (await pass()) again = true;
        } catch (error) {
          logger.error({ err: loggableError(error) }, "worker: a pass over the queue failed; it runs again at the next poll");
        }
      } while (again && !stopped);
      running = null;
    };
    return {
      wake() {
        if (stopped) return;
        if (running) again = true;
        else running = loop();
      },
      idle: () => running ?? Promise.resolve(),
    };
  }

  const wake = () => {
    deliveries.wake();
    tasks.wake();
  };
  const timer = setInterval(wake, settings.workerPollMs).unref();
  // After a commit, only what it made due: its deliveries at once, and the mail lane when an alert was
  // raised (immediate mail); the rest waits for the next poll, so a busy API does not drive the worker per write.
  const unsubscribe = context.notifications.onWritten((messages, written) => {
    if (written.length) deliveries.wake();
    if (messages.some((message) => message.topic === "ALERT_RAISED")) tasks.wake();
  });
  wake();
  return {
    mode: "table",
    owner,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await Promise.all([deliveries.idle(), tasks.idle()]);
    },
  };
}
