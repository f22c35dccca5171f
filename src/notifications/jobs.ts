import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../logging";
import { scanAlerts } from "./alert-changes";
import type { WorkerJobs } from "./worker";

/**
 * The jobs the worker runs in this service (R39): the one place they are put together, for the server
 * process (src/app.ts) and `npm run worker` (src/worker-main.ts) alike.
 */
export function serviceJobs(options: { db: Database; clock: Clock; settings: NotificationSettings; logger: Logger }): WorkerJobs {
  const { db, clock, logger } = options;
  return {
    // TODO(webhooks, R37): the delivery attempt (src/notifications/webhooks.ts) — not on this branch yet.
    deliver: async () => undefined,
    // TODO(webhooks, R37): PENDING deliveries with nextAttemptAt <= now, oldest first.
    dueDeliveries: async () => [],
    // TODO(mail, R38): immediate mails for the ALERT_RAISED notifications among these.
    mail: async () => undefined,
    // TODO(mail, R38): the daily digests due at clock.now() (DIGEST_CRON).
    digests: async () => undefined,
    scanAlerts: async () => {
      const { checked, first } = await scanAlerts(db, clock);
      logger.debug({ checked, first }, "worker: alert scan done");
    },
  };
}
