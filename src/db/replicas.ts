import { AsyncLocalStorage } from "node:async_hooks";
import Redis from "ioredis";
import type { DataSource, QueryRunner, ReplicationMode } from "typeorm";
import type { MysqlDriver } from "typeorm/driver/mysql/MysqlDriver";

/**
 * Read replicas (`DATABASE_REPLICA_URLS`, docs/replicas.md). TypeORM's replication keeps one pool for the
 * primary and one per replica; this module decides, per statement, which one a read uses:
 *
 * - only work that runs in a route (`ReplicaRouting.run`: a GraphQL request, an export) may read from a
 *   replica; everything else (the worker, migrations, the CLI, subscriptions) reads from the primary;
 * - a transaction's statements always run on the primary (its query runner is the primary's);
 * - a route that has written (any INSERT, UPDATE, DELETE or REPLACE it ran, committed or not) reads from
 *   the primary from then on, and so does a mutation from its start;
 * - for `READ_YOUR_WRITES_MS` after a request of a principal wrote, that principal's requests read from
 *   the primary: recorded in Redis (`<prefix>:wrote:<principal>`, PX) when `REDIS_URL` is set, so it holds
 *   on every copy of the service, in this process's memory otherwise.
 *
 * Without replicas none of this is installed: TypeORM's statements and their SQL are exactly as before.
 */

/** One route's state, shared by everything the request runs (one object, mutated as it goes). */
class ReadRoute {
  /** Reads may go to a replica: until the route writes, or when its principal's window holds. */
  replica = true;
  wrote = false;
  principal: string | null = null;
}

const routes = new AsyncLocalStorage<ReadRoute>();

/** The mode a read outside a transaction uses now: a replica only inside a route that allows it. */
function readMode(): ReplicationMode {
  const route = routes.getStore();
  return route && route.replica && !route.wrote ? "slave" : "master";
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;
const LOCKING = /\b(FOR\s+UPDATE|FOR\s+SHARE|LOCK\s+IN\s+SHARE\s+MODE)\b/i;

/** A raw statement that only reads (and locks nothing): one that a replica may answer. */
export function isPlainRead(sql: string): boolean {
  if (LOCKING.test(sql)) return false;
  if (/^\s*\(*\s*SELECT\b/i.test(sql)) return true;
  // A CTE may end in a write on MySQL 8: a replica answers only one with no write keyword in it.
  return /^\s*WITH\b/i.test(sql) && !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(sql);
}

/** Whether the data source was opened with replicas. */
export const isReplicated = (dataSource: DataSource): boolean =>
  (dataSource.options.type === "mysql" || dataSource.options.type === "mariadb") && Boolean(dataSource.options.replication);

const installed = new WeakSet<DataSource>();

/**
 * Routes a replicated data source's reads (once per data source): its query builders' reads and its raw
 * `query` SELECTs by `readMode`; every write marks the route it runs in; a replica that cannot hand out a
 * connection leaves the read to the primary.
 */
export function routeReads(dataSource: DataSource): void {
  if (installed.has(dataSource) || !isReplicated(dataSource)) return;
  installed.add(dataSource);
  // SelectQueryBuilder (find*, getMany, getRawMany, stream…) asks this when it has no query runner of its own.
  dataSource.defaultReplicationModeForReads = readMode;
  // EntityManager.query and DataSource.query (runSql) use a primary runner unless given one: a plain read may go to a replica.
  const query = dataSource.query.bind(dataSource);
  dataSource.query = (async (sql: string, parameters?: unknown[], queryRunner?: QueryRunner) => {
    if (queryRunner || readMode() !== "slave" || !isPlainRead(sql)) return query(sql, parameters, queryRunner);
    const runner = dataSource.createQueryRunner("slave");
    try {
      return await runner.query(sql, parameters);
    } finally {
      await runner.release();
    }
  }) as DataSource["query"];
  const driver = dataSource.driver as MysqlDriver;
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => {
    const runner = create(mode);
    const run = runner.query.bind(runner) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
    runner.query = ((sql: string, ...rest: unknown[]) => {
      if (WRITE.test(sql)) {
        const route = routes.getStore();
        if (route) route.wrote = true;
      }
      return run(sql, ...rest);
    }) as QueryRunner["query"];
    return runner;
  };
  const replica = driver.obtainSlaveConnection.bind(driver);
  driver.obtainSlaveConnection = () => replica().catch(() => driver.obtainMasterConnection());
}

/** Which principals wrote within the window. */
interface RecentWrites {
  record(principal: string, ms: number): Promise<void>;
  has(principal: string): Promise<boolean>;
  close(): Promise<void>;
}

class MemoryRecentWrites implements RecentWrites {
  private readonly until = new Map<string, number>();

  async record(principal: string, ms: number): Promise<void> {
    const now = Date.now();
    if (this.until.size >= 10_000) for (const [key, at] of this.until) if (at <= now) this.until.delete(key);
    this.until.set(principal, now + ms);
  }

  async has(principal: string): Promise<boolean> {
    const at = this.until.get(principal);
    if (at === undefined) return false;
    if (at > Date.now()) return true;
    this.until.delete(principal);
    return false;
  }

  async close(): Promise<void> {
    this.until.clear();
  }
}

/** In Redis, for every copy; this copy's own memory too, so its own principals need no round trip. */
class RedisRecentWrites implements RecentWrites {
  private readonly local = new MemoryRecentWrites();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(principal: string): string {
    return `${this.prefix}:wrote:${principal}`;
  }

  async record(principal: string, ms: number): Promise<void> {
    await this.local.record(principal, ms);
    await this.redis.set(this.key(principal), "1", "PX", ms).catch(() => undefined);
  }

  async has(principal: string): Promise<boolean> {
    if (await this.local.has(principal)) return true;
    // Redis away: the primary answers (it is never behind), rather than a replica that may be.
    return this.redis.exists(this.key(principal)).then(
      (count) => count > 0,
      () => true,
    );
  }

  async close(): Promise<void> {
    await this.local.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export interface ReplicaSettings {
  /** `READ_YOUR_WRITES_MS`: how long after a principal's write its reads stay on the primary. */
  readYourWritesMs: number;
  redisUrl: string | null;
  keyPrefix: string;
}

/** The per-process side of the routing: the routes requests run in, and the principals' windows. */
export class ReplicaRouting {
  private constructor(
    private readonly recent: RecentWrites,
    private readonly windowMs: number,
  ) {}

  /** For a replicated database (else null: nothing is routed); installs `routeReads` on it. */
  static create(dataSource: DataSource, settings: ReplicaSettings): ReplicaRouting | null {
    if (!isReplicated(dataSource)) return null;
    routeReads(dataSource);
    if (!settings.redisUrl) return new ReplicaRouting(new MemoryRecentWrites(), settings.readYourWritesMs);
    const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2000 });
    redis.on("error", () => undefined); // reconnects by itself; a failed command answers "the primary" (see `has`)
    return new ReplicaRouting(new RedisRecentWrites(redis, settings.keyPrefix), settings.readYourWritesMs);
  }

  /** Runs a request in a route of its own: its reads may go to a replica (see `admit`). */
  run<T>(work: () => T): T {
    return routes.run(new ReadRoute(), work);
  }

  /** Once the request knows its principal: within that principal's window, it reads from the primary. */
  async admit(principal: string): Promise<void> {
    const route = routes.getStore();
    if (!route) return;
    route.principal = principal;
    if (await this.recent.has(principal)) route.replica = false;
  }

  /** This request reads from the primary from here on (a mutation). */
  primary(): void {
    const route = routes.getStore();
    if (route) route.replica = false;
  }

  /**
   * At the end of a request: if it wrote, its principal's window starts, before the client hears back
   * (so its next request, on any copy, reads from the primary).
   */
  async settle(): Promise<void> {
    const route = routes.getStore();
    if (route?.wrote && route.principal && this.windowMs > 0) await this.recent.record(route.principal, this.windowMs);
  }

  async close(): Promise<void> {
    await this.recent.close();
  }
}
