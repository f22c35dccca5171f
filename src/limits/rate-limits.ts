import { HeaderMap } from "@apollo/server";
import Redis from "ioredis";
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { DomainError } from "../errors";

/** What a caller is told about its budget (R31 `extensions.rateLimit`). */
export interface Budget {
  limit: number;
  remaining: number;
  resetAt: string;
}

/** R31: over budget, or too many failed device secrets from one address. HTTP 429 with `Retry-After`. */
export class RateLimitedError extends DomainError {
  readonly code = "RATE_LIMITED";
  constructor(message: string, budget: Budget, retryAfterSeconds: number) {
    super(
      message,
      { rateLimit: budget, http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) } },
      "RATE_LIMITED",
    );
  }
}

export interface RateLimitSettings {
  /** Cost (R30) each principal may spend per minute. */
  costPerMinute: number;
  /** Failed registration tokens / device credentials one address may send per minute before it is refused. */
  secretFailuresPerMinute: number;
  /** Shared counters for every copy of the service; in memory when null. */
  redisUrl: string | null;
  /** Prefix of the Redis keys, so several deployments (or test runs) can share one Redis. */
  keyPrefix: string;
}

const WINDOW_SECONDS = 60;

/**
 * R31's two budgets, in Redis when `REDIS_URL` is set (every copy of the service spends the same
 * counters) and in this process's memory otherwise. Built on rate-limiter-flexible's fixed windows.
 */
export class RateLimits {
  private constructor(
    private readonly cost: RateLimiterAbstract,
    private readonly secretFailures: RateLimiterAbstract,
    readonly settings: RateLimitSettings,
    private readonly redis: Redis | null,
  ) {}

  static create(settings: RateLimitSettings): RateLimits {
    if (!settings.redisUrl) {
      return new RateLimits(
        new RateLimiterMemory({ keyPrefix: "cost", points: settings.costPerMinute, duration: WINDOW_SECONDS }),
        new RateLimiterMemory({ keyPrefix: "secret", points: settings.secretFailuresPerMinute, duration: WINDOW_SECONDS }),
        settings,
        null,
      );
    }
    // A command waits at most a second for Redis (queued while it connects); past that, or while Redis is
    // away, the insurance limiter below answers instead, so a Redis outage never blocks requests.
    const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: 1000, connectTimeout: 2000 });
    redis.on("error", () => undefined); // reconnects by itself; each failed call is handled where it is made
    // While Redis is unreachable each copy keeps counting in its own memory (the insurance limiter).
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix,
        points,
        duration: WINDOW_SECONDS,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS }),
      });
    return new RateLimits(
      limiter(`${settings.keyPrefix}:cost`, settings.costPerMinute),
      limiter(`${settings.keyPrefix}:secret`, settings.secretFailuresPerMinute),
      settings,
      redis,
    );
  }

  /** Spends `cost` of `principal`'s budget, or throws RATE_LIMITED (spending nothing) when it is not there. */
  async spend(principal: string, cost: number): Promise<Budget> {
    const limit = this.settings.costPerMinute;
    const points = Math.max(1, Math.ceil(cost));
    if (points > limit) {
      // Never affordable: refuse without touching the counter.
      throw new RateLimitedError(
        `This operation costs ${points}, more than the budget of ${limit} a minute.`,
        { limit, remaining: 0, resetAt: new Date(Date.now() + WINDOW_SECONDS * 1000).toISOString() },
        WINDOW_SECONDS,
      );
    }
    try {
      const res = await this.cost.consume(principal, points);
      return budgetOf(limit, res);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      // consume() counted the refused points too; give them back so a refused request costs nothing.
      await this.cost.reward(principal, points).catch(() => undefined);
      const budget = budgetOf(limit, rejection, rejection.consumedPoints - points);
      throw new RateLimitedError(`The budget of ${limit} cost a minute is spent; retry after ${budget.resetAt}.`, budget, retryAfter(rejection));
    }
  }

  /** Throws RATE_LIMITED while `address` has used up its failed device-secret attempts (right secret or not). */
  async admitSecret(address: string): Promise<void> {
    const limit = this.settings.secretFailuresPerMinute;
    const res = await this.secretFailures.get(address);
    if (res && res.consumedPoints >= limit) {
      throw new RateLimitedError("Too many failed device secrets from this address; retry later.", budgetOf(limit, res), retryAfter(res));
    }
  }

  /** Counts one failed registration token or device credential against `address`. */
  async secretFailed(address: string): Promise<void> {
    await this.secretFailures.penalty(address, 1);
  }

  async close(): Promise<void> {
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

function budgetOf(limit: number, res: RateLimiterRes, consumed = res.consumedPoints): Budget {
  return {
    limit,
    remaining: Math.max(0, limit - consumed),
    resetAt: new Date(Date.now() + res.msBeforeNext).toISOString(),
  };
}

const retryAfter = (res: RateLimiterRes): number => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
