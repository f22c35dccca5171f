/**
 * Another copy of the service for the cross-copy tests (R36, §6): the app on DATABASE_URL (already
 * migrated by the test's own server), with the environment's REDIS_URL / REDIS_KEY_PREFIX, on a free port.
 * Prints `listening <port>` once it listens and its bus hears Redis; SIGTERM stops it and exits 0.
 * Run as `node -r @swc-node/register test/support/copy-server.ts`.
 */
import "reflect-metadata";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db/open";
import { createLogger } from "../../src/logging";

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.databaseUrl, config.database);
  const app = await createApp({ db, config, logger: createLogger({ level: process.env.LOG_LEVEL ?? "silent" }) });
  const port = await app.listen(0);
  await app.notifications.bus.ready();
  process.stdout.write(`listening ${port}\n`);
  process.once("SIGTERM", () => {
    void app
      .stop()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`copy-server failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
