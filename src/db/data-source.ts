import fs from "node:fs";
import path from "node:path";
import mysql from "mysql2/promise";
import { DataSource, DataSourceOptions } from "typeorm";
import { ENTITIES } from "../../entities";
import { MIGRATIONS } from "./migrations";
import { SnakeNamingStrategy } from "./naming";
import { CountingLogger } from "./query-stats";
import { DatabaseTimeouts, loadDatabaseTimeouts } from "./timeouts";

export type DatabaseKind = "sqlite" | "mysql";

/**
 * Builds the TypeORM data source for a database URL: `mysql://user:pass@host:port/db` (MySQL 8,
 * MariaDB 10.11+) or `sqlite:<file>` / `sqlite::memory:`. Never `synchronize`: the schema is the migrations'.
 */
export async function createDataSource(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = loadDatabaseTimeouts(),
  replicaUrls: readonly string[] = [],
): Promise<DataSource> {
  const options = dataSourceOptions(databaseUrl, timeouts, replicaUrls);
  // TypeORM reads MariaDB's catalog differently from MySQL's; ask the server which one it is.
  if (options.type === "mysql" && (await isMariaDb(databaseUrl, timeouts))) {
    return new DataSource({ ...options, type: "mariadb" } as DataSourceOptions);
  }
  return new DataSource(options);
}

async function isMariaDb(databaseUrl: string, timeouts: DatabaseTimeouts): Promise<boolean> {
  const connection = await mysql.createConnection({ uri: databaseUrl.replace(/^mariadb:/, "mysql:"), connectTimeout: timeouts.connectMs });
  try {
    const [rows] = await connection.query("SELECT VERSION() AS version");
    return /mariadb/i.test(String((rows as { version: string }[])[0]?.version));
  } finally {
    await connection.end();
  }
}

/**
 * `replicaUrls` (`DATABASE_REPLICA_URLS`, MySQL/MariaDB only): TypeORM's replication, the primary being
 * `databaseUrl`; every statement goes to the primary unless src/db/replicas.ts routes a read to a replica.
 */
export function dataSourceOptions(
  databaseUrl: string,
  timeouts: DatabaseTimeouts = loadDatabaseTimeouts(),
  replicaUrls: readonly string[] = [],
): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    logger: new CountingLogger(),
    logging: ["query", "error"] as ("query" | "error")[],
    maxQueryExecutionTime: 2000,
  };
  if (/^mysql:\/\//.test(databaseUrl) || /^mariadb:\/\//.test(databaseUrl)) {
    const url = databaseUrl.replace(/^mariadb:/, "mysql:");
    return {
      ...common,
      type: "mysql",
      ...(replicaUrls.length
        ? {
            replication: {
              master: { url },
              slaves: replicaUrls.map((replica) => ({ url: replica.replace(/^mariadb:/, "mysql:") })),
              // Nothing reads from a replica unless routed there (src/db/replicas.ts); a replica that fails
              // is left out for a second, then tried again (mysql2's default would drop it for good).
              defaultMode: "master" as const,
              restoreNodeTimeout: 1000,
            },
          }
        : { url }),
      timezone: "Z",
      charset: "utf8mb4_unicode_ci",
      supportBigNumbers: true,
      bigNumberStrings: false,
      // R33: a connection's TCP connect and handshake; statements and waits for the pool: src/db/guard.ts.
      connectTimeout: timeouts.connectMs,
      extra: { connectionLimit: Number(process.env.DB_POOL_SIZE ?? 10) },
    };
  }
  if (databaseUrl.startsWith("sqlite:")) {
    if (replicaUrls.length) throw new Error("DATABASE_REPLICA_URLS needs a mysql:// DATABASE_URL: SQLite has no replicas.");
    const file = databaseUrl.slice("sqlite:".length);
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return {
      ...common,
      type: "better-sqlite3",
      database: file,
      // WAL lets readers run beside the writer; foreign keys are off by default in SQLite.
      prepareDatabase: (db: { pragma(sql: string): unknown }) => {
        db.pragma("journal_mode = WAL");
        db.pragma("foreign_keys = ON");
        db.pragma("busy_timeout = 5000");
      },
    };
  }
  throw new Error(`DATABASE_URL must start with mysql:// or sqlite: (got "${databaseUrl.split(":")[0]}:…")`);
}

export const databaseKind = (dataSource: DataSource): DatabaseKind =>
  dataSource.options.type === "mysql" || dataSource.options.type === "mariadb" ? "mysql" : "sqlite";
