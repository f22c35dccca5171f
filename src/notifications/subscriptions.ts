import type http from "node:http";
import {
  DocumentNode,
  ExecutionArgs,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  GraphQLFormattedError,
  ExecutionResult,
  GraphQLSchema,
  createSourceEventStream,
  execute,
  parse,
  specifiedRules,
  validate,
  ValidationRule,
} from "graphql";
import { useServer } from "graphql-ws/use/ws";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { Access } from "../auth/access";
import type { TokenVerifier } from "../auth/identity";
import { authenticate, reloadAccess } from "../auth/viewer";
import type { Clock } from "../clock";
import type { Config } from "../config";
import type { Database } from "../db/database";
import { InputError, isDomainError, UnauthenticatedError } from "../errors";
import { operationCost } from "../limits/cost";
import { QueryTooComplexError } from "../limits/plugin";
import type { RateLimits } from "../limits/rate-limits";
import { loggableError, Logger } from "../logging";
import type { Services } from "../services";
import type { NotificationBus } from "./bus";
import { Delivery, SubscriptionContext } from "./streams";

/** What one WebSocket connection learned at connection_init: who it is (R1, R36). */
interface Connection {
  access: Access;
  authError: UnauthenticatedError | null;
  address: string;
  /** The viewer's access as last read, and when: a subscription starts on access at most a second old. */
  current: { access: Promise<Access>; at: number };
}

/** How long a connection's reading of the viewer's access serves the subscriptions it starts. */
const ACCESS_FRESH_MS = 1000;

type Extra = { connection?: Connection };

export interface SubscriptionServer {
  /** R33: no new connections; open ones are told to go (1001) and are cut after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/**
 * R36's transport: graphql-ws (protocol graphql-transport-ws) on the HTTP server's `/graphql`, beside
 * Apollo's POST. The bearer token comes in connection_init's payload as `authorization` and is
 * authenticated as the HTTP path does; each subscription gets its own request context. Documents pass
 * the same limits as over HTTP (R30: graphql-armor's rules, the parser's token limit, the cost) and
 * R31's budget; only subscriptions are served here. Errors are formatted (and internal ones masked) by
 * the HTTP path's `formatError`.
 */
export function serveSubscriptions(options: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  db: Database;
  clock: Clock;
  services: Services;
  verify: TokenVerifier;
  bus: NotificationBus;
  config: Config;
  logger: Logger;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** graphql-armor's rules (src/limits/plugin.ts); none without protection. */
  validationRules: readonly ValidationRule[];
  protect: boolean;
  rateLimits: RateLimits | null;
}): SubscriptionServer {
  const { db, clock, services, verify, bus, config, logger, schema } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  const wss = new WebSocketServer({ server: options.httpServer, path: "/graphql", maxPayload: config.maxBodyBytes });
  wss.on("connection", batchWrites);

  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const formatted = options.formatError(error.toJSON(), error);
      if (formatted.extensions?.code === "INTERNAL_SERVER_ERROR") {
        logger.error({ path: error.path, err: loggableError(error.originalError ?? error) }, "internal error in a subscription");
      }
      return formatted;
    });

  const server = useServer<Record<string, unknown> | undefined, Extra>(
    {
      async onConnect(ctx) {
        const header = ctx.connectionParams?.authorization;
        const { access, authError } =
          header === undefined || typeof header === "string"
            ? await db.exclusive(() => authenticate(db, clock, verify, header as string | undefined))
            : { access: Access.anonymous(), authError: new UnauthenticatedError('Send the token as `authorization: "Bearer <JWT>"`.') };
        const request = ctx.extra.request;
        const current = { access: Promise.resolve(access), at: Date.now() };
        ctx.extra.connection = { access, authError, address: request.socket.remoteAddress ?? "unknown", current };
        return true;
      },
      async onSubscribe(ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const connection = ctx.extra.connection as Connection;
        let document: DocumentNode;
        try {
          document = parse(payload.query, options.protect ? { maxTokens: config.limits.maxTokens } : {});
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: "GRAPHQL_PARSE_FAILED" } })];
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length) {
          return invalid.map((error) =>
            isDomainError(error) ? error : new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }),
          );
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new InputError("operationName", "Name the operation to run in operationName.")];
        if (operation.operation !== "subscription") {
          return [new InputError(undefined, "Only subscriptions are served over WebSocket: send queries and mutations as HTTP POST.")];
        }
        const { coerced, errors } = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 10 });
        if (errors?.length) return [new InputError(/Variable "\$([^"]+)"/.exec(errors[0].message)?.[1], errors[0].message)];
        // R1: nothing runs for who has no valid token.
        if (!connection.access.authenticated) return [connection.authError ?? new UnauthenticatedError()];
        // The viewer as they are now (the connection may be old; a burst of subscriptions shares one reading),
        // in a context of this subscription's own.
        if (Date.now() - connection.current.at > ACCESS_FRESH_MS) {
          connection.current = { access: db.exclusive(() => reloadAccess(db, connection.access)), at: Date.now() };
        }
        let access: Access;
        try {
          access = await connection.current.access;
        } catch (error) {
          // The database away (R33): a GraphQL error the client can act on (SERVICE_UNAVAILABLE), not a closed socket.
          return [new GraphQLError("The database could not be reached.", { originalError: error as Error })];
        }
        const context = new SubscriptionContext({ db, clock, services }, access, null, undefined, { address: connection.address });
        context.bus = bus;
        context.logger = logger;
        context.operationKey = JSON.stringify([payload.query, payload.operationName ?? null, coerced ?? {}]);
        if (options.protect) {
          const requested = Math.round(operationCost(schema, document, operation, coerced ?? {}).cost);
          if (requested > config.limits.maxCost) {
            return [
              new QueryTooComplexError(`This subscription costs ${requested}, over the limit of ${config.limits.maxCost}.`, {
                requested,
                limit: config.limits.maxCost,
              }),
            ];
          }
          try {
            await options.rateLimits?.spend(context.principal, requested);
          } catch (error) {
            if (isDomainError(error)) return [error];
            throw error;
          }
        }
        return { schema, document, operationName: payload.operationName, variableValues: coerced, contextValue: context };
      },
      subscribe: sharedSubscribe,
      onError: (_ctx, _id, _payload, errors) => format(errors),
      // Each delivery says when the write it tells of committed (extensions.committedAt): a client's lag is its arrival less that.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(result.errors) } : undefined),
    },
    wss,
  );

  return {
    async close(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const cut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
          resolve();
        }, graceMs);
      });
      await Promise.race([server.dispose(), cut]);
      clearTimeout(timer);
    },
  };
}

/**
 * One write to the network per connection per turn of the event loop, however many messages it sends in
 * that turn: a notification fanned out to a connection's twenty streams leaves as one `writev`, not twenty
 * (R36's latency under a thousand subscriptions was mostly system calls). The first send of a turn corks
 * the TCP socket under the WebSocket; the turn's end (setImmediate, after the burst's microtasks and I/O)
 * uncorks it. ws frames each message as before; only the flush is shared.
 */
function batchWrites(socket: WebSocket): void {
  const tcp = (socket as unknown as { _socket?: Duplex })._socket;
  if (!tcp || typeof tcp.cork !== "function") return;
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  let corked = false;
  const flush = () => {
    corked = false;
    if (!tcp.destroyed) tcp.uncork();
  };
  socket.send = ((...args: unknown[]) => {
    if (!corked && !tcp.destroyed) {
      corked = true;
      tcp.cork();
      setImmediate(flush);
    }
    send(...args);
  }) as WebSocket["send"];
}

/**
 * graphql-js's `subscribe`, but each delivery's result is executed once for all the streams that would
 * compute the same one: the same operation (document, name, variables), judged on the same reading of the
 * viewer's access, for the same notification. A dashboard holding a thousand streams of one query gets one
 * execution per notification instead of a thousand. Every result says when its write committed
 * (`extensions.committedAt`, the server's wall clock): a client's lag is its arrival less that.
 */
async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return source as ExecutionResult;
  const stream = source as AsyncIterableIterator<Delivery<unknown>>;
  const context = args.contextValue as SubscriptionContext;
  const run = (delivery: Delivery<unknown>) => withCommitTime(execute({ ...args, rootValue: delivery }), delivery);
  const resultOf = async (delivery: Delivery<unknown>): Promise<ExecutionResult> => {
    const { from, judgedOn } = delivery;
    if (!from || !judgedOn || !context.operationKey) return run(delivery);
    let byOperation = sharedResults.get(judgedOn);
    if (!byOperation) sharedResults.set(judgedOn, (byOperation = new Map()));
    const key = `${from.id}\u0000${context.operationKey}`;
    let result = byOperation.get(key);
    if (!result) {
      result = run(delivery);
      byOperation.set(key, result);
      const forget = byOperation;
      setTimeout(() => forget.delete(key), SHARED_RESULT_MS).unref();
    }
    return result;
  };
  return {
    async next() {
      const item = await stream.next();
      return item.done ? { value: undefined, done: true } : { value: await resultOf(item.value), done: false };
    },
    return: () => stream.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error) => stream.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  } as AsyncIterableIterator<ExecutionResult>;
}

/** How long a shared result is kept for the streams still judging the same notification. */
const SHARED_RESULT_MS = 1000;

/** Results per reading of a viewer's access (`accessFor` in streams.ts: one per viewer and notification). */
const sharedResults = new WeakMap<object, Map<string, Promise<ExecutionResult>>>();

async function withCommitTime(result: ExecutionResult | Promise<ExecutionResult>, delivery: Delivery<unknown>): Promise<ExecutionResult> {
  const done = await result;
  const committedAt = delivery.from?.committedAt;
  return committedAt ? { ...done, extensions: { ...done.extensions, committedAt } } : done;
}
