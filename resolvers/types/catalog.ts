import { Field, InputType, ObjectType, registerEnumType } from "type-graphql";
import { LicenseModel } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The catalog domain (src/catalog): the products licenses are bought for (R2).

registerEnumType(LicenseModel, { name: "LicenseModel" });

@ObjectType("Product", { simpleResolvers: true, implements: Node })
export class ProductObject extends Node {
  @Field()
  sku!: string;
  @Field()
  name!: string;
  @Field(() => LicenseModel)
  model!: LicenseModel;
  @Field()
  smartEnabled!: boolean;
}

export const ProductConnection = ConnectionType("Product", ProductObject);

@InputType("UpsertProductInput")
export class UpsertProductInput {
  @Field()
  sku!: string;
  @Field()
  name!: string;
  @Field(() => LicenseModel)
  model!: LicenseModel;
  @Field()
  smartEnabled!: boolean;
}
