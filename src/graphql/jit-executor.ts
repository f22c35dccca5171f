import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { GraphQLError, GraphQLSchema, printSchema } from "graphql";
import { compileQuery, CompiledQuery, isCompiledQuery } from "graphql-jit";

/**
 * How much compiled code stays cached, in bytes (estimated from each operation's generated source);
 * the least recently used operation goes first. Bounded by memory, not by count, so large documents
 * cannot pile up: R30's limits have already refused what would be too large to compile at all.
 */
export const DEFAULT_JIT_CACHE_BYTES = 64 * 1024 * 1024;
/** Compiled functions, their closures and serializers take a few times their source text. */
const BYTES_PER_SOURCE_CHAR = 4;
const ENTRY_OVERHEAD_BYTES = 16 * 1024;

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter: each distinct operation is
 * compiled once to a JavaScript function over the same schema (shield middleware included), so the
 * per-field cost of large answers — a dashboard's tens of thousands of pools — drops.
 * Apollo Server 5 takes a custom executor only through its gateway interface; parsing, validation,
 * plugins and error formatting stay Apollo's.
 */
export function jitGateway(schema: GraphQLSchema, cacheBytes = DEFAULT_JIT_CACHE_BYTES): GatewayInterface & { cachedBytes(): number } {
  const compiled = new Map<string, { query: CompiledQuery; bytes: number }>();
  let cached = 0;
  const executor: GatewayExecutor = async (request) => {
    const key = `${request.queryHash}:${request.operationName ?? ""}`;
    let entry = compiled.get(key);
    if (entry) {
      compiled.delete(key); // refresh its place in the LRU order
    } else {
      const result = compileQuery(schema, request.document, request.operationName ?? undefined, { debug: true } as never);
      if (!isCompiledQuery(result)) return { ...result, errors: result.errors?.map(asGraphQLError) };
      const debug = result as { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?: string };
      const source = debug.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation?.length ?? request.source.length * 50;
      delete debug.__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
      entry = { query: result, bytes: ENTRY_OVERHEAD_BYTES + source * BYTES_PER_SOURCE_CHAR };
      cached += entry.bytes;
      while (cached > cacheBytes && compiled.size) {
        const [oldest, dropped] = compiled.entries().next().value as [string, { bytes: number }];
        compiled.delete(oldest);
        cached -= dropped.bytes;
      }
    }
    compiled.set(key, entry);
    if (entry.bytes > cacheBytes) {
      compiled.delete(key); // too large to keep: run it once
      cached -= entry.bytes;
    }
    const result = await entry.query.query(undefined, request.context, request.request.variables ?? {});
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
  return {
    cachedBytes: () => cached,
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    load: async () => ({ executor }),
    stop: async () => undefined,
  };
}

/**
 * graphql-jit's errors leave `extensions` undefined when the thrown error had none, which Apollo's
 * error formatting does not expect: rebuild each as graphql-js would have (extensions from the
 * original error, path and locations kept).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? (error.originalError as GraphQLError | undefined)?.extensions,
  });
  (rebuilt as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return rebuilt;
}
