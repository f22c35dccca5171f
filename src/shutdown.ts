import type { Logger } from "./logging";
import { loggableError } from "./logging";

/**
 * R33 for a process: on SIGTERM or SIGINT (once), `stop` runs and the process exits 0, or 1 if it failed;
 * whatever hangs (a pool on a database that never answers), the process still ends after `deadlineMs`.
 */
export function exitOnSignals(options: { logger: Logger; deadlineMs: number; stopping: string; stop: () => Promise<void> }): void {
  const { logger } = options;
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal}: ${options.stopping}`);
    setTimeout(() => {
      logger.error(`${signal}: shutdown did not complete in time; exiting`);
      process.exit(1);
    }, options.deadlineMs).unref();
    options.stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: loggableError(error) }, `${signal}: shutdown failed`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}
