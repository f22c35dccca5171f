import { Database } from "./database";
import { createDataSource } from "./data-source";
import { guardDataSource } from "./guard";
import { DatabaseTimeouts, loadDatabaseTimeouts } from "./timeouts";

/**
 * Connects and brings the schema up to date with the migrations (never `synchronize`). The guard
 * (src/db/guard.ts) is on before the first connection: no statement of the service waits on a
 * database that does not answer (R33). `replicaUrls` (`DATABASE_REPLICA_URLS`): see src/db/replicas.ts.
 */
export async function openDatabase(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = loadDatabaseTimeouts(),
  replicaUrls: readonly string[] = [],
): Promise<Database> {
  const dataSource = await createDataSource(databaseUrl, timeouts, replicaUrls);
  guardDataSource(dataSource, timeouts);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: "each" });
  return new Database(dataSource, timeouts);
}
