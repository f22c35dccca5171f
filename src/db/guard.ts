import mysql from "mysql2";
import { DataSource, QueryRunner } from "typeorm";
import type { MysqlDriver } from "typeorm/driver/mysql/MysqlDriver";
import { asDomainFault, faultError } from "./faults";
import { DatabaseTimeouts } from "./timeouts";

/**
 * R33: no operation waits on a database that does not answer. Installed on a data source before it
 * connects (src/db/open.ts):
 *
 * - every query runner turns a driver fault into SERVICE_UNAVAILABLE where the statement fails, so the
 *   resolver throws the domain error itself (and Apollo answers HTTP 503);
 * - on MySQL/MariaDB, acquiring a connection and every statement are watched. A frozen server (SIGSTOP,
 *   a dead host) still accepts TCP but answers nothing, so a deadline per statement cannot tell it from
 *   a slow export: instead, once an operation has waited `probeAfterMs`, the guard asks the server for
 *   `SELECT 1` on a connection of its own. No answer within `probeTimeoutMs` → every operation waiting
 *   since fails at once and its connection is torn down; connections from before the fault are dropped
 *   when next handed out, so the service recovers by itself when the database returns. Statements
 *   that the server is genuinely working on only meet `statementMs`, and a wait for a free connection
 *   (load) `acquireMs`.
 */
export class DatabaseGuard {
  private readonly outstanding = new Set<Outstanding>();
  private ticker: NodeJS.Timeout | null = null;
  private probing: Promise<boolean> | null = null;
  private lastAnswerAt = 0;
  private probeConnection: mysql.Connection | null = null;
  /** Bumped each time the database is found not answering: connections older than that are not reused. */
  private generation = 0;
  private down = false;
  private closed = false;

  constructor(
    private readonly driver: MysqlDriver,
    private readonly timeouts: DatabaseTimeouts,
  ) {}

  /** `/readyz`: does the database answer now (within `probeTimeoutMs`)? */
  ready(): Promise<boolean> {
    return this.check();
  }

  close(): void {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    teardown(this.probeConnection);
    this.probeConnection = null;
  }

  /** A pool connection within `acquireMs` (and only while the database answers), watched from then on. */
  async acquire(obtain: () => Promise<PooledConnection>): Promise<PooledConnection> {
    for (;;) {
      const connection = await this.acquireOnce(obtain);
      if (connection[GENERATION] === undefined) this.adopt(connection);
      else if (connection[DEAD] || (connection[GENERATION] as number) < this.generation) {
        // Opened before the database last stopped answering: it may be half-open; open a fresh one.
        teardown(connection);
        continue;
      }
      return connection;
    }
  }

  private acquireOnce(obtain: () => Promise<PooledConnection>): Promise<PooledConnection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        this.untrack(op);
        return true;
      };
      const op = this.track((error) => settle() && reject(error));
      const timer = deadline(this.timeouts.acquireMs, () => {
        if (settle()) reject(faultError("DB_ACQUIRE_TIMEOUT", `No database connection was free within ${this.timeouts.acquireMs} ms.`));
      });
      obtain().then(
        (connection) => {
          if (settle()) resolve(connection);
          else connection.release(); // given up on: a healthy connection goes back to the pool
        },
        (error) => settle() && reject(error),
      );
    });
  }

  /** Wraps a pool connection's `query` and `execute` once: each call is watched and has a deadline. */
  private adopt(connection: PooledConnection): void {
    connection[GENERATION] = this.generation;
    // A broken connection never takes the process down; the pool drops it on its own 'error' listener.
    connection.on("error", () => {
      connection[DEAD] = true;
    });
    for (const method of ["query", "execute"] as const) {
      const original = connection[method] as (...args: unknown[]) => unknown;
      connection[method] = ((sql: unknown, values?: unknown, callback?: unknown) => {
        if (typeof values === "function") [values, callback] = [undefined, values];
        // Without a callback the caller streams the rows; it keeps its own pace.
        if (typeof callback !== "function") return original.call(connection, sql, values);
        return this.statement(connection, (done) => original.call(connection, sql, values, done), callback as StatementCallback);
      }) as never;
    }
  }

  private statement(connection: PooledConnection, send: (done: StatementCallback) => unknown, callback: StatementCallback): unknown {
    if (connection[DEAD]) {
      process.nextTick(callback, faultError("DB_CONNECTION_DROPPED", "The database connection was dropped."));
      return undefined;
    }
    let settled = false;
    const finish: StatementCallback = (error, ...rest) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.untrack(op);
      callback(error, ...rest);
    };
    const op = this.track((error) => {
      teardown(connection);
      finish(error);
    });
    const timer = deadline(this.timeouts.statementMs, () => {
      if (settled) return;
      // The server may still be working on it: end it there too, on the guard's own connection.
      if (connection.threadId) this.probeQuery(`KILL ${Number(connection.threadId)}`);
      teardown(connection);
      finish(faultError("DB_STATEMENT_TIMEOUT", `The statement did not complete within ${this.timeouts.statementMs} ms.`));
    });
    return send(finish);
  }

  private track(fail: (error: Error) => void): Outstanding {
    const op: Outstanding = { since: Date.now(), fail };
    this.outstanding.add(op);
    if (this.closed) return op;
    // While the database is known not to answer, a new operation checks at once instead of waiting.
    if (this.down) void this.check();
    this.ticker ??= setInterval(() => this.tick(), Math.max(Math.floor(this.timeouts.probeAfterMs / 2), 10)).unref();
    return op;
  }

  private untrack(op: Outstanding): void {
    this.outstanding.delete(op);
    if (!this.outstanding.size && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  private tick(): void {
    const now = Date.now();
    if (this.probing || (!this.down && now - this.lastAnswerAt < this.timeouts.probeAfterMs)) return;
    const after = this.down ? 0 : this.timeouts.probeAfterMs;
    for (const op of this.outstanding) {
      if (now - op.since >= after) {
        void this.check();
        return;
      }
    }
  }

  /** One probe at a time; when it goes unanswered, everything still waiting fails (nothing got an answer meanwhile). */
  private check(): Promise<boolean> {
    if (this.probing) return this.probing;
    this.probing = this.probe().then((answers) => {
      this.probing = null;
      if (answers) {
        this.down = false;
        this.lastAnswerAt = Date.now();
        return true;
      }
      this.down = true;
      this.generation += 1;
      const error = faultError("DB_UNRESPONSIVE", `The database did not answer within ${this.timeouts.probeTimeoutMs} ms.`);
      for (const op of [...this.outstanding]) op.fail(error);
      return false;
    });
    return this.probing;
  }

  private probe(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answers: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (!answers) {
          teardown(this.probeConnection);
          this.probeConnection = null;
        }
        resolve(answers);
      };
      const timer = deadline(this.timeouts.probeTimeoutMs, () => finish(false));
      this.probeQuery("SELECT 1", (error) => finish(!error));
    });
  }

  private probeQuery(sql: string, done: (error: Error | null) => void = () => undefined): void {
    const connection = this.probeConnection ?? this.openProbeConnection();
    connection.query(sql, (error) => done(error));
  }

  private openProbeConnection(): mysql.Connection {
    const options = this.connectionOptions();
    const connection = mysql.createConnection({ ...options, connectTimeout: this.timeouts.probeTimeoutMs });
    const forget = () => {
      if (this.probeConnection === connection) this.probeConnection = null;
    };
    connection.on("error", forget);
    connection.on("end", forget);
    this.probeConnection = connection;
    return connection;
  }

  /** The pool's own connection settings (the primary's, when there are replicas). */
  private connectionOptions(): mysql.ConnectionOptions {
    const driver = this.driver as unknown as {
      options: MysqlDriver["options"];
      createConnectionOptions(options: unknown, credentials: unknown): mysql.ConnectionOptions & { connectionLimit?: number };
    };
    const credentials = driver.options.replication?.master ?? driver.options;
    const { connectionLimit: _limit, ...options } = driver.createConnectionOptions(driver.options, credentials);
    return options;
  }
}

type StatementCallback = (error: Error | null, ...rest: unknown[]) => void;

interface Outstanding {
  since: number;
  fail(error: Error): void;
}

const GENERATION = Symbol("guard.generation");
const DEAD = Symbol("guard.dead");

type PooledConnection = mysql.PoolConnection & { [GENERATION]?: number; [DEAD]?: boolean; stream?: { destroy?: () => void } };

/**
 * A deadline that an answer already waiting to be read still beats: when the event loop was busy, the
 * timer and the socket's data become due together, and timers run first; `setImmediate` lets the poll
 * phase deliver the answer before the deadline is declared missed.
 */
function deadline(ms: number, missed: () => void): NodeJS.Timeout {
  // A deadline watches work that holds the process alive itself (a socket); it must not hold it alone.
  return setTimeout(() => setImmediate(missed), ms).unref();
}

/** Closes a connection for good: out of its pool, socket destroyed (a frozen peer never acknowledges an end). */
function teardown(connection: (mysql.Connection & { [DEAD]?: boolean; stream?: { destroy?: () => void } }) | null): void {
  if (!connection) return;
  connection[DEAD] = true;
  try {
    connection.destroy();
    connection.stream?.destroy?.();
  } catch {
    // already gone
  }
}

const guards = new WeakMap<DataSource, DatabaseGuard>();

/** The guard of a data source, when it is on MySQL/MariaDB. */
export const guardOf = (dataSource: DataSource): DatabaseGuard | undefined => guards.get(dataSource);

/** Installs the guard on a data source that has not connected yet; see `DatabaseGuard`. */
export function guardDataSource(dataSource: DataSource, timeouts: DatabaseTimeouts): void {
  const driver = dataSource.driver;
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  // better-sqlite3's driver hands out one query runner again and again: wrap each runner once, or every
  // call would add one more layer around its query (a chain as long as the process has run statements).
  const wrapped = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode) => {
    const runner: QueryRunner = createQueryRunner(mode);
    if (wrapped.has(runner)) return runner;
    wrapped.add(runner);
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
    runner.query = (async (...args: unknown[]) => {
      try {
        return await query(...args);
      } catch (error) {
        throw asDomainFault(error);
      }
    }) as QueryRunner["query"];
    return runner;
  };
  if (dataSource.options.type !== "mysql" && dataSource.options.type !== "mariadb") return;

  const mysqlDriver = driver as MysqlDriver;
  const guard = new DatabaseGuard(mysqlDriver, timeouts);
  guards.set(dataSource, guard);
  const master = mysqlDriver.obtainMasterConnection.bind(mysqlDriver);
  mysqlDriver.obtainMasterConnection = () => guard.acquire(master);
  // Without replicas the driver hands replica reads to obtainMasterConnection, guarded already.
  if (mysqlDriver.options.replication) {
    const replica = mysqlDriver.obtainSlaveConnection.bind(mysqlDriver);
    mysqlDriver.obtainSlaveConnection = () => guard.acquire(replica);
  }
  const destroy = dataSource.destroy.bind(dataSource);
  dataSource.destroy = async () => {
    guard.close();
    await destroy();
  };
}
