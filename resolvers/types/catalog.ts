import { Field, InputType, ObjectType, registerEnumType } from "type-graphql";
import { LicenseModel } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The catalog domain (src/catalog): the products licenses are bought for (R2).

registerEnumType(LicenseModel, {
  name: "LicenseModel",
  description: "How a product is sold: once for good, or for a term (R15, R16).",
  valuesConfig: {
    PERPETUAL: { description: "Bought once: its licenses never end, and order lines take no termMonths." },
    TERM: {
      description: "A subscription: each order line gives termMonths, and its licenses end that many months after the order was booked (R16).",
    },
  },
});

@ObjectType("Product", {
  simpleResolvers: true,
  implements: Node,
  description: "A product of the catalog that licenses are bought for and devices report usage of; every signed-in user may read the catalog.",
})
export class ProductObject extends Node {
  @Field({ description: "The product's stock-keeping unit, e.g. C9300-DNA-A-3Y; unique, case aside." })
  sku!: string;
  @Field({ description: "The product's display name." })
  name!: string;
  @Field(() => LicenseModel, { description: "Perpetual or term licensing." })
  model!: LicenseModel;
  @Field({ description: "True where the product supports Smart Licensing: SMART order lines and conversions need it (R15, R20)." })
  smartEnabled!: boolean;
}

export const ProductConnection = ConnectionType("Product", ProductObject, "products");

@InputType("UpsertProductInput", { description: "A product to add to the catalog, or to update where its SKU exists (R2)." })
export class UpsertProductInput {
  @Field({ description: "The SKU: 1–64 characters of A-Z 0-9 . _ - / +, stored upper-cased and matched case aside." })
  sku!: string;
  @Field({ description: "The display name (1–200 characters)." })
  name!: string;
  @Field(() => LicenseModel, { description: "Perpetual or term licensing." })
  model!: LicenseModel;
  @Field({ description: "Whether the product supports Smart Licensing." })
  smartEnabled!: boolean;
}
