import http from "node:http";
import { ApolloServer, ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from "graphql";
import { buildGraphQLSchema } from "../resolvers";
import { createTokenVerifier, TokenVerifier } from "./auth/identity";
import { shieldSchema } from "./auth/shield";
import { authenticate } from "./auth/viewer";
import { Clock, systemClock } from "./clock";
import { Config } from "./config";
import { createContext, RequestContext } from "./context";
import { Database } from "./db/database";
import { QueryStats, trackQueries } from "./db/query-stats";
import { databaseFault } from "./db/faults";
import { isDomainError } from "./errors";
import { jitGateway } from "./graphql/jit-executor";
import { exportRouter } from "./reporting/router";
import { createServices, Services } from "./services";

export interface App {
  express: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<RequestContext>;
  services: Services;
  listen(port: number): Promise<number>;
  stop(): Promise<void>;
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

/** R3: domain errors and Apollo's own keep their codes; anything else is masked and logged. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = (error as { originalError?: unknown })?.originalError;
  if (isDomainError(original) || isDomainError(error)) {
    const { http: _http, ...extensions } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { ...formatted, extensions };
  }
  const fault = databaseFault(original ?? error);
  if (fault) return { message: fault.message, path: formatted.path, locations: formatted.locations, extensions: { code: fault.code } };
  const code = formatted.extensions?.code as string | undefined;
  // Apollo's parse/validation errors wrap graphql-js's own error (no path: nothing was executed yet).
  const preExecution = !original || (original instanceof GraphQLError && !formatted.path);
  if (code && PASS_THROUGH.has(code) && preExecution) return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
  if (code === "BAD_USER_INPUT") return { message: formatted.message, locations: formatted.locations, extensions: { code } };
  console.error("[graphql] internal error:", original ?? error);
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
}): Promise<App> {
  const { db, config } = options;
  const clock = options.clock ?? systemClock;
  const services = createServices(clock);
  const verify: TokenVerifier = createTokenVerifier(config.jwt);
  const app = express();
  app.disable("x-powered-by");
  // GraphQL answers are not cached by validators: no SHA-1 of every response body for an ETag.
  app.disable("etag");
  const httpServer = http.createServer(app);

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

  const schema = options.withoutShield ? buildGraphQLSchema() : executableSchema();
  const apollo = new ApolloServer<RequestContext>({
    ...(config.graphqlJit ? { gateway: jitGateway(schema) } : { schema }),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // No cache hints are served; Apollo's default cache-control plugin would wrap every field resolver.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginCacheControlDisabled(),
      ...(config.exposeQueryStats ? [statsPlugin] : []),
    ],
  });
  await apollo.start();

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await db.dataSource.query("SELECT 1");
      res.json({ status: "ready" });
    } catch {
      res.status(503).json({ status: "unavailable", reason: "database is not answering" });
    }
  });

  app.use(exportRouter({ db, clock, verify }));

  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    (req, res, next) => {
      // With EXPOSE_QUERY_STATS, every statement this request runs is counted against it (tests and the
      // benchmark read the count); otherwise nothing is tracked, and no async context is kept for it.
      let run = next;
      if (config.exposeQueryStats) {
        const stats = new QueryStats();
        (req as express.Request & { stats?: QueryStats }).stats = stats;
        run = () => trackQueries(stats, () => next());
      }
      if (db.kind === "mysql") return run();
      // On SQLite each request runs alone, so no read sees another request's uncommitted writes.
      void db.exclusive(
        () =>
          new Promise<void>((resolve) => {
            res.once("finish", resolve);
            res.once("close", resolve);
            run();
          }),
      );
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const stats = (req as express.Request & { stats?: QueryStats }).stats ?? new QueryStats();
        const { access, authError } = await authenticate(db, clock, verify, req.headers.authorization);
        return createContext({ db, clock, services }, access, authError, stats);
      },
    }),
  );

  return {
    express: app,
    httpServer,
    apollo,
    services,
    listen: (port) =>
      new Promise((resolve) => {
        httpServer.listen(port, () => resolve((httpServer.address() as { port: number }).port));
      }),
    stop: async () => {
      await apollo.stop();
      if (httpServer.listening) await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}
