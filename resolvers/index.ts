import "reflect-metadata";
// schema/schema.graphql lists types and fields in the order type-graphql registered them, which is the
// order these modules load: first the type files (the Node types in this order), then the resolvers,
// whose fields join their types, and whose queries and mutations join Query and Mutation, in this order.
// Reordering these imports reorders the emitted SDL (test/schema.test.ts then asks for a re-emit).
import "./types/users";
import "./types/accounts";
import "./types/catalog";
import "./types/roles";
import "./types/events";
import "./types/devices";
import "./types/licenses";
import "./types/orders";
import "./types/preferences";
import "./types/webhooks";
import "./types/subscriptions";
import { GraphQLInterfaceType, GraphQLSchema } from "graphql";
import { buildSchemaSync, PubSub } from "type-graphql";
import { DeviceResolver, RegistrationTokenResolver, SmartAccountDevicesResolver, VirtualAccountDevicesResolver } from "./devices.resolver";
import { EventResolver } from "./events.resolver";
import {
  LicenseResolver,
  SmartAccountLicensesResolver,
  TransferLicensesPayloadResolver,
  UsageSummaryEntryResolver,
  VirtualAccountLicensesResolver,
} from "./licenses.resolver";
import { AlertOrderResolver, OrderLineResolver, OrderResolver, SmartAccountOrdersResolver } from "./orders.resolver";
import { NotificationPreferencesResolver, SmartAccountPreferencesResolver } from "./preferences.resolver";
import { QueryResolver } from "./query.resolver";
import { SubscriptionResolver } from "./subscriptions.resolver";
import { ProductResolver } from "./catalog.resolver";
import { AccessRequestResolver, RoleAssignmentResolver } from "./roles.resolver";
import { SmartAccountResolver, VirtualAccountResolver } from "./accounts.resolver";
import { UserResolver, ViewerResolver } from "./users.resolver";
import { SmartAccountWebhooksResolver, WebhookDeliveryResolver, WebhookResolver } from "./webhooks.resolver";
import { nodeTypeOf } from "./types/node";
import { DateTimeScalar } from "./types/scalars";

/** Every resolver, by domain folder (src/<domain> ↔ resolvers/<domain>.resolver.ts ↔ resolvers/types/<domain>.ts). */
export const RESOLVERS = [
  QueryResolver,
  // accounts
  SmartAccountResolver,
  VirtualAccountResolver,
  // users
  UserResolver,
  ViewerResolver,
  // roles
  RoleAssignmentResolver,
  AccessRequestResolver,
  // events
  EventResolver,
  // catalog
  ProductResolver,
  // licenses
  SmartAccountLicensesResolver,
  VirtualAccountLicensesResolver,
  LicenseResolver,
  TransferLicensesPayloadResolver,
  UsageSummaryEntryResolver,
  // orders
  SmartAccountOrdersResolver,
  OrderResolver,
  OrderLineResolver,
  AlertOrderResolver,
  // devices
  SmartAccountDevicesResolver,
  VirtualAccountDevicesResolver,
  DeviceResolver,
  RegistrationTokenResolver,
  // notifications (R38 mail choices)
  SmartAccountPreferencesResolver,
  NotificationPreferencesResolver,
  // notifications: webhooks (R37)
  SmartAccountWebhooksResolver,
  WebhookResolver,
  WebhookDeliveryResolver,
  // notifications
  SubscriptionResolver,
] as const;

let schema: GraphQLSchema | null = null;

/**
 * Each subscription opens its own stream on the notification bus in its `subscribe`
 * (src/notifications/streams.ts); type-graphql asks for a PubSub of topics all the same, and none is used.
 */
const NO_TOPICS: PubSub = {
  publish: () => {
    throw new Error("Notifications are published on the notification bus (src/notifications/bus.ts), not by topic.");
  },
  subscribe: () => {
    throw new Error("Subscriptions open their streams on the notification bus (src/notifications/streams.ts), not by topic.");
  },
};

/** The executable schema (without the shield; src/app.ts applies it). Built once per process. */
export function buildGraphQLSchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    emitSchemaFile: false,
    pubSub: NO_TOPICS,
  });
  // type-graphql makes every resolveType async; graphql-jit (src/graphql/jit-executor.ts) resolves
  // abstract types synchronously, as the Node mapping is.
  (schema.getType("Node") as GraphQLInterfaceType).resolveType = (value) => nodeTypeOf(value as object);
  describeRootTypes(schema);
  return schema;
}

/** type-graphql builds Query and Mutation itself, with no way to describe them: they are described here. */
function describeRootTypes(built: GraphQLSchema): void {
  const query = built.getQueryType();
  if (query) query.description = "The graph's entry points. Every query needs a signed-in user (R1).";
  const subscription = built.getSubscriptionType();
  if (subscription) subscription.description = "Live streams over graphql-ws on /graphql, the bearer token in connection_init (R36).";
  const mutation = built.getMutationType();
  if (mutation) {
    mutation.description =
      "Every change to the graph. Each needs a signed-in user, except the two a device makes with its own secret (R1); each says who may make it. A mutation that fails changes nothing (R3), one that succeeds records one event (R29).";
  }
}
