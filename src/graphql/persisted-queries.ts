import Redis from "ioredis";
import type { PersistedQuerySettings } from "../config";
import type { Logger } from "../logging";

/**
 * The store of Apollo's automatic persisted queries (APQ) when copies share Redis (§6): a client registers a
 * query's SHA-256 with one copy and sends only the hash to any other. Apollo checks the hash against the query
 * before it stores it, and every query read back from here is parsed, validated and limited (R30) like one
 * sent in full. Entries expire after `PERSISTED_QUERY_TTL_S`, so Redis never holds more than a day's distinct
 * queries (each is at most MAX_BODY_BYTES).
 *
 * Redis being away never fails a request: a lookup that fails answers "not known" (the client sends the whole
 * query again, as APQ expects) and a registration that fails is dropped.
 *
 * Shaped as Apollo's KeyValueCache (`@apollo/utils.keyvaluecache`); Apollo prefixes the keys with `apq:`.
 */
export class RedisPersistedQueries {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor(
    settings: PersistedQuerySettings & { redisUrl: string },
    private readonly logger: Logger,
  ) {
    this.redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2000 });
    this.redis.on("error", () => undefined); // reconnects by itself; each failed call is handled where it is made
    this.prefix = `${settings.keyPrefix}:pq:`;
    this.ttlSeconds = settings.ttlSeconds;
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (error) {
      this.logger.warn({ err: error }, "persisted query lookup failed (Redis); the client will send the query");
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    try {
      await this.redis.set(this.prefix + key, value, "EX", this.ttlSeconds);
    } catch (error) {
      this.logger.warn({ err: error }, "persisted query not stored (Redis)");
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
