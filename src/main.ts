import "reflect-metadata";
import { createApp } from "./app";
import { loadConfig, usesDevSecret } from "./config";
import { openDatabase } from "./db/open";
import { seedDemoIfEmpty } from "./db/seed/demo";
import { exitOnSignals } from "./shutdown";
import { createLogger } from "./logging";

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  if (usesDevSecret(config)) {
    logger.warn(
      "JWT_SECRET is not set: using the built-in DEVELOPMENT secret, so anyone can mint tokens for this server. Set JWT_SECRET (or JWT_JWKS_URL) before exposing it; NODE_ENV=production refuses to start without one.",
    );
  }
  const db = await openDatabase(config.databaseUrl, config.database, config.replicas.urls);
  if (config.seedDemo && (await seedDemoIfEmpty(db))) logger.info("Seeded the demo data set (see README: Demo users).");
  const app = await createApp({ db, config, logger });
  const port = await app.listen(config.port);
  logger.info({ port, database: db.kind, production: config.production }, `Smart Account graph on http://localhost:${port}/graphql`);

  /**
   * R33: /readyz fails at once (for SHUTDOWN_READINESS_DELAY_MS the listener still accepts, so that a
   * load balancer sees it), the listener closes, in-flight requests and streamed exports get
   * SHUTDOWN_GRACE_MS to finish (then their sockets are closed), the pools close, exit 0.
   */
  exitOnSignals({
    logger,
    deadlineMs: config.shutdownReadinessDelayMs + config.shutdownGraceMs + 5000,
    stopping: `draining for up to ${config.shutdownGraceMs} ms, then closing the database pools`,
    stop: async () => {
      await app.stop({ readinessDelayMs: config.shutdownReadinessDelayMs });
      await db.close();
    },
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
