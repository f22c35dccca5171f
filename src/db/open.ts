import { Database } from "./database";
import { createDataSource } from "./data-source";

/** Connects and brings the schema up to date with the migrations (never `synchronize`). */
export async function openDatabase(databaseUrl: string): Promise<Database> {
  const dataSource = await createDataSource(databaseUrl);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: "each" });
  return new Database(dataSource);
}
