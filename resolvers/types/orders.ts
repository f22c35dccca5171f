import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { LicenseKind, OrderStatus } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The orders domain (src/orders): orders from the commerce system and their lines (R15–R18). Plain
// fields are read off the entities; relations come from the field resolvers in orders.resolver.ts.

registerEnumType(OrderStatus, {
  name: "OrderStatus",
  valuesConfig: { PENDING: { description: "Booked against a Smart Account that is not active yet: no licenses delivered." } },
});

@ObjectType("Order", { simpleResolvers: true, implements: Node })
export class OrderObject extends Node {
  @Field()
  number!: string;
  @Field(() => OrderStatus)
  status!: OrderStatus;
  @Field()
  createdAt!: Date;
}

@ObjectType("OrderLine", { simpleResolvers: true })
export class OrderLineObject {
  @Field(() => LicenseKind)
  kind!: LicenseKind;
  @Field(() => Int)
  quantity!: number;
  @Field()
  startsAt!: Date;
  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;
}

export const OrderConnection = ConnectionType("Order", OrderObject);

@InputType("OrderLineInput")
export class OrderLineInput {
  @Field()
  sku!: string;
  @Field(() => Int)
  quantity!: number;
  @Field(() => LicenseKind, { nullable: true, defaultValue: LicenseKind.SMART })
  kind?: LicenseKind | null;
  @Field(() => Int, { nullable: true, description: "Required for TERM products, forbidden for PERPETUAL ones." })
  termMonths?: number | null;
  @Field(() => ID, { nullable: true, description: "Defaults to the Smart Account's default Virtual Account." })
  virtualAccountId?: string | null;
}

@InputType("PlaceOrderInput")
export class PlaceOrderInput {
  @Field()
  smartAccountDomain!: string;
  @Field(() => [OrderLineInput])
  lines!: OrderLineInput[];
}

@InputType("AssignOrderInput")
export class AssignOrderInput {
  @Field(() => ID)
  orderId!: string;
  @Field()
  smartAccountDomain!: string;
  @Field(() => ID, { nullable: true })
  virtualAccountId?: string | null;
}
