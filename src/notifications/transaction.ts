import type { EntityManager } from "typeorm";
import type { Event } from "../../entities";
import type { NotificationDraft } from "./outbox";

/**
 * What one write transaction leaves for the notifications (SPEC §8): the events it recorded and the
 * Virtual Accounts whose alerts it may have changed. Services note them as they write (the event service,
 * the kept pools, the device service); the database's transaction hooks (src/notifications/index.ts)
 * turn them into outbox rows and alert marks before the commit, and check the alerts after it.
 * Nothing is noted where no hooks opened the transaction (a script writing alone).
 */
export interface TransactionNotes {
  events: Event[];
  touched: Set<number>;
  /** Other notifications for the outbox (the alert changes a check found). */
  drafts: NotificationDraft[];
}

const notes = new WeakMap<EntityManager, TransactionNotes>();

export function openNotes(manager: EntityManager): TransactionNotes {
  const opened: TransactionNotes = { events: [], touched: new Set(), drafts: [] };
  notes.set(manager, opened);
  return opened;
}

export const notesOf = (manager: EntityManager): TransactionNotes | undefined => notes.get(manager);

export function closeNotes(manager: EntityManager): void {
  notes.delete(manager);
}

/** R35: these Virtual Accounts' alerts may have changed in this transaction. */
export function touchVirtualAccounts(manager: EntityManager, virtualAccountIds: Iterable<number | null | undefined>): void {
  const open = notes.get(manager);
  if (!open) return;
  for (const id of virtualAccountIds) if (id != null) open.touched.add(id);
}

/** R35: every event is a notification, in the event's own transaction. */
export function noteEvent(manager: EntityManager, event: Event): void {
  const open = notes.get(manager);
  if (!open) return;
  open.events.push(event);
  if (event.virtualAccountId != null) open.touched.add(event.virtualAccountId);
}

/** Notifications to write to the outbox with this transaction (a check's alert changes). */
export function noteDrafts(manager: EntityManager, drafts: readonly NotificationDraft[]): void {
  const open = notes.get(manager);
  if (!open) throw new Error("noteDrafts outside a transaction the notification hooks opened");
  open.drafts.push(...drafts);
}
