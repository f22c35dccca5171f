import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { LicenseKind, OrderStatus } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The orders domain (src/orders): orders from the commerce system and their lines (R15–R18). Plain
// fields are read off the entities; relations come from the field resolvers in orders.resolver.ts.

registerEnumType(OrderStatus, {
  name: "OrderStatus",
  description: "Whether an order's licenses have been delivered (R16).",
  valuesConfig: {
    PENDING: { description: "Booked against a Smart Account that is not active yet: no licenses delivered." },
    FULFILLED: { description: "Delivered: each line became a license lot in its Virtual Account (R16)." },
  },
});

@ObjectType("Order", {
  simpleResolvers: true,
  implements: Node,
  description:
    "An order of the commerce system, placed into a Smart Account; its lines deliver the licenses (R15, R16). Its placer may read it even without a role in the account.",
})
export class OrderObject extends Node {
  @Field({ description: "The order's unique, human-readable number." })
  number!: string;
  @Field(() => OrderStatus, { description: "PENDING until the licenses are delivered, then FULFILLED (R16)." })
  status!: OrderStatus;
  @Field({ description: "When the order was booked; term licenses start then (R16)." })
  createdAt!: Date;
}

@ObjectType("OrderLine", { simpleResolvers: true, description: "One product of an order, delivered as one license lot (R16)." })
export class OrderLineObject {
  @Field(() => LicenseKind, { description: "SMART or CLASSIC; a CLASSIC line's lot gets a generated PAK (R16)." })
  kind!: LicenseKind;
  @Field(() => Int, { description: "How many licenses the line orders (1–1,000,000, R15)." })
  quantity!: number;
  @Field({ description: "When the line's licenses start: when the order was booked (R16)." })
  startsAt!: Date;
  @Field(() => Date, { nullable: true, description: "When a term line's licenses end, termMonths after booking; null for perpetual products (R16)." })
  endsAt!: Date | null;
}

export const OrderConnection = ConnectionType("Order", OrderObject, "orders");

@InputType("OrderLineInput", { description: "One line of an order (R15)." })
export class OrderLineInput {
  @Field({ description: "An existing product's SKU, case aside (BAD_USER_INPUT otherwise)." })
  sku!: string;
  @Field(() => Int, { description: "How many licenses: 1–1,000,000." })
  quantity!: number;
  @Field(() => LicenseKind, {
    nullable: true,
    defaultValue: LicenseKind.SMART,
    description: "SMART (the default) needs a smart-enabled product; CLASSIC lots get a PAK.",
  })
  kind?: LicenseKind | null;
  @Field(() => Int, { nullable: true, description: "The term in months, 1–120: required for TERM products, forbidden for PERPETUAL ones (R15)." })
  termMonths?: number | null;
  @Field(() => ID, { nullable: true, description: "Defaults to the Smart Account's default Virtual Account." })
  virtualAccountId?: string | null;
}

@InputType("PlaceOrderInput", { description: "An order from the commerce system; needs the orders:write scope, which no role replaces (R2, R15)." })
export class PlaceOrderInput {
  @Field({ description: "The domain of the Smart Account the order is for, case aside." })
  smartAccountDomain!: string;
  @Field(() => [OrderLineInput], { description: "1–100 lines (R15)." })
  lines!: OrderLineInput[];
}

@InputType("AssignOrderInput", { description: "Moves an order out of a partner holding account to a customer's account, with its licenses (R18)." })
export class AssignOrderInput {
  @Field(() => ID, { description: "An order that sits in a partner holding account." })
  orderId!: string;
  @Field({ description: "The domain of the CUSTOMER or LIMITED_USE account that gets it; the caller needs no role there (R18)." })
  smartAccountDomain!: string;
  @Field(() => ID, { nullable: true, description: "A Virtual Account of that account to deliver into; omit for its default Virtual Account." })
  virtualAccountId?: string | null;
}
