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
  };
  /** Seed the demo data set into an empty database on start. */
  seedDemo: boolean;
  /** Report each request's SQL statement count in `extensions.sqlStatements` (tests, benchmarks). */
  exposeQueryStats: boolean;
  /** Execute with graphql-jit (compiled operations); `GRAPHQL_JIT=0` falls back to graphql-js's executor. */
  graphqlJit: boolean;
}

export const DEV_JWT_SECRET = "smart-account-graph-dev-secret-do-not-use-in-production";
export const DEFAULT_DATABASE_URL = "sqlite:data/smart-account-graph.sqlite";

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === "production";
  const jwksUrl = env.JWT_JWKS_URL?.trim() || null;
  let secret = env.JWT_SECRET?.trim() || null;
  if (!secret && !jwksUrl) {
    if (production) throw new Error("NODE_ENV=production needs JWT_SECRET or JWT_JWKS_URL: refusing to start without a key.");
    secret = DEV_JWT_SECRET;
  }
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number (got "${env.PORT}")`);
  return {
    port,
    databaseUrl: env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL,
    production,
    jwt: { secret, jwksUrl, issuer: env.JWT_ISSUER?.trim() || null, audience: env.JWT_AUDIENCE?.trim() || null },
    seedDemo: env.SEED_DEMO !== "false" && env.SEED_DEMO !== "0",
    exposeQueryStats: env.EXPOSE_QUERY_STATS === "1" || env.EXPOSE_QUERY_STATS === "true",
    graphqlJit: env.GRAPHQL_JIT !== "0" && env.GRAPHQL_JIT !== "false",
  };
}

export const usesDevSecret = (config: Config): boolean => config.jwt.secret === DEV_JWT_SECRET;
