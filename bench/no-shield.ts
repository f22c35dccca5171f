/**
 * The API without its shield layer, to price authorization (issue #5). Only the benchmark starts it: the
 * service itself has no switch that turns authorization off.
 */
import "reflect-metadata";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/open";

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.databaseUrl);
  const app = await createApp({ db, config, withoutShield: true });
  const port = await app.listen(config.port);
  console.warn(`  ⚠  benchmark server WITHOUT the authorization layer on ${port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
