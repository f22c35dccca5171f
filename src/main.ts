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
  const db = await openDatabase(config.databaseUrl);
  if (config.seedDemo && (await seedDemoIfEmpty(db))) console.log("Seeded the demo data set (see README: Demo users).");
  const app = await createApp({ db, config });
  const port = await app.listen(config.port);
  console.log(`Smart Account graph on http://localhost:${port}/graphql (${db.kind})`);

  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await app.stop();
    await db.dataSource.destroy();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
