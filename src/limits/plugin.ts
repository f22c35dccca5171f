import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { ApolloServerPlugin } from "@apollo/server";
import {
  DocumentNode,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationContext,
  ValidationRule,
} from "graphql";
import type { RequestContext } from "../context";
import { DomainError, InputError, UnauthenticatedError } from "../errors";
import { operationCost } from "./cost";
import { Budget, RateLimits } from "./rate-limits";

/** R30's limits (README: Operation limits). */
export interface OperationLimits {
  maxCost: number;
  /** Field selections once fragments are expanded: what an executor compiles and walks. */
  maxFields: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  /** How deeply a variable's value may nest (objects and lists). */
  maxVariableDepth: number;
}

/** R30: an operation over a limit. `extensions.cost` tells what it asked for and what is allowed. */
/** R30: the most ids one `nodes(ids:)` takes. */
export const MAX_NODE_IDS = 500;

export class QueryTooComplexError extends DomainError {
  readonly code = "QUERY_TOO_COMPLEX";
  constructor(message: string, cost: { requested: number; limit: number }) {
    super(message, { cost, http: { status: 400 } }, "QUERY_TOO_COMPLEX");
  }
}

/** The two mutations devices call with their own secrets instead of a bearer token (R1, R24, R25). */
const DEVICE_MUTATIONS = new Set(["registerProductInstance", "reportUsage"]);
const INTROSPECTION = new Set(["__schema", "__type", "__typename"]);

/**
 * Depth, aliases and repeated directives, checked while the document is validated (GraphQL Armor's
 * rules), each refusal a QUERY_TOO_COMPLEX naming the limit. Tokens are limited by the parser itself
 * (`parseOptions.maxTokens`). Field suggestions ("Did you mean …") are masked.
 */
export function armorRules(limits: OperationLimits): { plugins: ApolloServerPlugin<RequestContext>[]; validationRules: ValidationRule[] } {
  const refuse = (limit: number) => (context: ValidationContext | null, error: GraphQLError) => {
    const found = Number(/found (\d+)/.exec(error.message)?.[1] ?? limit + 1);
    context?.reportError(new QueryTooComplexError(error.message.replace(/^Syntax Error: /, ""), { requested: found, limit }));
  };
  const rule = (n: number) => ({ n, exposeLimits: true, propagateOnRejection: false, onReject: [refuse(n)] });
  const armor = new ApolloArmor({
    costLimit: { enabled: false }, // R30's cost needs the variables (first: $n): priced in `operationGuard`
    maxTokens: { enabled: false }, // graphql-js's parser counts tokens itself, as a parse error
    maxDepth: { ...rule(limits.maxDepth), flattenFragments: true },
    maxAliases: rule(limits.maxAliases),
    maxDirectives: rule(limits.maxDirectives),
    blockFieldSuggestion: { enabled: true },
  });
  const { plugins, validationRules } = armor.protect();
  return { plugins: plugins as ApolloServerPlugin<RequestContext>[], validationRules };
}

/** What the guard learned about the request, for the response's extensions and the request log. */
interface OperationMeta {
  cost: { requested: number; limit: number } | null;
  rateLimit: Budget | null;
}

/**
 * Runs after the document is parsed and validated and before anything executes or compiles:
 * 1. the variables are coerced here, for either executor, so a value that does not fit its type is a
 *    BAD_USER_INPUT naming the variable (graphql-jit would otherwise fail it as an internal error);
 * 2. an anonymous caller may run only the two device mutations (and, where introspection is on, an
 *    introspection query): anything else is UNAUTHENTICATED before it is compiled;
 * 3. the cost (R30) is priced from the document and variables: over the limit, QUERY_TOO_COMPLEX;
 * 4. the principal's budget (R31) pays for it, or the request is RATE_LIMITED.
 * Every response then reports `extensions.cost`.
 */
export function operationGuard(options: {
  schema: GraphQLSchema;
  limits: OperationLimits;
  rateLimits: RateLimits | null;
  introspection: boolean;
}): ApolloServerPlugin<RequestContext> {
  const { schema, limits, rateLimits } = options;
  return {
    async requestDidStart() {
      const meta: OperationMeta = { cost: null, rateLimit: null };
      return {
        async didResolveOperation({ request, document, operation, contextValue: context }) {
          if (!operation) {
            throw refusedRequest(
              "operationName",
              request.operationName
                ? `The document has no operation named "${request.operationName}".`
                : "The document has several operations: name one in operationName.",
            );
          }
          if (operation.operation === "subscription") {
            throw refusedRequest(undefined, "Subscriptions are not served over HTTP POST.");
          }
          const variables = coerceVariables(schema, operation, request.variables ?? {}, limits.maxVariableDepth);
          const authenticated = context.access.authenticated;
          if (!authenticated && !anonymousMayRun(document, operation, options.introspection)) {
            throw context.authError ?? new UnauthenticatedError();
          }
          const size = operationCost(schema, document, operation, variables);
          const requested = Math.round(size.cost);
          meta.cost = { requested, limit: limits.maxCost };
          if (context.log) context.log.cost = requested;
          if (size.fields > limits.maxFields) {
            throw new QueryTooComplexError(
              `This operation selects ${size.fields} fields once its fragments are expanded, over the limit of ${limits.maxFields}.`,
              { requested: size.fields, limit: limits.maxFields },
            );
          }
          if ((size.nodeIds ?? 0) > MAX_NODE_IDS) {
            throw new QueryTooComplexError(`nodes(ids:) takes at most ${MAX_NODE_IDS} ids; this operation gives ${size.nodeIds}.`, {
              requested: size.nodeIds ?? 0,
              limit: MAX_NODE_IDS,
            });
          }
          if (requested > limits.maxCost) {
            throw new QueryTooComplexError(
              `This operation costs ${requested}, over the limit of ${limits.maxCost}. Ask for smaller pages (first) or fewer nested connections.`,
              meta.cost,
            );
          }
          if (rateLimits) meta.rateLimit = await rateLimits.spend(context.principal, requested);
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, cost: meta.cost ?? { requested: 0, limit: limits.maxCost } };
        },
      };
    },
  };
}

/** A BAD_USER_INPUT refusing the whole request before it runs: HTTP 400 (R3). */
function refusedRequest(field: string | undefined, message: string): InputError {
  const error = new InputError(field, message);
  (error.extensions as Record<string, unknown>).http = { status: 400 };
  return error;
}

/** graphql-js's own coercion, so both executors refuse the same values the same way. */
function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: Record<string, unknown>,
  maxDepth: number,
): Record<string, unknown> {
  for (const [name, value] of Object.entries(raw)) {
    if (depthOf(value, maxDepth + 1) > maxDepth) throw refusedRequest(name, `Variable "$${name}" nests deeper than ${maxDepth} levels.`);
  }
  const { coerced, errors } = getVariableValues(schema, operation.variableDefinitions ?? [], raw, { maxErrors: 10 });
  if (errors?.length) {
    const first = errors[0];
    // The field is where in the variable the value was refused ("input.topics[0]"), or the variable itself.
    const field = / at "([^"]+)"/.exec(first.message)?.[1] ?? /Variable "\$([^"]+)"/.exec(first.message)?.[1];
    throw refusedRequest(field, first.message);
  }
  return coerced ?? {};
}

/** How deeply `value` nests, counted up to `stop` (so a hostile value is not walked whole). */
function depthOf(value: unknown, stop: number, depth = 0): number {
  if (depth >= stop || value === null || typeof value !== "object") return depth;
  let deepest = depth;
  for (const item of Object.values(value as object)) {
    deepest = Math.max(deepest, depthOf(item, stop, depth + 1));
    if (deepest >= stop) break;
  }
  return deepest;
}

/** R1: the device mutations (which carry their own secret), or introspection where it is served. */
function anonymousMayRun(document: DocumentNode, operation: OperationDefinitionNode, introspection: boolean): boolean {
  const fields = topLevelFields(document, operation.selectionSet);
  if (operation.operation === "mutation") return fields.every((name) => DEVICE_MUTATIONS.has(name) || name === "__typename");
  return introspection && operation.operation === "query" && fields.every((name) => INTROSPECTION.has(name));
}

function topLevelFields(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...topLevelFields(document, selection.selectionSet, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value);
      if (fragment && fragment.kind === Kind.FRAGMENT_DEFINITION) names.push(...topLevelFields(document, fragment.selectionSet, seen));
    }
  }
  return names;
}
