import { EntityManager } from "typeorm";
import { AlertState, WorkerTask } from "../../entities";
import type { Clock } from "../clock";
import type { Database } from "../db/database";
import { runSql, sql } from "../db/sql";
import { loadAlerts } from "../licenses/alert-rows";
import { Alert, alertKey, NOT_REPORTING_DAYS } from "../licenses/alerts";
import { ALERT_WINDOW_DAYS, DAY_MS } from "../licenses/expiry";
import type { AlertData } from "./data";
import { NotificationDraft } from "./outbox";
import { noteDrafts } from "./transaction";

/** How many Virtual Accounts one check compares in one transaction. */
const BATCH = 200;

const isSqlite = (manager: EntityManager) => manager.connection.driver.options.type === "better-sqlite3";

/**
 * R35: marks Virtual Accounts whose alerts must be compared with what was recorded, in the caller's
 * transaction (the write that may have changed them), in id order: one more `marks` each. An upsert that
 * takes the row's exclusive lock at once (never INSERT IGNORE's shared lock, which two writers waiting
 * for a check would both hold and then deadlock on).
 */
export async function markForCheck(manager: EntityManager, virtualAccountIds: Iterable<number>, now: Date): Promise<void> {
  const ids = [...new Set(virtualAccountIds)].sort((a, b) => a - b);
  if (!ids.length) return;
  const values = sql.join(
    ids.map((id) => sql`(${id}, 1, 0, ${now})`),
    ", ",
  );
  const onExisting = isSqlite(manager)
    ? sql`ON CONFLICT (virtual_account_id) DO UPDATE SET marks = alert_checks.marks + 1, marked_at = excluded.marked_at`
    : sql`ON DUPLICATE KEY UPDATE marks = marks + 1, marked_at = VALUES(marked_at)`;
  await runSql(manager, sql`INSERT INTO alert_checks (virtual_account_id, marks, checked, marked_at) VALUES ${values} ${onExisting}`);
}

const alertData = (alert: Alert): AlertData => ({
  key: alertKey(alert),
  type: alert.type,
  severity: alert.severity,
  message: alert.message,
  virtualAccountId: alert.virtualAccountId,
  productId: alert.productId,
  lotId: alert.lotId ?? null,
  productInstanceId: alert.productInstanceId,
  orderId: alert.orderId ?? null,
  quantity: alert.quantity,
  dueAt: alert.dueAt?.toISOString() ?? null,
});

const stateData = (state: AlertState): AlertData => ({
  key: state.alertKey,
  type: state.type,
  severity: state.severity as AlertData["severity"],
  message: state.message,
  virtualAccountId: state.virtualAccountId,
  productId: state.productId,
  lotId: state.lotId,
  productInstanceId: state.productInstanceId,
  orderId: state.orderId,
  quantity: state.quantity,
  dueAt: state.dueAt?.toISOString() ?? null,
});

/**
 * R35, in the caller's transaction: compares the alerts of the marked Virtual Accounts among `ids` as they
 * are now with those recorded, records the difference, and returns one ALERT_RAISED or ALERT_CLEARED draft
 * per alert that changed (none when `silent`: the first scan records what is there without telling).
 * The marks are locked first (MySQL), so two checks of one Virtual Account take turns, and the later one,
 * reading after the earlier committed, finds nothing left to tell: each change is told once.
 */
export async function compareAlerts(
  manager: EntityManager,
  ids: readonly number[],
  now: Date,
  options: { silent?: boolean; marked?: boolean } = {},
): Promise<NotificationDraft[]> {
  let vaIds = [...new Set(ids)].sort((a, b) => a - b);
  if (!vaIds.length) return [];
  if (options.marked !== false) {
    const lock = isSqlite(manager) ? sql.empty : sql` FOR UPDATE`;
    const marked = await runSql<{ virtual_account_id: unknown; marks: unknown; checked: unknown }>(
      manager,
      sql`SELECT virtual_account_id, marks, checked FROM alert_checks WHERE ${sql.in(sql`virtual_account_id`, vaIds)} ORDER BY virtual_account_id${lock}`,
    );
    vaIds = marked.filter((row) => Number(row.marks) > Number(row.checked)).map((row) => Number(row.virtual_account_id));
    if (!vaIds.length) return [];
  }
  const current = new Map<string, Alert>();
  const byVirtualAccount = await loadAlerts(manager, { where: sql.in(sql`va.id`, vaIds), partition: "id" }, now);
  for (const alerts of byVirtualAccount.values()) for (const alert of alerts) current.set(`${alert.virtualAccountId}|${alertKey(alert)}`, alert);
  const recorded = await manager.getRepository(AlertState).createQueryBuilder("s").where("s.virtualAccountId IN (:...vaIds)", { vaIds }).getMany();
  const drafts: NotificationDraft[] = [];
  const seen = new Set<string>();
  for (const state of recorded) {
    const id = `${state.virtualAccountId}|${state.alertKey}`;
    const alert = current.get(id);
    if (!alert) {
      await manager.delete(AlertState, { virtualAccountId: state.virtualAccountId, alertKey: state.alertKey });
      drafts.push({
        topic: "ALERT_CLEARED",
        smartAccountId: state.smartAccountId,
        virtualAccountId: state.virtualAccountId,
        data: { alert: stateData(state) },
      });
      continue;
    }
    seen.add(id);
    const message = alert.message;
    const dueAt = alert.dueAt?.getTime() ?? null;
    if (state.quantity !== alert.quantity || state.message !== message || (state.dueAt?.getTime() ?? null) !== dueAt) {
      await manager.update(
        AlertState,
        { virtualAccountId: state.virtualAccountId, alertKey: state.alertKey },
        { quantity: alert.quantity, message, dueAt: alert.dueAt },
      );
    }
  }
  const raised: AlertState[] = [];
  for (const [id, alert] of current) {
    if (seen.has(id)) continue;
    const smartAccountId = (alert.virtualAccount as { smartAccountId: number }).smartAccountId;
    raised.push(
      Object.assign(new AlertState(), {
        virtualAccountId: alert.virtualAccountId,
        alertKey: alertKey(alert),
        smartAccountId,
        type: alert.type,
        severity: alert.severity,
        productId: alert.productId,
        lotId: alert.lotId ?? null,
        productInstanceId: alert.productInstanceId,
        orderId: alert.orderId ?? null,
        quantity: alert.quantity,
        dueAt: alert.dueAt,
        message: alert.message,
        raisedAt: now,
      }),
    );
    drafts.push({ topic: "ALERT_RAISED", smartAccountId, virtualAccountId: alert.virtualAccountId, data: { alert: alertData(alert) } });
  }
  for (let start = 0; start < raised.length; start += 100) await manager.insert(AlertState, raised.slice(start, start + 100));
  // Every mark seen is answered (the rows are locked: no write added one since they were read).
  await runSql(manager, sql`UPDATE alert_checks SET checked = marks WHERE ${sql.in(sql`virtual_account_id`, vaIds)}`);
  return options.silent ? [] : drafts;
}

/** Virtual Accounts marked for a check (what a write left, or a process that died before checking). */
export async function markedVirtualAccounts(manager: EntityManager, limit = 10_000): Promise<number[]> {
  const rows = await runSql<{ virtual_account_id: unknown }>(
    manager,
    sql`SELECT virtual_account_id FROM alert_checks WHERE marks > checked ORDER BY virtual_account_id LIMIT ${limit}`,
  );
  return rows.map((row) => Number(row.virtual_account_id));
}

/**
 * R35's clock: the Virtual Accounts where time alone may have raised or cleared an alert between `since`
 * and `now`: a lot entered its last 90 days, ended (its pool shrank too), or left the 90 days after its end,
 * a lot began, or a device went silent. With no `since` (the first scan): every Virtual Account.
 */
export async function clockTouched(manager: EntityManager, since: Date | null, now: Date): Promise<number[]> {
  if (!since) {
    const rows = await runSql<{ id: unknown }>(manager, sql`SELECT id FROM virtual_accounts ORDER BY id`);
    return rows.map((row) => Number(row.id));
  }
  const window = ALERT_WINDOW_DAYS * DAY_MS;
  const shift = (date: Date, ms: number) => new Date(date.getTime() + ms);
  const between = (column: ReturnType<typeof sql>, from: Date, to: Date) => sql`(${column} > ${from} AND ${column} <= ${to})`;
  const ends = sql`l.ends_at`;
  const silentMs = NOT_REPORTING_DAYS * DAY_MS;
  const rows = await runSql<{ id: unknown }>(
    manager,
    sql`SELECT DISTINCT l.virtual_account_id AS id FROM licenses l
         WHERE ${between(ends, shift(since, window), shift(now, window))} OR ${between(ends, since, now)}
            OR ${between(ends, shift(since, -window), shift(now, -window))} OR ${between(sql`l.starts_at`, since, now)}
        UNION
        SELECT DISTINCT d.virtual_account_id FROM product_instances d
         WHERE ${between(sql`COALESCE(d.last_reported_at, d.registered_at)`, shift(since, -silentMs), shift(now, -silentMs))}`,
  );
  return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

/** The hooks' half that needs the database again: checks `ids` in batches, each in its own transaction. */
export async function checkMarked(db: Database, clock: Clock, ids: readonly number[], options: { silent?: boolean } = {}): Promise<void> {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  for (let start = 0; start < sorted.length; start += BATCH) {
    const batch = sorted.slice(start, start + BATCH);
    await db.transaction(async (manager) => {
      noteDrafts(manager, await compareAlerts(manager, batch, clock.now(), options));
    });
  }
}

/**
 * R35's clock-driven check (the worker runs it every ALERT_SCAN_INTERVAL_S): marks the Virtual Accounts
 * time may have changed since the last scan, then checks them and any marks a write left unchecked (a
 * process that died between its commit and its check). The first scan records the alerts already there
 * without notifications.
 */
export async function scanAlerts(db: Database, clock: Clock): Promise<{ checked: number; first: boolean }> {
  const now = clock.now();
  const task = await db.manager.findOneBy(WorkerTask, { name: ALERT_SCAN_TASK });
  const since = task?.lastRunAt ?? null;
  const first = since === null;
  const touched = since && since.getTime() >= now.getTime() ? [] : await clockTouched(db.manager, since, now);
  for (let start = 0; start < touched.length; start += 1000) {
    const batch = touched.slice(start, start + 1000);
    await db.transaction((manager) => markForCheck(manager, batch, now));
  }
  const ids = [...new Set([...touched, ...(await markedVirtualAccounts(db.manager))])];
  await checkMarked(db, clock, ids, { silent: first });
  await db.transaction(async (manager) => {
    const row = await manager.findOneBy(WorkerTask, { name: ALERT_SCAN_TASK });
    if (row) await manager.update(WorkerTask, { name: ALERT_SCAN_TASK }, { lastRunAt: now });
    else await manager.insert(WorkerTask, { name: ALERT_SCAN_TASK, lastRunAt: now, cursor: 0, leaseUntil: null, leaseOwner: null });
  });
  return { checked: ids.length, first };
}

export const ALERT_SCAN_TASK = "alert-scan";
