import { Notification, WebhookDelivery, WorkerTask } from "../../entities";
import type { Database } from "../db/database";

/**
 * The claims both queues rest on, each one conditional UPDATE whose affected-row count says whether this
 * worker got it: two workers never hold one claim at once, and a claim a dead worker held lapses at its
 * `lease_until`. Lease times are wall-clock (`new Date()`): they measure how long a process may be silent,
 * not the service's clock, which tests may hold still. On SQLite each statement takes the database's turn
 * (src/db/database.ts), so it never runs inside someone else's transaction on the shared connection.
 */

/**
 * The `worker_tasks` rows the worker owns. They are apart from scanAlerts' own `alert-scan` row, whose
 * `lastRunAt` is the clock time the scan reached (its `since`), not when the worker last ran it.
 */
export const WORKER_TASKS = {
  alertScan: "worker:alert-scan",
  digests: "worker:digests",
  /** `cursor`: the last `notifications.id` handed to mail (table queue) or enqueued for it (BullMQ). */
  mail: "worker:mail",
} as const;

const wallClock = (): Date => new Date();
const later = (ms: number): Date => new Date(Date.now() + ms);

/**
 * A delivery's lease, taken only while it is still due (PENDING, next attempt at or before `due`) and
 * nobody holds it: so a worker that read it as due after another had already attempted it gets nothing.
 */
export async function claimDelivery(db: Database, deliveryId: number, due: Date, leaseMs: number): Promise<boolean> {
  const now = wallClock();
  const result = await db.exclusive(() =>
    db.manager
      .createQueryBuilder()
      .update(WebhookDelivery)
      .set({ leaseUntil: later(leaseMs) })
      .where("id = :deliveryId AND status = :pending", { deliveryId, pending: "PENDING" })
      .andWhere("(next_attempt_at IS NULL OR next_attempt_at <= :due)", { due })
      .andWhere("(lease_until IS NULL OR lease_until < :now)", { now })
      .execute(),
  );
  return result.affected === 1;
}

/** Gives the delivery's lease back once the attempt is over, so a retry the attempt scheduled is taken on time. */
export async function releaseDelivery(db: Database, deliveryId: number): Promise<void> {
  await db.exclusive(() =>
    db.manager.createQueryBuilder().update(WebhookDelivery).set({ leaseUntil: null }).where("id = :deliveryId", { deliveryId }).execute(),
  );
}

/** The attempt count of each delivery (BullMQ names a delivery's job after its id and attempt). */
export async function deliveryStates(
  db: Database,
  ids: readonly number[],
): Promise<Map<number, { attempts: number; status: string; nextAttemptAt: Date | null }>> {
  if (!ids.length) return new Map();
  const rows = await db.exclusive(() =>
    db.manager
      .createQueryBuilder(WebhookDelivery, "d")
      .select(["d.id", "d.attempts", "d.status", "d.nextAttemptAt"])
      .where("d.id IN (:...ids)", { ids })
      .getMany(),
  );
  return new Map(rows.map((row) => [row.id, { attempts: row.attempts, status: row.status, nextAttemptAt: row.nextAttemptAt }]));
}

/** The task's row, made on first use (every worker may try at once: only one insert lands). */
export async function ensureTask(db: Database, name: string): Promise<void> {
  await db.exclusive(() =>
    db.manager
      .createQueryBuilder()
      .insert()
      .into(WorkerTask)
      .values({ name, lastRunAt: null, leaseUntil: null, leaseOwner: null, cursor: 0 })
      .orIgnore()
      .execute(),
  );
}

/**
 * Claims a recurring task for `owner`: nobody holds it, and (with `everyMs`) its last run began at least
 * `everyMs` ago. So across all workers it runs once per interval, and never twice at once.
 */
export async function claimTask(db: Database, name: string, owner: string, leaseMs: number, everyMs = 0): Promise<boolean> {
  const now = wallClock();
  const query = db.manager
    .createQueryBuilder()
    .update(WorkerTask)
    .set({ leaseUntil: later(leaseMs), leaseOwner: owner })
    .where("name = :name", { name })
    .andWhere("(lease_until IS NULL OR lease_until < :now)", { now });
  if (everyMs > 0) query.andWhere("(last_run_at IS NULL OR last_run_at <= :due)", { due: new Date(now.getTime() - everyMs) });
  const result = await db.exclusive(() => query.execute());
  return result.affected === 1;
}

/**
 * Ends `owner`'s claim: `lastRunAt` becomes when the run began (the next is due an interval after), and the
 * lease is free. A claim that lapsed and was taken over meanwhile is the new owner's, left alone.
 */
export async function finishTask(db: Database, name: string, owner: string, startedAt: Date): Promise<void> {
  await db.exclusive(() =>
    db.manager
      .createQueryBuilder()
      .update(WorkerTask)
      .set({ lastRunAt: startedAt, leaseUntil: null, leaseOwner: null })
      .where("name = :name AND lease_owner = :owner", { name, owner })
      .execute(),
  );
}

export async function taskCursor(db: Database, name: string): Promise<number> {
  const row = await db.exclusive(() => db.manager.findOneBy(WorkerTask, { name }));
  return row?.cursor ?? 0;
}

/**
 * Moves the cursor forward to `cursor` (never back). With `owner`, only while that owner holds the task,
 * renewing its lease: a worker that lost its claim learns it here (false) and stops.
 */
export async function advanceCursor(
  db: Database,
  name: string,
  cursor: number,
  options: { owner?: string; leaseMs?: number } = {},
): Promise<boolean> {
  const column = db.dataSource.driver.escape("cursor");
  const query = db.manager
    .createQueryBuilder()
    .update(WorkerTask)
    .set(options.owner ? { cursor, leaseUntil: later(options.leaseMs ?? 0) } : { cursor })
    .where("name = :name", { name })
    .andWhere(`${column} < :cursor`, { cursor });
  if (options.owner) query.andWhere("lease_owner = :owner", { owner: options.owner });
  const result = await db.exclusive(() => query.execute());
  return result.affected === 1;
}

/** Notification ids after `cursor`, in order. */
export async function notificationsAfter(db: Database, cursor: number, limit: number, settledBy: Date): Promise<number[]> {
  const rows = await db.exclusive(() =>
    db.manager
      .createQueryBuilder(Notification, "n")
      .select("n.id")
      .where("n.id > :cursor AND n.createdAt <= :settledBy", { cursor, settledBy })
      .orderBy("n.id", "ASC")
      .limit(limit)
      .getMany(),
  );
  return rows.map((row) => row.id);
}
