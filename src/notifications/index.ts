import { AsyncResource } from "node:async_hooks";
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
      const committedAt = new Date().toISOString();
      for (const message of messages) message.committedAt = committedAt;
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
 * What follows a commit, off the request's path: publishing what it wrote (R36, and the worker's wake-up)
 * and the alert check of the Virtual Accounts it marked (R35). Two lanes, started with the service, so
 * their work never runs in a request's async context (its SQLite turn, its statement count) and the
 * request answers without waiting for them. Publishing goes in commit order and never waits behind a check
 * (a check reads alerts over whole Virtual Accounts: tens of milliseconds a subscriber would otherwise wait);
 * checks asked for while one runs are merged into the next, so a burst of writes into one Virtual Account is
 * compared once, and what a check records is published by the first lane after its own commit. A process
 * that dies first leaves the marks to the scan.
 */
function afterCommits(
  db: Database,
  clock: Clock,
  logger: Logger,
  publish: (messages: readonly NotificationMessage[], deliveries: readonly number[]) => Promise<void>,
) {
  const published: { messages: NotificationMessage[]; deliveries: number[] }[] = [];
  const marked = new Set<number>();
  const publishing = lane(
    () => published.length > 0,
    async () => {
      while (published.length) {
        const { messages, deliveries } = published.shift() as (typeof published)[number];
        await publish(messages, deliveries);
      }
    },
    logger,
  );
  const checking = lane(
    () => marked.size > 0,
    async () => {
      const ids = [...marked];
      marked.clear();
      await checkMarked(db, clock, ids).catch((error) =>
        logger.warn({ err: error, virtualAccounts: ids.length }, "notifications: alert check failed; the scan will retry it"),
      );
    },
    logger,
  );

  return {
    add(messages: NotificationMessage[], deliveries: number[], touched: number[]): void {
      if (messages.length) {
        published.push({ messages, deliveries });
        publishing.wake();
      }
      if (touched.length) {
        for (const id of touched) marked.add(id);
        checking.wake();
      }
    },
    /** Both lanes idle: a check's own commit queues a publish, so this waits until neither has work. */
    async settled(): Promise<void> {
      while (publishing.busy() || checking.busy()) await Promise.all([publishing.idle(), checking.idle()]);
    },
    /** Drains both lanes (the service's hooks are off by now: nothing new comes). */
    async stop(): Promise<void> {
      await Promise.all([publishing.drain(), checking.drain()]);
      // A check's commit may have queued a publish after the first lane went idle.
      await publishing.drain();
    },
  };
}

/**
 * A loop that runs `work` while `pending()` holds, one pass at a time, started by `wake`. A pass that
 * throws is logged and the loop goes on (each pass takes its work off `pending` before it runs it).
 */
function lane(pending: () => boolean, work: () => Promise<void>, logger: Logger) {
  let running: Promise<void> | null = null;
  // Bound to the context the lane was made in (the service's start): woken from a commit hook, its work
  // still runs outside that request's async context (its SQLite turn, its statement count).
  const run = AsyncResource.bind(async () => {
    try {
      while (pending()) await work().catch((error) => logger.warn({ err: error }, "notifications: after-commit work failed"));
    } finally {
      running = null;
    }
  });
  const wake = () => {
    if (!running) running = run();
  };
  return {
    wake,
    busy: () => running !== null || pending(),
    idle: () => running ?? Promise.resolve(),
    /** Runs what is pending and waits for it. */
    async drain(): Promise<void> {
      if (pending()) wake();
      await (running ?? Promise.resolve());
    },
  };
}
