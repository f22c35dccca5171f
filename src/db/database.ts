import { AsyncLocalStorage } from "node:async_hooks";
import type { Pool as MysqlPool } from "mysql2";
import { DataSource, EntityManager, SelectQueryBuilder, ObjectLiteral } from "typeorm";
import type { MysqlDriver } from "typeorm/driver/mysql/MysqlDriver";
import { databaseKind, DatabaseKind } from "./data-source";

/**
 * The data source plus the two things that differ between the databases: how write transactions are
 * serialised and how rows are locked. One per process; holds no request state.
 */
export class Database {
  readonly kind: DatabaseKind;
  /**
   * better-sqlite3 shares one connection: concurrent transactions would nest, and another request's
   * reads would see a transaction's uncommitted rows. So on SQLite, work holding `exclusive` runs one
   * at a time. The driver is synchronous, so this costs little; re-entrant within one async context.
   */
  private sqliteQueue: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<true>();

  constructor(readonly dataSource: DataSource) {
    this.kind = databaseKind(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** Runs `work` in one transaction: all of it commits, or none of it (R3, R29). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === "mysql") return this.dataSource.transaction(work);
    return this.exclusive(() => this.dataSource.transaction(work));
  }

  /** On SQLite, runs `work` alone (see `sqliteQueue`); on MySQL, just runs it. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.kind === "mysql" || this.holder.getStore()) return work();
    const run = this.sqliteQueue.then(() => this.holder.run(true, work));
    this.sqliteQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * A fixed statement that every request runs (authentication): on MySQL/MariaDB a server-side
   * prepared statement, parsed once per connection and answered in the binary protocol; on SQLite
   * through TypeORM, whose driver keeps its statements prepared already. Counted like any other.
   */
  prepared(sql: string, params: (string | number | null)[]): Promise<Record<string, unknown>[]> {
    if (this.kind !== "mysql") return this.dataSource.query(sql, params);
    const { logger } = this.dataSource;
    logger.logQuery(sql, params);
    const pool = (this.dataSource.driver as MysqlDriver).pool as MysqlPool;
    return new Promise((resolve, reject) =>
      pool.execute(sql, params, (error, rows) => {
        if (!error) return resolve(rows as Record<string, unknown>[]);
        logger.logQueryError(error, sql, params);
        reject(error);
      }),
    );
  }

  /** `SELECT … FOR UPDATE` where the database has it; SQLite's single writer already serialises. */
  forUpdate<T extends ObjectLiteral>(query: SelectQueryBuilder<T>): SelectQueryBuilder<T> {
    return this.kind === "mysql" ? query.setLock("pessimistic_write") : query;
  }

  /** The SQL that sets the literal ' FOR UPDATE' suffix for hand-written statements. */
  get forUpdateSql(): string {
    return this.kind === "mysql" ? " FOR UPDATE" : "";
  }
}
