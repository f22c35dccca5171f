import { DataSource, EntityManager, SelectQueryBuilder, ObjectLiteral } from "typeorm";
import { databaseKind, DatabaseKind } from "./data-source";

/**
 * The data source plus the two things that differ between the databases: how write transactions are
 * serialised and how rows are locked. One per process; holds no request state.
 */
export class Database {
  readonly kind: DatabaseKind;
  /** better-sqlite3 shares one connection, so concurrent transactions would nest: run them one at a time. */
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {
    this.kind = databaseKind(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** Runs `work` in one transaction: all of it commits, or none of it (R3, R29). */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === "mysql") return this.dataSource.transaction(work);
    const run = this.sqliteQueue.then(() => this.dataSource.transaction(work));
    this.sqliteQueue = run.catch(() => undefined);
    return run;
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
