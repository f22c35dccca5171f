import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database, TransactionHooks } from "../db/database";
import type { Logger } from "../logging";
import { checkMarked, markForCheck } from "./alert-changes";
import { createBus, NotificationBus } from "./bus";
import type { NotificationMessage } from "./data";
import { eventData, NotificationDraft, writeNotifications } from "./outbox";
import { closeNotes, notesOf, openNotes } from "./transaction";

export interface Notifications {
  readonly bus: NotificationBus;
  /** Called after every commit that wrote notifications, with the webhook deliveries it wrote (due now: the worker listens). */
  onWritten(listener: WrittenListener): () => void;
  close(): Promise<void>;
}

export type WrittenListener = (messages: readonly NotificationMessage[], deliveries: readonly number[]) => void;

interface Finished {
  messages: NotificationMessage[];
  deliveries: number[];
  touched: number[];
}

/**
 * SPEC §8's write side, installed on the database as its transaction hooks: before a write commits, its
 * events become EVENT notifications in the outbox (with their webhook deliveries) and the Virtual Accounts
 * it changed are marked for an alert check (R35); after it commits, the check runs (its changes are
 * notifications too, in their own transaction) and everything written is published to the bus (R36).
 * What fails after the commit is logged, never the request's error: the write stands, and the worker's scan
 * finds the marks a failed check left.
 */
export function createNotifications(options: { db: Database; clock: Clock; settings: NotificationSettings; logger: Logger }): Notifications {
  const { db, clock, logger } = options;
  const bus = createBus(options.settings, logger);
  const written = new Set<WrittenListener>();
  const hooks: TransactionHooks = {
    begin: (manager) => void openNotes(manager),
    end: (manager) => closeNotes(manager),
    beforeCommit: async (manager): Promise<Finished> => {
      const notes = notesOf(manager);
      if (!notes) return { messages: [], deliveries: [], touched: [] };
      const now = clock.now();
      const drafts: NotificationDraft[] = [];
      for (const event of notes.events) {
        // Catalog changes belong to no account: nobody subscribes to them.
        if (event.smartAccountId === null) continue;
        drafts.push({
          topic: "EVENT",
          smartAccountId: event.smartAccountId,
          virtualAccountId: event.virtualAccountId,
          eventId: event.id,
          data: { event: eventData(event) },
        });
      }
      drafts.push(...notes.drafts);
      const { messages, deliveries } = await writeNotifications(manager, drafts, now);
      const touched = [...notes.touched];
      if (touched.length) await markForCheck(manager, touched, now);
      return { messages, deliveries, touched };
    },
    afterCommit: async (finished) => {
      const { messages, deliveries, touched } = (finished ?? { messages: [], deliveries: [], touched: [] }) as Finished;
      if (messages.length) {
        // Subscribers and the worker go on after the request has ended: not in its SQLite turn.
        await db.detached(() => bus.publish(messages)).catch((error) => logger.warn({ err: error }, "notifications: publishing failed"));
        db.detached(() => {
          for (const listener of written) listener(messages, deliveries);
        });
      }
      if (touched.length) {
        await checkMarked(db, clock, touched).catch((error) =>
          logger.warn({ err: error, virtualAccounts: touched.length }, "notifications: alert check failed; the scan will retry it"),
        );
      }
    },
  };
  db.useHooks(hooks);
  return {
    bus,
    onWritten(listener) {
      written.add(listener);
      return () => written.delete(listener);
    },
    async close() {
      db.useHooks(null);
      written.clear();
      await bus.close();
    },
  };
}

export type { NotificationBus } from "./bus";
export type { NotificationMessage } from "./data";
