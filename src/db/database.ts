import { AsyncLocalStorage } from "node:async_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { PoolConnection } from "mysql2";
import { DataSource, EntityManager, SelectQueryBuilder, ObjectLiteral } from "typeorm";
import type { MysqlDriver } from "typeorm/driver/mysql/MysqlDriver";
import { ServiceUnavailableError } from "../errors";
import { databaseKind, DatabaseKind } from "./data-source";
import { asDomainFault, retryableTransactionError } from "./faults";
import { DatabaseGuard, guardOf } from "./guard";
import { DEFAULT_TIMEOUTS, DatabaseTimeouts } from "./timeouts";
import { AbandonedError, Turn, TurnQueue } from "./turns";

/**
 * What every write transaction does besides its own work: `begin` as it opens, `beforeCommit` once its work
 * is done (in the transaction: what it returns is handed to `afterCommit`), `end` whatever happened, and
 * `afterCommit` once it has committed (never for a transaction that rolled back or was retried away).
 */
export interface TransactionHooks {
  begin(manager: EntityManager): void;
  beforeCommit(manager: EntityManager): Promise<unknown>;
  end(manager: EntityManager): void;
  afterCommit(finished: unknown): Promise<void>;
}

/**
 * The data source plus the two things that differ between the databases: how write transactions are
 * serialised and how rows are locked. One per process; holds no request state.
 */
export class Database {
  readonly kind: DatabaseKind;
  /**
   * better-sqlite3 shares one connection: concurrent transactions would nest, and another request's
   * reads would see a transaction's uncommitted rows. So on SQLite, work holding `exclusive` runs one
   * at a time, in turns (src/db/turns.ts). The driver is synchronous, so this costs little; re-entrant
   * within one async context.
   */
  private readonly turns = new TurnQueue();
  private readonly holder = new AsyncLocalStorage<Turn>();
  private readonly guard: DatabaseGuard | undefined;
  private hooks: TransactionHooks | null = null;

  constructor(
    readonly dataSource: DataSource,
    readonly timeouts: DatabaseTimeouts = DEFAULT_TIMEOUTS,
  ) {
    this.kind = databaseKind(dataSource);
    this.guard = guardOf(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** What every write transaction also does (the notifications' outbox, SPEC §8); one set per process. */
  useHooks(hooks: TransactionHooks | null): void {
    this.hooks = hooks;
  }

  /**
   * Runs `work` in one transaction: all of it commits, or none of it (R3, R29). On MySQL/MariaDB a
   * deadlock, a lock-wait timeout or a Galera certification conflict runs the whole of `work` again, up
   * to `DB_TRANSACTION_RETRIES` times with jittered backoff (R33): `work` must read what it decides on
   * inside the transaction and keep no state outside it, as every service does.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const hooks = this.hooks;
    if (!hooks) return this.transactionOnce(work);
    let finished: unknown;
    const result = await this.transactionOnce(async (manager) => {
      hooks.begin(manager);
      try {
        const value = await work(manager);
        finished = await hooks.beforeCommit(manager);
        return value;
      } finally {
        hooks.end(manager);
      }
    });
    await hooks.afterCommit(finished);
    return result;
  }

  /**
   * Runs `work`, one statement that stands alone (a conditional UPDATE, say), without a transaction around
   * it: no BEGIN or COMMIT, and none of the write hooks (it must write no events). On SQLite in its own
   * turn; on MySQL/MariaDB rerun on a deadlock, lock-wait timeout or certification conflict as a
   * transaction is (R33).
   */
  async autocommit<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind !== "mysql") return this.exclusive(() => work(this.manager));
    return this.retried(() => work(this.manager));
  }

  private async transactionOnce<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind !== "mysql") return this.exclusive(() => this.dataSource.transaction(work));
    return this.retried(() => this.dataSource.transaction(work));
  }

  private async retried<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await run();
      } catch (error) {
        if (!retryableTransactionError(error)) throw error;
        if (attempt >= this.timeouts.transactionRetries) {
          throw Object.assign(new ServiceUnavailableError("The database is too busy to complete this change; try again shortly."), { cause: error });
        }
        // 20, 40, 80, 160, then 320 ms each time, each between half and one and a half of that, so that the two
        // sides of a deadlock part; all eight default retries wait about 1.6 s in all.
        await sleep(20 * 2 ** Math.min(attempt, 4) * (0.5 + Math.random()));
      }
    }
  }

  /**
   * On SQLite, runs `work` alone (see `turns`): it waits for its turn at most `DB_QUEUE_TIMEOUT_MS`
   * (then SERVICE_UNAVAILABLE), and not at all once `signal` aborts (its client has gone). A turn whose
   * signal aborts while it runs ends as soon as the transaction it is in ends; its later work is refused.
   * On MySQL, just runs it.
   */
  async exclusive<T>(work: () => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    if (this.kind === "mysql") return work();
    const held = this.holder.getStore();
    if (held) return held.within(work);
    const { signal } = options;
    const turn = await this.turns.take(signal, this.timeouts.queueMs);
    if (signal?.aborted) {
      turn.close(true);
      throw new AbandonedError();
    }
    const abandon = () => turn.close(true);
    signal?.addEventListener("abort", abandon, { once: true });
    try {
      return await this.holder.run(turn, work);
    } finally {
      signal?.removeEventListener("abort", abandon);
      turn.close(false);
    }
  }

  /**
   * A fixed statement that every request runs (authentication): on MySQL/MariaDB a server-side
   * prepared statement, parsed once per connection and answered in the binary protocol; on SQLite
   * through TypeORM, whose driver keeps its statements prepared already. Counted like any other.
   */
  async prepared(sql: string, params: (string | number | null)[]): Promise<Record<string, unknown>[]> {
    if (this.kind !== "mysql") return this.dataSource.query(sql, params);
    const { logger } = this.dataSource;
    logger.logQuery(sql, params);
    let connection: PoolConnection;
    try {
      connection = await (this.dataSource.driver as MysqlDriver).obtainMasterConnection();
    } catch (error) {
      logger.logQueryError(error as Error, sql, params);
      throw asDomainFault(error);
    }
    try {
      return await new Promise((resolve, reject) =>
        connection.execute(sql, params, (error, rows) => (error ? reject(error) : resolve(rows as Record<string, unknown>[]))),
      );
    } catch (error) {
      logger.logQueryError(error as Error, sql, params);
      throw asDomainFault(error);
    } finally {
      connection.release();
    }
  }

  /** `/readyz`: whether the database answers now (on MySQL/MariaDB within `DB_PROBE_TIMEOUT_MS`). */
  async ready(): Promise<boolean> {
    if (this.guard) return this.guard.ready();
    try {
      await this.dataSource.query("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the pools (R33 shutdown); a database that does not answer is not waited for past `probeTimeoutMs`. */
  async close(): Promise<void> {
    if (!this.dataSource.isInitialized) return;
    const waited = new AbortController();
    await Promise.race([
      this.dataSource.destroy(),
      sleep(Math.max(this.timeouts.probeTimeoutMs, 1000), undefined, { signal: waited.signal }).catch(() => undefined),
    ]);
    waited.abort();
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
