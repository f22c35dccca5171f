import type { GatewayExecutor, GatewayInterface } from "@apollo/server-gateway-interface";
import { GraphQLError, GraphQLSchema, printSchema } from "graphql";
import { compileQuery, CompiledQuery, isCompiledQuery } from "graphql-jit";

/** How many distinct operations stay compiled; the least recently used one goes first. */
const CACHE_SIZE = 1000;

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter: each distinct operation is
 * compiled once to a JavaScript function over the same schema (shield middleware included), so the
 * per-field cost of large answers — a dashboard's tens of thousands of pools — drops.
 * Apollo Server 5 takes a custom executor only through its gateway interface; parsing, validation,
 * plugins and error formatting stay Apollo's.
 */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  const compiled = new Map<string, CompiledQuery>();
  const executor: GatewayExecutor = async (request) => {
    const key = `${request.queryHash}:${request.operationName ?? ""}`;
    let query = compiled.get(key);
    if (query) {
      compiled.delete(key); // refresh its place in the LRU order
    } else {
      const result = compileQuery(schema, request.document, request.operationName ?? undefined);
      if (!isCompiledQuery(result)) return { ...result, errors: result.errors?.map(asGraphQLError) };
      query = result;
      if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
    }
    compiled.set(key, query);
    const result = await query.query(undefined, request.context, request.request.variables ?? {});
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };
  return {
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
