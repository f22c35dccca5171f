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
  /** Resolves once everything committed so far has been published and its alert checks have run (tests wait on it). */
  settled(): Promise<void>;
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
  const after = afterCommits(db, clock, logger, async (messages, deliveries) => {
    await bus.publish(messages).catch((error) => logger.warn({ err: error }, "notifications: publishing failed"));
    for (const listener of written) listener(messages, deliveries);
  });
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
      after.add(messages, deliveries, touched);
    },
  };
  db.useHooks(hooks);
  return {
    bus,
    onWritten(listener) {
      written.add(listener);
      return () => written.delete(listener);
    },
    settled: () => after.settled(),
    async close() {
      db.useHooks(null);
      await after.stop();
      written.clear();
      await bus.close();
    },
  };
}

export type { NotificationBus } from "./bus";
export type { NotificationMessage } from "./data";

/**
 * What follows a commit, off the request's path: publishing what it wrote (R36, and the worker's wake-up),
 * then the alert check of the Virtual Accounts it marked (R35). One loop, started with the service, so its
 * work never runs in a request's async context (its SQLite turn, its statement count) and the request
 * answers without waiting for it. Checks asked for while one runs are merged into the next: a burst of
 * writes into one Virtual Account is compared once. A process that dies first leaves the marks to the scan.
 */
function afterCommits(
  db: Database,
  clock: Clock,
  logger: Logger,
  publish: (messages: readonly NotificationMessage[], deliveries: readonly number[]) => Promise<void>,
) {
  const published: { messages: NotificationMessage[]; deliveries: number[] }[] = [];
  const marked = new Set<number>();
  const waiters = new Set<() => void>();
  let wake: (() => void) | null = null;
  let busy = false;
  let stopped = false;

  async function loop(): Promise<void> {
    while (!stopped || published.length || marked.size) {
      if (!published.length && !marked.size) {
        for (const done of waiters) done();
        waiters.clear();
        if (stopped) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      busy = true;
      try {
        while (published.length) {
          const { messages, deliveries } = published.shift() as (typeof published)[number];
          await publish(messages, deliveries);
        }
        if (marked.size) {
          const ids = [...marked];
          marked.clear();
          await checkMarked(db, clock, ids).catch((error) =>
            logger.warn({ err: error, virtualAccounts: ids.length }, "notifications: alert check failed; the scan will retry it"),
          );
        }
      } finally {
        busy = false;
      }
    }
    for (const done of waiters) done();
    waiters.clear();
  }
  const running = loop();

  return {
    add(messages: NotificationMessage[], deliveries: number[], touched: number[]): void {
      if (messages.length) published.push({ messages, deliveries });
      for (const id of touched) marked.add(id);
      wake?.();
    },
    settled(): Promise<void> {
      if (!published.length && !marked.size && !busy) return Promise.resolve();
      return new Promise((resolve) => waiters.add(resolve));
    },
    async stop(): Promise<void> {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
