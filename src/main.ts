import "reflect-metadata";
import { createApp } from "./app";
import { loadConfig, usesDevSecret } from "./config";
import { openDatabase } from "./db/open";
import { seedDemoIfEmpty } from "./db/seed/demo";

async function main(): Promise<void> {
  const config = loadConfig();
  if (usesDevSecret(config)) {
    console.warn(
      "\n  ⚠  JWT_SECRET is not set: using the built-in DEVELOPMENT secret. Anyone can mint tokens for this server.\n" +
        "     Set JWT_SECRET (or JWT_JWKS_URL) before exposing it; NODE_ENV=production refuses to start without one.\n",
    );
  }
  const db = await openDatabase(config.databaseUrl, config.database);
  if (config.seedDemo && (await seedDemoIfEmpty(db))) console.log("Seeded the demo data set (see README: Demo users).");
  const app = await createApp({ db, config });
  const port = await app.listen(config.port);
  console.log(`Smart Account graph on http://localhost:${port}/graphql (${db.kind})`);

  /**
   * R33: /readyz fails at once (for SHUTDOWN_READINESS_DELAY_MS the listener still accepts, so that a
   * load balancer sees it), the listener closes, in-flight requests and streamed exports get
   * SHUTDOWN_GRACE_MS to finish (then their sockets are closed), the pools close, exit 0.
   */
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`${signal}: draining for up to ${config.shutdownGraceMs} ms, then closing the database pools`);
    // Whatever hangs (a pool on a database that never answers), the process still ends.
    setTimeout(() => {
      console.error(`${signal}: shutdown did not complete in time; exiting`);
      process.exit(1);
    }, config.shutdownReadinessDelayMs + config.shutdownGraceMs + 5000).unref();
    void (async () => {
      await app.stop({ readinessDelayMs: config.shutdownReadinessDelayMs });
      await db.close();
    })().then(
      () => process.exit(0),
      (error) => {
        console.error(`${signal}: shutdown failed:`, error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
