import "reflect-metadata";
import "./types/enums";
import { GraphQLInterfaceType, GraphQLSchema } from "graphql";
import { buildSchemaSync } from "type-graphql";
import {
  ProductInstanceResolver,
  RegistrationTokenResolver,
  SmartAccountDevicesResolver,
  VirtualAccountDevicesResolver,
} from "./device.resolver";
import { EventResolver } from "./event.resolver";
import {
  LicenseResolver,
  SmartAccountLicensesResolver,
  TransferLicensesPayloadResolver,
  UsageSummaryEntryResolver,
  VirtualAccountLicensesResolver,
} from "./licensing.resolver";
import { OrderLineResolver, OrderResolver, SmartAccountOrdersResolver } from "./order.resolver";
import { QueryResolver } from "./query.resolver";
import { AccessRequestResolver, RoleAssignmentResolver } from "./role.resolver";
import { SmartAccountResolver } from "./smart-account.resolver";
import { nodeTypeOf } from "./types/node";
import { DateTimeScalar } from "./types/scalars";
import { ProductResolver, UserResolver } from "./user.resolver";
import { ViewerResolver } from "./viewer.resolver";
import { VirtualAccountResolver } from "./virtual-account.resolver";

export const RESOLVERS = [
  QueryResolver,
  ViewerResolver,
  SmartAccountResolver,
  VirtualAccountResolver,
  RoleAssignmentResolver,
  AccessRequestResolver,
  EventResolver,
  UserResolver,
  ProductResolver,
  SmartAccountLicensesResolver,
  VirtualAccountLicensesResolver,
  LicenseResolver,
  TransferLicensesPayloadResolver,
  UsageSummaryEntryResolver,
  SmartAccountOrdersResolver,
  OrderResolver,
  OrderLineResolver,
  SmartAccountDevicesResolver,
  VirtualAccountDevicesResolver,
  ProductInstanceResolver,
  RegistrationTokenResolver,
] as const;

let schema: GraphQLSchema | null = null;

/** The executable schema (without the shield; src/app.ts applies it). Built once per process. */
export function buildGraphQLSchema(): GraphQLSchema {
  schema ??= buildSchemaSync({
    resolvers: RESOLVERS,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
    emitSchemaFile: false,
  });
  // type-graphql makes every resolveType async; graphql-jit (src/graphql/jit-executor.ts) resolves
  // abstract types synchronously, as the Node mapping is.
  (schema.getType("Node") as GraphQLInterfaceType).resolveType = (value) => nodeTypeOf(value as object);
  return schema;
}
