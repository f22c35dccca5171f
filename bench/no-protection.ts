/**
 * The API without its operating protections — operation limits and cost analysis (R30), rate-limit
 * budgets (R31), request logging (R32) — to price them (`npm run bench:protection`). Only the benchmark
 * starts it: the service itself has no switch that turns them off.
 */
import "reflect-metadata";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/open";

/** createApp's options plus the bench-only switch (typed here too, so this compiles whether or not app.ts has it yet). */
type Options = Parameters<typeof createApp>[0] & { withoutProtection?: boolean };

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config.databaseUrl);
  const options: Options = { db, config, withoutProtection: true };
  const app = await createApp(options);
  const port = await app.listen(config.port);
  console.warn(`  ⚠  benchmark server WITHOUT operation limits, cost analysis, rate limits and request logging on ${port}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
