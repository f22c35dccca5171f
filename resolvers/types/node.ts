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
]);

export const nodeTypeOf = (value: object): NodeType | undefined => NODE_TYPES.get(value.constructor);

@InterfaceType("Node", {
  description: "An object with a globally unique, opaque ID that `node(id:)` fetches again.",
  resolveType: (value: object) => nodeTypeOf(value),
})
export abstract class Node {
  @Field(() => ID)
  id!: string;
}

@ObjectType("PageInfo", { simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;
  @Field()
  hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true })
  startCursor!: string | null;
  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}
