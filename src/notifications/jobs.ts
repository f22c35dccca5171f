import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../logging";
import { scanAlerts } from "./alert-changes";
import { sendDigests } from "./digest";
import { sendImmediateMails } from "./immediate-mail";
import { createMailer } from "./mail";
import { attemptDeliveries, attemptDelivery, dueDeliveries } from "./webhook-delivery";
import type { WorkerJobs } from "./worker";

/**
 * The jobs the worker runs in this service (R39): the one place they are put together, for the server
 * process (src/app.ts) and `npm run worker` (src/worker-main.ts) alike. The mail transport is opened here
 * and closed when the worker stops.
 */
export function serviceJobs(options: { db: Database; clock: Clock; settings: NotificationSettings; logger: Logger }): WorkerJobs {
  const { db, clock, settings, logger } = options;
  const mailer = createMailer(settings, logger);
  return {
    // attemptDelivery claims the delivery itself (a conditional UPDATE of its lease), once across workers.
    deliver: async (deliveryId) => {
      const outcome = await attemptDelivery(db, clock, settings, deliveryId, logger);
      logger.debug({ deliveryId, outcome }, "worker: delivery attempted");
    },
    deliverClaims: true,
    // The table queue's passes: a batch claimed and recorded in a handful of statements (attemptDeliveries).
    deliverBatch: async (deliveryIds, concurrency) => {
      const outcomes = await attemptDeliveries(db, clock, settings, deliveryIds, logger, { concurrency });
      logger.debug({ deliveries: deliveryIds.length, skipped: outcomes.filter((o) => o === "skipped").length }, "worker: deliveries attempted");
    },
    dueDeliveries: (now, limit) => db.exclusive(() => dueDeliveries(db.manager, now, limit)),
    mail: async (notificationIds) => {
      const { sent, failed } = await sendImmediateMails(db, clock, settings, mailer, notificationIds, logger);
      if (sent || failed) logger.info({ sent, failed }, "worker: immediate mail");
    },
    digests: async () => {
      const { sent, failed } = await sendDigests(db, clock, settings, mailer, logger);
      if (sent || failed) logger.info({ sent, failed }, "worker: digests");
    },
    scanAlerts: async () => {
      const { checked, first } = await scanAlerts(db, clock);
      logger.debug({ checked, first }, "worker: alert scan done");
    },
    close: () => mailer.close(),
  };
}
