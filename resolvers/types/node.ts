import { Field, ID, InterfaceType, ObjectType } from "type-graphql";
import * as entities from "../../entities";
import { NodeType } from "../../src/ids";

/** Entity class → the GraphQL type it is served as, for Node's resolveType. */
const NODE_TYPES = new Map<object, NodeType>([
  [entities.User, "User"],
  [entities.SmartAccount, "SmartAccount"],
  [entities.VirtualAccount, "VirtualAccount"],
  [entities.RoleAssignment, "RoleAssignment"],
  [entities.AccessRequest, "AccessRequest"],
  [entities.Event, "Event"],
  [entities.Product, "Product"],
  [entities.Order, "Order"],
  [entities.License, "License"],
  [entities.ProductInstance, "ProductInstance"],
  [entities.RegistrationToken, "RegistrationToken"],
  [entities.Webhook, "Webhook"],
  [entities.WebhookDelivery, "WebhookDelivery"],
]);

/** Node.id's description, which every Node type's own `id` field (resolvers/node-resolver.ts) repeats. */
export const NODE_ID_DESCRIPTION = "The object's global ID: opaque, stable, and what `node(id:)` takes to fetch it again (R5).";

export const nodeTypeOf = (value: object): NodeType | undefined => NODE_TYPES.get(value.constructor);

@InterfaceType("Node", {
  description: "An object with a globally unique, opaque ID that `node(id:)` fetches again.",
  resolveType: (value: object) => nodeTypeOf(value),
})
export abstract class Node {
  @Field(() => ID, { description: NODE_ID_DESCRIPTION })
  id!: string;
}

@ObjectType("PageInfo", { simpleResolvers: true, description: "Where a connection's page sits in the whole list (R5)." })
export class PageInfo {
  @Field({ description: "True when more items follow this page: ask again with `after: endCursor`." })
  hasNextPage!: boolean;
  @Field({ description: "True when this page was asked for with `after`, i.e. it is not the first page." })
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: "The cursor of the page's first item; null when the page is empty." })
  startCursor!: string | null;
  @Field(() => String, {
    nullable: true,
    description: "The cursor of the page's last item, to pass as `after` for the next page; null when the page is empty.",
  })
  endCursor!: string | null;
}
