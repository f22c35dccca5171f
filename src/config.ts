import { CronExpressionParser } from "cron-parser";
import { parseOrigins } from "./http/cors";
import type { OperationLimits } from "./limits/plugin";
import type { RateLimitSettings } from "./limits/rate-limits";
import { DatabaseTimeouts, loadDatabaseTimeouts } from "./db/timeouts";

/** Runtime configuration, read once from the environment (README lists every variable). */
export interface Config {
  port: number;
  databaseUrl: string;
  production: boolean;
  jwt: {
    /** HS256 shared secret; in development a fixed, loudly announced dev secret stands in. */
    secret: string | null;
    jwksUrl: string | null;
    issuer: string | null;
    audience: string | null;
    /** R1: the longest lifetime (`exp − iat`, in seconds) a token may have; `exp` is required. */
    maxTtlSeconds: number;
  };
  /** Seed the demo data set into an empty database on start. */
  seedDemo: boolean;
  /** Report each request's SQL statement count in `extensions.sqlStatements` (tests, benchmarks). */
  exposeQueryStats: boolean;
  /** Execute with graphql-jit (compiled operations); `GRAPHQL_JIT=0` falls back to graphql-js's executor. */
  graphqlJit: boolean;
  /** R30: what one operation may ask for. */
  limits: OperationLimits;
  /** R31: budgets per principal and failed device secrets per address; shared through Redis when set. */
  rateLimits: RateLimitSettings;
  /** R32: the largest request body accepted. */
  maxBodyBytes: number;
  /** R32: introspection and the explorer; off in production unless turned on. */
  introspection: boolean;
  explorer: boolean;
  /** §6: origins whose pages may call the API (outside production, any localhost page when none are listed). */
  corsOrigins: string[];
  /** pino's level for the JSON logs (R32). */
  logLevel: string;
  /** Express's `trust proxy`: which forwarded addresses count as the client's (R31 budgets per address). */
  trustProxy: string | null;
  /** Node's HTTP server limits for an API: slow headers, slow bodies, idle keep-alives, sockets per address. */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnectionsPerAddress: number };
  /** R33: how long SIGTERM lets in-flight requests and streams finish (`SHUTDOWN_GRACE_MS`). */
  shutdownGraceMs: number;
  /** R33: how long /readyz fails before the listener closes (`SHUTDOWN_READINESS_DELAY_MS`), for load balancers to notice. */
  shutdownReadinessDelayMs: number;
  /** R33: connect, pool, statement, probe and SQLite-queue timeouts and transaction retries (src/db/timeouts.ts). */
  database: DatabaseTimeouts;
  /** §6: read replicas (docs/replicas.md). */
  replicas: ReplicaConfig;
  /** §6: automatic persisted queries, shared by every copy through Redis when `REDIS_URL` is set. */
  persistedQueries: PersistedQuerySettings;
  /** R22/R27: how often kept pools whose soonest lot has ended are counted again (`POOL_SWEEP_INTERVAL_S`, 0 = never). */
  poolSweepIntervalMs: number;
  /** SPEC §8: alert changes, subscriptions, webhooks, mail and the worker (src/notifications). */
  notifications: NotificationSettings;
}

export interface ReplicaConfig {
  /** `DATABASE_REPLICA_URLS`: comma-separated `mysql://…` URLs of replicas of DATABASE_URL; none by default. */
  urls: string[];
  /** `READ_YOUR_WRITES_MS`: after a principal's write, its reads go to the primary this long (default 5000). */
  readYourWritesMs: number;
  redisUrl: string | null;
  keyPrefix: string;
}

export interface PersistedQuerySettings {
  /** In Redis when set (every copy knows a hash another registered); in this process's memory otherwise. */
  redisUrl: string | null;
  keyPrefix: string;
  /** `PERSISTED_QUERY_TTL_S`: how long a registered query is kept in Redis (default a day, renewed on each registration). */
  ttlSeconds: number;
}

export interface NotificationSettings {
  /** R36, R39: fan-out across copies and the job queue through Redis (`REDIS_URL`); in-process without it. */
  redisUrl: string | null;
  keyPrefix: string;
  /** R35: how often the clock-driven alert check runs (`ALERT_SCAN_INTERVAL_S`, default 900). */
  alertScanIntervalMs: number;
  /** R38: when the daily digest goes (`DIGEST_CRON`, a cron expression in UTC). */
  digestCron: string;
  /** R38: `smtp://…` or `smtps://…`; null logs mail instead of sending it. */
  smtpUrl: string | null;
  mailFrom: string;
  /** Where links in mail point (`PUBLIC_URL`). */
  publicUrl: string;
  /** R37: loopback, private and link-local targets and plain `http` allowed (`WEBHOOK_ALLOW_PRIVATE`). */
  webhookAllowPrivate: boolean;
  /** R37: the key webhook signing secrets are derived from (`WEBHOOK_SIGNING_KEY`, else JWT_SECRET). */
  webhookSigningKey: string;
  /** R37: the first retry's delay; each later one is three times the one before (`WEBHOOK_RETRY_BASE_MS`). */
  webhookRetryBaseMs: number;
  /** R37: attempts before a delivery is FAILED (`WEBHOOK_MAX_ATTEMPTS`, at least 6). */
  webhookMaxAttempts: number;
  /** R37: how long an attempt waits for an answer (`WEBHOOK_TIMEOUT_MS`, 10 s). */
  webhookTimeoutMs: number;
  /** R39: run the worker in the server process (`WORKER`, default on; `0` for separate `npm run worker` processes). */
  worker: boolean;
  /** R39: how often a worker without Redis looks for due work (`WORKER_POLL_MS`). */
  workerPollMs: number;
}

export const DEV_JWT_SECRET = "smart-account-graph-dev-secret-do-not-use-in-production";
/** Secrets that ship in this repository (the development default, the compose file's placeholder): never for production. */
const SHIPPED_SECRETS = new Set([DEV_JWT_SECRET, "change-me-in-docker-compose", "change-me"]);
const MIN_PRODUCTION_SECRET_BYTES = 32;
export const DEFAULT_DATABASE_URL = "sqlite:data/smart-account-graph.sqlite";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === "production";
  const jwksUrl = env.JWT_JWKS_URL?.trim() || null;
  let secret = env.JWT_SECRET?.trim() || null;
  if (!secret && !jwksUrl) {
    if (production) throw new Error("NODE_ENV=production needs JWT_SECRET or JWT_JWKS_URL: refusing to start without a key.");
    secret = DEV_JWT_SECRET;
  }
  if (production && secret) {
    if (Buffer.byteLength(secret, "utf8") < MIN_PRODUCTION_SECRET_BYTES) {
      throw new Error(
        `NODE_ENV=production needs a JWT_SECRET of at least ${MIN_PRODUCTION_SECRET_BYTES} bytes (e.g. openssl rand -hex 32): refusing to start.`,
      );
    }
    if (SHIPPED_SECRETS.has(secret)) throw new Error("JWT_SECRET is a default that ships in the repository: refusing to start in production.");
  }
  const corsOrigins = env.CORS_ORIGINS?.trim() ?? "";
  if (production && corsOrigins.split(",").some((origin) => origin.trim() === "*")) {
    throw new Error(
      "CORS_ORIGINS=* would let any web page call the API with its users' credentials: list the origins (refusing to start in production).",
    );
  }
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${env.PORT}")`);
  return {
    port,
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
    production,
    jwt: {
      secret,
      jwksUrl,
      issuer: env.JWT_ISSUER?.trim() || null,
      audience: env.JWT_AUDIENCE?.trim() || null,
      maxTtlSeconds: duration(env, "JWT_MAX_TTL", 24 * 3600),
    },
    // R32: production never seeds the demo unless asked (SEED_DEMO=1); elsewhere it does unless told not to.
    seedDemo: production ? flag(env.SEED_DEMO, false) : flag(env.SEED_DEMO, true),
    exposeQueryStats: env.EXPOSE_QUERY_STATS === "1" || env.EXPOSE_QUERY_STATS === "true",
    graphqlJit: env.GRAPHQL_JIT !== "0" && env.GRAPHQL_JIT !== "false",
    limits: {
      maxCost: whole(env, "MAX_QUERY_COST", 50_000_000, 1),
      maxFields: whole(env, "MAX_QUERY_FIELDS", 2_000, 1),
      maxDepth: whole(env, "MAX_QUERY_DEPTH", 15, 1),
      maxAliases: whole(env, "MAX_ALIASES", 30, 0),
      maxDirectives: whole(env, "MAX_DIRECTIVES", 50, 0),
      maxTokens: whole(env, "MAX_TOKENS", 5000, 1),
      maxVariableDepth: whole(env, "MAX_VARIABLE_DEPTH", 16, 1),
    },
    persistedQueries: {
      redisUrl: env.REDIS_URL?.trim() || null,
      keyPrefix: env.REDIS_KEY_PREFIX?.trim() || "sag",
      ttlSeconds: whole(env, "PERSISTED_QUERY_TTL_S", 86_400, 1),
    },
    rateLimits: {
      costPerMinute: whole(env, "RATE_LIMIT_COST_PER_MINUTE", 1_000_000_000, 1),
      secretFailuresPerMinute: whole(env, "RATE_LIMIT_SECRET_FAILURES", 10, 1),
      redisUrl: env.REDIS_URL?.trim() || null,
      keyPrefix: env.REDIS_KEY_PREFIX?.trim() || "sag",
    },
    maxBodyBytes: whole(env, "MAX_BODY_BYTES", 1_048_576, 1),
    introspection: production ? flag(env.GRAPHQL_INTROSPECTION, false) : flag(env.GRAPHQL_INTROSPECTION, true),
    explorer: production ? flag(env.GRAPHQL_EXPLORER, false) : flag(env.GRAPHQL_EXPLORER, true),
    corsOrigins: parseOrigins(corsOrigins),
    logLevel: env.LOG_LEVEL?.trim() || "info",
    trustProxy: env.TRUST_PROXY?.trim() || null,
    http: {
      headersTimeoutMs: whole(env, "HTTP_HEADERS_TIMEOUT_MS", 10_000, 1),
      requestTimeoutMs: whole(env, "HTTP_REQUEST_TIMEOUT_MS", 30_000, 1),
      keepAliveTimeoutMs: whole(env, "HTTP_KEEP_ALIVE_TIMEOUT_MS", 5_000, 1),
      maxConnectionsPerAddress: whole(env, "MAX_CONNECTIONS_PER_ADDRESS", 256, 1),
    },
    shutdownGraceMs: whole(env, "SHUTDOWN_GRACE_MS", 10_000, 0),
    shutdownReadinessDelayMs: whole(env, "SHUTDOWN_READINESS_DELAY_MS", 0, 0),
    database: loadDatabaseTimeouts(env),
    replicas: replicaConfig(env),
    poolSweepIntervalMs: whole(env, "POOL_SWEEP_INTERVAL_S", 60, 0) * 1000,
    notifications: notificationSettings(env, production, secret),
  };
}

function replicaConfig(env: NodeJS.ProcessEnv): ReplicaConfig {
  const urls = (env.DATABASE_REPLICA_URLS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  for (const url of urls) {
    if (!/^(mysql|mariadb):\/\//.test(url)) throw new Error(`DATABASE_REPLICA_URLS must list mysql:// URLs (got "${url.split(":")[0]}:…")`);
  }
  return {
    urls,
    readYourWritesMs: whole(env, "READ_YOUR_WRITES_MS", 5_000, 0),
    redisUrl: env.REDIS_URL?.trim() || null,
    keyPrefix: env.REDIS_KEY_PREFIX?.trim() || "sag",
  };
}

function notificationSettings(env: NodeJS.ProcessEnv, production: boolean, jwtSecret: string | null): NotificationSettings {
  const digestCron = env.DIGEST_CRON?.trim() || "0 6 * * *";
  try {
    CronExpressionParser.parse(digestCron, { tz: "UTC" });
  } catch {
    throw new Error(`DIGEST_CRON must be a cron expression such as "0 6 * * *" (got "${digestCron}")`);
  }
  const smtpUrl = env.SMTP_URL?.trim() || null;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new Error(`SMTP_URL must start with smtp:// or smtps:// (got a value that does not)`);
  const signingKey = env.WEBHOOK_SIGNING_KEY?.trim() || jwtSecret || DEV_JWT_SECRET;
  if (production) {
    if (Buffer.byteLength(signingKey, "utf8") < MIN_PRODUCTION_SECRET_BYTES || SHIPPED_SECRETS.has(signingKey)) {
      throw new Error(
        `NODE_ENV=production needs WEBHOOK_SIGNING_KEY (or JWT_SECRET) of at least ${MIN_PRODUCTION_SECRET_BYTES} bytes that does not ship in the repository: refusing to start.`,
      );
    }
  }
  return {
    redisUrl: env.REDIS_URL?.trim() || null,
    keyPrefix: env.REDIS_KEY_PREFIX?.trim() || "sag",
    alertScanIntervalMs: whole(env, "ALERT_SCAN_INTERVAL_S", 900, 1) * 1000,
    digestCron,
    smtpUrl,
    mailFrom: env.MAIL_FROM?.trim() || "Smart Account graph <no-reply@localhost>",
    publicUrl: (env.PUBLIC_URL?.trim() || `http://localhost:${env.PORT ?? 4000}`).replace(/\/+$/, ""),
    webhookAllowPrivate: production ? flag(env.WEBHOOK_ALLOW_PRIVATE, false) : flag(env.WEBHOOK_ALLOW_PRIVATE, true),
    webhookSigningKey: signingKey,
    webhookRetryBaseMs: whole(env, "WEBHOOK_RETRY_BASE_MS", 20_000, 1),
    webhookMaxAttempts: whole(env, "WEBHOOK_MAX_ATTEMPTS", 7, 6),
    webhookTimeoutMs: whole(env, "WEBHOOK_TIMEOUT_MS", 10_000, 1),
    worker: flag(env.WORKER, true),
    workerPollMs: whole(env, "WORKER_POLL_MS", 1_000, 10),
  };
}

/** `1`/`true`/`yes` and `0`/`false`/`no`; anything else is the default. */
function flag(value: string | undefined, fallback: boolean): boolean {
  const text = value?.trim().toLowerCase();
  if (text === "1" || text === "true" || text === "yes") return true;
  if (text === "0" || text === "false" || text === "no") return false;
  return fallback;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw.replace(/_/g, ""));
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be a whole number ≥ ${min} (got "${raw}")`);
  return value;
}

/** Seconds, written as a number of seconds or with a unit: `90`, `15m`, `24h`, `7d`. */
function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(raw);
  if (!match || Number(match[1]) < 1) throw new Error(`${name} must be a duration such as 3600, 15m, 24h or 7d (got "${raw}")`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? "s") as "s" | "m" | "h" | "d"];
}

export const usesDevSecret = (config: Config): boolean => config.jwt.secret === DEV_JWT_SECRET;
