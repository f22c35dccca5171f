/**
 * `npm run worker`: R39's worker as a process of its own, beside servers started with WORKER=0 (or as many
 * workers as wanted). It reads the same configuration as the server (DATABASE_URL, REDIS_URL, …), runs
 * deliveries, mail, digests and the alert scan until SIGTERM or SIGINT, then finishes the jobs it has
 * begun, closes the pools and exits 0 (R33).
 */
import "reflect-metadata";
import { systemClock } from "./clock";
import { loadConfig } from "./config";
import { openDatabase } from "./db/open";
import { exitOnSignals } from "./shutdown";
import { createLogger } from "./logging";
import { createNotifications } from "./notifications";
import { serviceJobs } from "./notifications/jobs";
import { startWorker } from "./notifications/worker";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const settings = config.notifications;
  const db = await openDatabase(config.databaseUrl, config.database);
  const clock = systemClock;
  // The worker's own writes (the alert scan's changes) are notifications too: published like the server's.
  const notifications = createNotifications({ db, clock, settings, logger });
  const worker = await startWorker({ db, clock, settings, logger, notifications, jobs: serviceJobs({ db, clock, settings, logger }) });
  if (!settings.redisUrl) logger.info({ database: db.kind }, "worker: no REDIS_URL, the database tables are the queue");

  // The worker's timers do not hold the process open (a server's listener does that): this one does, until SIGTERM.
  const alive = setInterval(() => undefined, 60_000);
  exitOnSignals({
    logger,
    deadlineMs: config.shutdownGraceMs + 5000,
    stopping: "finishing the jobs in progress, then closing",
    stop: async () => {
      clearInterval(alive);
      await worker.stop();
      await notifications.close();
      await db.close();
    },
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
