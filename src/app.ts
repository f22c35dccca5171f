import http from "node:http";
import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from "graphql";
import { buildGraphQLSchema } from "../resolvers";
import { createTokenVerifier, signToken, TokenVerifier } from "./auth/identity";
import { shieldSchema } from "./auth/shield";
import { authenticate } from "./auth/viewer";
import { Clock, systemClock } from "./clock";
import { Config, usesDevSecret } from "./config";
import { DEMO_ROLES } from "./db/seed/demo";
import { createContext, RequestContext } from "./context";
import { Database } from "./db/database";
import { QueryStats, trackQueries, useSqlLogger } from "./db/query-stats";
import { databaseFault } from "./db/faults";
import { ReplicaRouting } from "./db/replicas";
import { inTurn, readiness } from "./db/requests";
import { isDomainError } from "./errors";
import { RedisPersistedQueries } from "./graphql/persisted-queries";
import { jitGateway } from "./graphql/jit-executor";
import { corsFor } from "./http/cors";
import { explorerAvailable, explorerRouter } from "./http/explorer";
import { armorRules, operationGuard } from "./limits/plugin";
import { RateLimits } from "./limits/rate-limits";
import { createLogger, loggableError, Logger, requestLogging } from "./logging";
import { exportRouter } from "./reporting/router";
import { createServices, Services } from "./services";
import { startPoolSweeper } from "./licenses/pool-sweeper";
import { createNotifications, Notifications } from "./notifications";
import { serviceJobs } from "./notifications/jobs";
import { startRedisEnqueuer } from "./notifications/queue-redis";
import { startWorker, WorkerHandle } from "./notifications/worker";
import { serveSubscriptions } from "./notifications/subscriptions";

export interface App {
  express: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<RequestContext>;
  services: Services;
  /** SPEC §8: the outbox hooks on the database and the bus subscribers and workers listen to. */
  notifications: Notifications;
  /** R39: the worker in this process, once listening (none with WORKER=0: `npm run worker` runs it apart). */
  readonly worker: WorkerHandle | null;
  listen(port: number): Promise<number>;
  /** R33: fails /readyz, waits `readinessDelayMs` (the load balancer notices), then drains and closes. */
  stop(options?: { readinessDelayMs?: number }): Promise<void>;
}

/** Codes that graphql-js and Apollo produce themselves and that are safe to show as they are. */
const PASS_THROUGH = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

/**
 * graphql-js guards itself: its parser refuses a document past `maxTokens` with a syntax error, and its
 * validation stops ("Validation aborted.") when comparing a document's fields would take too long. R30
 * calls both too complex.
 */
const TOO_MANY_TOKENS = /Document contains more th(?:an|at) \d+ tokens/;
const VALIDATION_ABORTED = "Validation aborted.";
/** Apollo's refusal of a persisted query whose hash is not its query's (it gives it no code; it answers 400). */
const APQ_HASH_MISMATCH = "provided sha does not match query";

/** An error the client is told about as it is (a domain error, or one of Apollo's own before execution). */
function isExpected(error: GraphQLError): boolean {
  const original = error.originalError;
  if (isDomainError(original) || isDomainError(error) || databaseFault(original ?? error)) return true;
  if (!error.originalError && !error.path && error.message === APQ_HASH_MISMATCH) return true;
  const code = error.extensions?.code as string | undefined;
  return Boolean(code && PASS_THROUGH.has(code) && (!original || (original instanceof GraphQLError && !error.path)));
}

/** R3: domain errors and Apollo's own keep their codes; anything else is masked (and logged by `errorLogging`). */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  const domain = isDomainError(original) ? original : isDomainError(error) ? error : null;
  if (domain) {
    // A domain error reported during validation (R30's limits) keeps its own code over Apollo's wrapper's.
    const { http: _http, ...extensions } = { ...formatted.extensions, ...domain.extensions } as Record<string, unknown>;
    return { ...formatted, extensions };
  }
  const fault = databaseFault(original ?? error);
  if (fault) return { message: fault.message, path: formatted.path, locations: formatted.locations, extensions: { code: fault.code } };
  const code = formatted.extensions?.code as string | undefined;
  if (
    (code === "GRAPHQL_PARSE_FAILED" && TOO_MANY_TOKENS.test(formatted.message)) ||
    (code === "GRAPHQL_VALIDATION_FAILED" && formatted.message === VALIDATION_ABORTED)
  ) {
    return { message: formatted.message.replace(/^Syntax Error: /, ""), extensions: { code: "QUERY_TOO_COMPLEX" } };
  }
  // Apollo's parse/validation errors wrap graphql-js's own error (no path: nothing was executed yet).
  const preExecution = !original || (original instanceof GraphQLError && !formatted.path);
  if (!code || code === "INTERNAL_SERVER_ERROR") {
    if (!original && !formatted.path && formatted.message === APQ_HASH_MISMATCH)
      return { message: formatted.message, extensions: { code: "BAD_REQUEST" } };
  }
  if (code && PASS_THROUGH.has(code) && preExecution)
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  if (code === "BAD_USER_INPUT") return { message: formatted.message, locations: formatted.locations, extensions: { code } };
  return { message: "Internal server error", path: formatted.path, locations: formatted.locations, extensions: { code: "INTERNAL_SERVER_ERROR" } };
}

let shieldedSchema: GraphQLSchema | null = null;
export const executableSchema = (): GraphQLSchema => (shieldedSchema ??= shieldSchema(buildGraphQLSchema()));

/** The HTTP application: `/graphql`, `/healthz`, `/readyz`. Tests and `main.ts` both build it here. */
export async function createApp(options: {
  db: Database;
  config: Config;
  clock?: Clock;
  /** Benchmark only (bench/no-shield.ts): serve without the shield layer, to price authorization. */
  withoutShield?: boolean;
  /** Benchmark only (bench/no-protection.ts): no operation limits, cost analysis, budgets or request logs. */
  withoutProtection?: boolean;
  /** Where the JSON logs go; a logger at LOG_LEVEL on stdout by default. */
  logger?: Logger;
}): Promise<App> {
  const { db, config } = options;
  const protect = !options.withoutProtection;
  const logger = options.logger ?? createLogger({ level: protect ? config.logLevel : "silent" });
  const rateLimits = protect ? RateLimits.create(config.rateLimits) : null;
  useSqlLogger(logger);
  const clock = options.clock ?? systemClock;
  const services = createServices(clock, config.notifications);
  const notifications = createNotifications({ db, clock, settings: config.notifications, logger });
  const verify: TokenVerifier = createTokenVerifier(config.jwt);
  // §6: with DATABASE_REPLICA_URLS, a request's reads go to a replica (src/db/replicas.ts); without, null.
  const replicas = ReplicaRouting.create(db.dataSource, config.replicas);
  const app = express();
  app.disable("x-powered-by");
  // GraphQL answers are not cached by validators: no SHA-1 of every response body for an ETag.
  app.disable("etag");
  if (config.trustProxy) app.set("trust proxy", config.trustProxy);
  const httpServer = http.createServer(app);
  limitConnections(httpServer, config.http);
  if (protect) app.use(requestLogging(logger));
  else app.use((req, _res, next) => ((req.log = { id: "", logger }), next()));

  const statsPlugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          if (response.body.kind === "single") {
            response.body.singleResult.extensions = {
              ...response.body.singleResult.extensions,
              sqlStatements: contextValue.stats.statements,
            };
          }
        },
      };
    },
  };

  // A mutation reads from the primary from its start; a request that wrote starts its principal's window.
  const replicaPlugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === "mutation") replicas?.primary();
        },
        async willSendResponse() {
          await replicas?.settle();
        },
      };
    },
  };

  const schema = options.withoutShield ? buildGraphQLSchema() : executableSchema();
  const armor = armorRules(config.limits);
  // One line per failed operation: the code for expected errors, the masked detail for internal ones
  // (kind, code, stack; never variables, parameters or secrets).
  const errorLogging: ApolloServerPlugin<RequestContext> = {
    async requestDidStart({ contextValue }) {
      return {
        async didResolveOperation({ operationName }) {
          const log = contextValue.log;
          if (log) log.operation = operationName;
        },
        async didEncounterErrors({ errors, operationName }) {
          const log = contextValue.log;
          const target = log?.logger ?? logger;
          const unexpected = errors.filter((error) => !isExpected(error));
          if (log) log.code = (errors[0]?.extensions?.code as string | undefined) ?? (unexpected.length ? "INTERNAL_SERVER_ERROR" : undefined);
          for (const error of unexpected) {
            target.error(
              { operation: operationName ?? undefined, path: error.path, err: loggableError(error.originalError ?? error) },
              "internal error",
            );
          }
        },
      };
    },
  };
  // §6: a query registered with one copy is known to every copy (in this process's memory without Redis).
  const persistedQueries = config.persistedQueries.redisUrl
    ? new RedisPersistedQueries({ ...config.persistedQueries, redisUrl: config.persistedQueries.redisUrl }, logger)
    : null;
  const apollo = new ApolloServer<RequestContext>({
    ...(config.graphqlJit ? { gateway: jitGateway(schema) } : { schema }),
    formatError,
    logger,
    ...(persistedQueries ? { persistedQueries: { cache: persistedQueries } } : {}),
    ...(protect ? { parseOptions: { maxTokens: config.limits.maxTokens }, validationRules: armor.validationRules } : {}),
    // main.ts drains on SIGTERM and exits 0 (R33); Apollo's own handler would re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // No cache hints are served; Apollo's default cache-control plugin would wrap every field resolver.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      ApolloServerPluginCacheControlDisabled(),
      // The explorer is our own (src/http/explorer.ts), served from this process: never Apollo's CDN page.
      ApolloServerPluginLandingPageDisabled(),
      ...(protect ? [...armor.plugins, operationGuard({ schema, limits: config.limits, rateLimits, introspection: config.introspection })] : []),
      errorLogging,
      ...(config.exposeQueryStats ? [statsPlugin] : []),
      ...(replicas ? [replicaPlugin] : []),
    ],
  });
  await apollo.start();
  // R36: graphql-ws on the same server and path, with the same limits and error format.
  const subscriptions = serveSubscriptions({
    ...{ httpServer, schema, db, clock, services, verify, bus: notifications.bus, config, logger, formatError, protect, rateLimits },
    validationRules: protect ? armor.validationRules : [],
  });

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  let stopping = false;
  app.get(
    "/readyz",
    readiness(db, () => stopping),
  );

  const allowOrigins = corsFor(config.corsOrigins, config.production);
  app.use(["/graphql", "/exports"], allowOrigins);
  if (replicas) app.use("/exports", (_req, _res, next) => replicas.run(() => next()));
  app.use(exportRouter({ db, clock, verify, replicas }));
  if (config.explorer && explorerAvailable()) app.use(explorerRouter({ tokens: await demoTokens(config) }));

  app.use(
    "/graphql",
    express.json({ limit: config.maxBodyBytes }),
    (req, res, next) => {
      // With EXPOSE_QUERY_STATS, every statement this request runs is counted against it (tests and the
      // benchmark read the count); otherwise nothing is tracked, and no async context is kept for it.
      let run = next;
      if (config.exposeQueryStats) {
        const stats = new QueryStats();
        (req as express.Request & { stats?: QueryStats }).stats = stats;
        run = () => trackQueries(stats, () => next());
      }
      if (replicas) {
        const inner = run;
        run = () => replicas.run(inner);
      }
      if (db.kind === "mysql") return run();
      // On SQLite each request runs alone, so no read sees another request's uncommitted writes.
      inTurn(db, req, res, run);
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const stats = (req as express.Request & { stats?: QueryStats }).stats ?? new QueryStats();
        const { access, authError } = await authenticate(db, clock, verify, req.headers.authorization);
        const address = req.ip ?? req.socket.remoteAddress ?? "unknown";
        const deviceSecrets = rateLimits
          ? {
              admit: () => rateLimits.admitSecret(address),
              failed: () => {
                // R31: every refused device secret is one line (never the secret itself), and counts against its address.
                req.log.logger.warn({ address }, "device secret refused");
                return rateLimits.secretFailed(address);
              },
            }
          : undefined;
        const context = createContext({ db, clock, services }, access, authError, stats, { address, deviceSecrets });
        await replicas?.admit(context.principal);
        req.log.principal = context.principal;
        context.log = req.log;
        return context;
      },
    }),
  );
  // Anything else is a JSON 404, never Express's HTML page.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ errors: [{ message: "Nothing is served here: the API is at /graphql.", extensions: { code: "NOT_FOUND" } }] });
  });
  app.use(requestErrors);

  let stopSweeper: (() => void) | undefined;
  let worker: WorkerHandle | null = null;
  let starting: Promise<WorkerHandle | null> | null = null;
  const settings = config.notifications;
  // R39: without a worker of its own, on Redis, the server still enqueues what its writes make due.
  const enqueuer =
    !settings.worker && settings.redisUrl
      ? startRedisEnqueuer({ redisUrl: settings.redisUrl, keyPrefix: settings.keyPrefix, notifications, logger })
      : null;
  return {
    express: app,
    httpServer,
    apollo,
    services,
    notifications,
    get worker() {
      return worker;
    },
    listen: async (port) => {
      stopSweeper ??= startPoolSweeper(db, clock, config.poolSweepIntervalMs, logger);
      if (settings.worker && !starting) {
        // Started beside the listener, not before it: a Redis that does not answer yet never holds up serving.
        starting = startWorker({ db, clock, settings, logger, notifications, jobs: serviceJobs({ db, clock, settings, logger }) }).then(
          (started) => (worker = started),
          (error) => (logger.error({ err: loggableError(error) }, "worker: could not start"), null),
        );
      }
      return new Promise((resolve) => httpServer.listen(port, () => resolve((httpServer.address() as { port: number }).port)));
    },
    stop: async ({ readinessDelayMs = 0 } = {}) => {
      // R33: /readyz fails first; then the drain plugin stops accepting and lets in-flight requests finish.
      stopping = true;
      stopSweeper?.();
      if (readinessDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, readinessDelayMs));
      await Promise.all([subscriptions.close(config.shutdownGraceMs), apollo.stop()]);
      // The worker finishes the jobs it has begun while the database and the outbox hooks are still there.
      await (await starting)?.stop();
      await enqueuer?.stop();
      await rateLimits?.close();
      await replicas?.close();
      await persistedQueries?.close();
      await notifications.close();
      if (httpServer.listening) await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}

/**
 * R3: what fails before GraphQL sees the request (a body that is not JSON, one past MAX_BODY_BYTES, a
 * wrong content type) is a JSON error with a code and a 4xx, in one short log line: never an HTML page,
 * never a stack. Anything else that reaches here is a 500 with the detail in the log only.
 */
function requestErrors(error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction): void {
  const status = Number((error as { status?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode);
  const clientError = Number.isInteger(status) && status >= 400 && status < 500;
  const type = (error as { type?: unknown }).type;
  const message = !clientError
    ? "Internal server error"
    : type === "entity.parse.failed"
      ? "The request body is not valid JSON."
      : type === "entity.too.large"
        ? "The request body is larger than this server accepts (MAX_BODY_BYTES)."
        : "The request could not be read.";
  const code = clientError ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR";
  if (clientError) req.log?.logger.warn({ status, code, reason: type ?? undefined }, "request refused");
  else req.log?.logger.error({ err: loggableError(error) }, "request failed");
  if (res.headersSent) return void res.destroy();
  res.status(clientError ? status : 500).json({ errors: [{ message, extensions: { code } }] });
}

/**
 * Node's HTTP server, set for an API: a slow client may not hold a socket without sending its headers
 * or its body in time, idle keep-alives close, and one address may hold only so many sockets at once.
 */
function limitConnections(server: http.Server, limits: Config["http"]): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const open = new Map<string, number>();
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "unknown";
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) return void socket.destroy();
    open.set(address, count);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/** The demo users' tokens for the explorer's default tab: only while the public development key is in use. */
async function demoTokens(config: Config): Promise<{ email: string; role: string; token: string }[]> {
  if (!usesDevSecret(config) || !config.jwt.secret) return [];
  const lifetime = `${Math.min(12 * 3600, config.jwt.maxTtlSeconds)}s`;
  return Promise.all(
    DEMO_ROLES.map(async ({ email, role }) => ({
      email,
      role,
      token: await signToken(
        config.jwt.secret as string,
        { email },
        { expiresIn: lifetime, issuer: config.jwt.issuer, audience: config.jwt.audience },
      ),
    })),
  );
}
