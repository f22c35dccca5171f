import { allow, and, deny, rule, shield } from "graphql-shield";
import { GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { IRuleFieldMap, IRules, IRuleTypeMap } from "graphql-shield/typings/types";
import { ProductInstance, SmartAccount, VirtualAccount } from "../../entities";
import { RequestContext } from "../context";
import { ForbiddenError, UnauthenticatedError } from "../errors";
import { Capability, forbiddenMessage } from "./capabilities";
import { MutationRule, MUTATIONS } from "./mutations";

/** R1: every operation needs a valid token (the device mutations of R24/R25 carry their own credential). */
const isAuthenticated = rule({ cache: "contextual" })((_parent, _args, context: RequestContext) =>
  context.access.authenticated ? true : (context.authError ?? new UnauthenticatedError()),
);

/** graphql-shield wants one instance per named rule: build each rule once. */
function memo<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    if (!made.has(key)) made.set(key, make(key));
    return made.get(key) as T;
  };
}

/** A guarded Smart Account field: the capability must reach somewhere in the account (lists are then scoped in SQL). */
const inAccount = memo((capability) =>
  rule(`inAccount:${capability}`, { cache: "no_cache" })((account: SmartAccount, _args, context: RequestContext) =>
    context.access.canAnywhere(capability as Capability, account.id) ? true : new ForbiddenError(forbiddenMessage(capability as Capability)),
  ),
);

/** A guarded Virtual Account field: the capability must cover this Virtual Account. */
const onVirtualAccount = memo((capability) =>
  rule(`onVirtualAccount:${capability}`, { cache: "no_cache" })((va: VirtualAccount, _args, context: RequestContext) =>
    context.access.can(capability as Capability, va) ? true : new ForbiddenError(forbiddenMessage(capability as Capability, va.name)),
  ),
);

/** A user may read a device where they may see devices (its Virtual Account in their licenses:read reach). */
const canSeeDevice = rule({ cache: "no_cache" })(async (device: ProductInstance, _args, context: RequestContext) => {
  // An anonymous caller runs only the device mutations (the operation guard refuses anything else before
  // execution): this is a device reading its own payload.
  if (!context.access.authenticated)
    return new ForbiddenError(
      "A device may read only its own instance's fields (id, PID, serial number, hostname, dates, usage), not where it sits.",
    );
  return (await context.guard.sees("ProductInstance", device, (id) => context.loaders.virtualAccount.load(id)))
    ? true
    : new ForbiddenError("You may not see this product instance.");
});

/** R2: a service scope carried by the token (e.g. catalog:write). */
const hasScope = memo((scope) =>
  rule(`hasScope:${scope}`, { cache: "contextual" })((_parent, _args, context: RequestContext) =>
    context.access.hasScope(scope) ? true : new ForbiddenError(`This needs a token with the ${scope} scope (an integration's, not a role's).`),
  ),
);

/**
 * The shield's half of the mutation table: what can be judged before the object is loaded. A
 * capability on an object cannot (R4: an object the viewer cannot see is NOT_FOUND, not FORBIDDEN),
 * so those mutations need a signed-in caller here and their capability in the service.
 */
function mutationRules(): IRuleFieldMap {
  const rules: IRuleFieldMap = {};
  for (const [name, entry] of Object.entries(MUTATIONS) as [string, MutationRule][]) {
    if ("device" in entry)
      rules[name] = allow; // R24, R25: the device's secret, checked by its service.
    else if ("scope" in entry && !entry.namesAccount) rules[name] = and(isAuthenticated, hasScope(entry.scope));
    else rules[name] = isAuthenticated;
  }
  return rules;
}

const connection = (name: string): IRuleTypeMap => ({ [`${name}Connection`]: allow, [`${name}Edge`]: allow });

/** SPEC §8's types (the fields that lead to them are ruled in RULES). */
const NOTIFICATION_RULES: IRuleTypeMap = {
  // R36: a subscription is judged when it starts (its `subscribe`, src/notifications/subscriptions.ts) and
  // again before every delivery; these rules cover the values it yields.
  Subscription: { events: isAuthenticated, alertChanges: isAuthenticated },
  AlertChange: allow,
  // R37: webhooks are reached through SmartAccount.webhooks, node() and their own mutations.
  Webhook: allow,
  WebhookDelivery: allow,
  CreateWebhookPayload: allow,
  NotificationPreferences: allow,
  ...connection("Webhook"),
  ...connection("WebhookDelivery"),
};

/**
 * The declarative map from fields to capabilities (SPEC §5) at the API boundary. Anything not named
 * here is denied. Mutations are each ruled here and re-checked inside their service, because a denial
 * on a payload field would come after the write.
 */
export const RULES: IRules = {
  Query: {
    viewer: isAuthenticated,
    node: isAuthenticated,
    nodes: isAuthenticated,
    smartAccount: isAuthenticated,
    products: isAuthenticated,
  },
  // Every mutation as src/auth/mutations.ts says; its service asserts the same entry on what it locked.
  Mutation: mutationRules(),
  ...NOTIFICATION_RULES,
  Viewer: allow,
  User: allow,
  Product: allow,
  PageInfo: allow,
  SmartAccount: {
    "*": allow,
    roleAssignments: inAccount("roles:read"),
    accessRequests: inAccount("accessRequests:manage"),
    events: inAccount("events:read"),
    orders: inAccount("orders:read"),
    licensePools: inAccount("licenses:read"),
    licenses: inAccount("licenses:read"),
    alerts: inAccount("licenses:read"),
    productInstances: inAccount("licenses:read"),
    usageSummary: inAccount("licenses:read"),
    webhooks: inAccount("webhooks:manage"),
  },
  VirtualAccount: {
    "*": allow,
    roleAssignments: onVirtualAccount("roles:read"),
    events: onVirtualAccount("events:read"),
    licenses: onVirtualAccount("licenses:read"),
    licensePools: onVirtualAccount("licenses:read"),
    alerts: onVirtualAccount("licenses:read"),
    productInstances: onVirtualAccount("licenses:read"),
    registrationTokens: onVirtualAccount("licenses:read"),
  },
  RoleAssignment: allow,
  AccessRequest: allow,
  Event: allow,
  License: allow,
  LicensePool: allow,
  Alert: allow,
  UsageSummaryEntry: allow,
  Order: allow,
  OrderLine: allow,
  TransferLicensesPayload: allow,
  // Users reach devices only through SQL-scoped lists, node() and alerts; a device only through its own
  // mutations' payloads, whose plain fields (R24: id, pid, serialNumber, hostname, dates, usage) are its own.
  // What leads further, its Virtual Account, is for users who may see devices there, never for a device.
  ProductInstance: {
    "*": allow,
    virtualAccount: canSeeDevice,
  },
  LicenseUsage: allow,
  RegistrationToken: allow,
  CreateRegistrationTokenPayload: allow,
  RegisterProductInstancePayload: allow,

  ...connection("SmartAccount"),
  ...connection("VirtualAccount"),
  ...connection("Product"),
  ...connection("RoleAssignment"),
  ...connection("AccessRequest"),
  ...connection("Event"),
  ...connection("License"),
  ...connection("Order"),
  ...connection("ProductInstance"),
  ...connection("RegistrationToken"),
};

/**
 * The shield for a schema. While SPEC §8's types are being built (issue "Notifications"), the rules of
 * those not in the schema yet are left out; every other rule must find its type (graphql-shield checks).
 */
function permissionsFor(schema: GraphQLSchema) {
  const rules = Object.fromEntries(
    Object.entries(RULES as Record<string, unknown>).filter(([type]) => !(type in NOTIFICATION_RULES) || schema.getType(type)),
  ) as IRules;
  return shield(rules, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: () => new ForbiddenError(),
  });
}

/** True where the rule map says `allow` for this field explicitly (by field, by `*`, or for the whole type). */
function explicitlyAllowed(type: string, field: string): boolean {
  const rules = (RULES as Record<string, unknown>)[type];
  if (rules === allow) return true;
  if (!rules || typeof rules !== "object" || !("*" in rules || field in rules)) return false;
  const map = rules as Record<string, unknown>;
  return field in map ? map[field] === allow : map["*"] === allow;
}

/**
 * The schema behind the shield. graphql-shield wraps every field in an async middleware, which for a
 * response of 100,000 plain fields costs more than the query itself; so the generated middleware is kept
 * for every field except those the map explicitly `allow`s. Guarded fields keep their rules, and any
 * field the map does not name still gets the fallback `deny`.
 */
export function shieldSchema(schema: GraphQLSchema): GraphQLSchema {
  const permissions = permissionsFor(schema);
  const generated = (permissions as unknown as { generate(schema: GraphQLSchema): Record<string, Record<string, unknown>> }).generate(schema);
  const guarded: Record<string, Record<string, unknown>> = {};
  for (const [type, fields] of Object.entries(generated)) {
    for (const [field, middleware] of Object.entries(fields)) {
      if (explicitlyAllowed(type, field)) continue;
      (guarded[type] ??= {})[field] = middleware;
    }
  }
  return applyMiddleware(schema, guarded as never);
}
