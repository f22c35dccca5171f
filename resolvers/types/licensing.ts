import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { LicenseKind, LicenseModel, OrderStatus } from "../../entities";
import { LicenseStatus } from "../../src/licenses/expiry";
import { ConnectionType } from "./connection";
import { AlertSeverity, AlertType, ComplianceStatus } from "./enums";
import { ProductInstanceObject } from "./devices";
import { Node } from "./node";
import { ProductObject, VirtualAccountObject } from "./objects";

// The contract's license and order types. Plain fields are read off entities (or the pool/alert
// records of src/licenses), as are the relations those records carry joined (a pool's or an alert's
// product, an alert's Virtual Account and device); other relations come from the field resolvers.

@ObjectType("License", {
  simpleResolvers: true,
  implements: Node,
  description: "A lot of licenses of one product, delivered by one order line or split off one by a transfer or conversion.",
})
export class LicenseObject extends Node {
  @Field(() => LicenseKind)
  kind!: LicenseKind;
  @Field(() => Int)
  quantity!: number;
  @Field()
  startsAt!: Date;
  @Field(() => Date, { nullable: true, description: "Null for perpetual licenses." })
  endsAt!: Date | null;
  @Field(() => String, { nullable: true, description: "The Product Activation Key of a classic license." })
  pak!: string | null;
}

@ObjectType("LicensePool", { simpleResolvers: true })
export class LicensePoolObject {
  /** Joined into the pool's own statement. */
  @Field(() => ProductObject)
  product!: ProductObject;
  @Field(() => Int)
  purchased!: number;
  @Field(() => Int)
  inUse!: number;
  @Field(() => Int)
  available!: number;
  @Field(() => Int)
  shortage!: number;
  @Field(() => ComplianceStatus)
  status!: ComplianceStatus;
  @Field(() => Date, { nullable: true, description: "The earliest end date among the pool's active term licenses." })
  nextExpiry!: Date | null;
}

@ObjectType("UsageSummaryEntry", {
  simpleResolvers: true,
  description: "A product's pool in one Virtual Account, for dashboards that want totals without pages.",
})
export class UsageSummaryEntryObject {
  @Field(() => ProductObject)
  product!: ProductObject;
  @Field({ description: "The Virtual Account's path as the viewer sees it, e.g. \"US / Finance\"." })
  path!: string;
  @Field(() => Int)
  purchased!: number;
  @Field(() => Int)
  inUse!: number;
  @Field(() => Int)
  available!: number;
  @Field(() => Int)
  shortage!: number;
  @Field(() => ComplianceStatus)
  status!: ComplianceStatus;
}

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

@ObjectType("Alert", { simpleResolvers: true })
export class AlertObject {
  @Field(() => AlertType)
  type!: AlertType;
  // Relations come joined in the alerts' own statement (src/licenses/alert-rows.ts).
  @Field(() => VirtualAccountObject)
  virtualAccount!: VirtualAccountObject;
  @Field(() => ProductObject, { nullable: true })
  product!: ProductObject | null;
  @Field(() => ProductInstanceObject, { nullable: true })
  productInstance!: ProductInstanceObject | null;
  @Field(() => AlertSeverity)
  severity!: AlertSeverity;
  @Field()
  message!: string;
  @Field(() => Int, { nullable: true, description: "How many licenses the alert is about: the shortage, or the quantity expiring or expired." })
  quantity!: number | null;
  @Field(() => Date, { nullable: true, description: "When to act by: the end date of expiring licenses." })
  dueAt!: Date | null;
}

@ObjectType("TransferLicensesPayload", { simpleResolvers: true })
export class TransferLicensesPayload {
  @Field(() => Int)
  quantity!: number;
}

export const LicenseConnection = ConnectionType("License", LicenseObject);
export const OrderConnection = ConnectionType("Order", OrderObject);

@InputType("LicenseFilter")
export class LicenseFilterInput {
  @Field(() => String, { nullable: true })
  sku?: string | null;
  @Field(() => LicenseKind, { nullable: true })
  kind?: LicenseKind | null;
  @Field(() => LicenseStatus, { nullable: true })
  status?: LicenseStatus | null;
  @Field(() => String, { nullable: true })
  tag?: string | null;
  @Field(() => Int, { nullable: true, description: "Only licenses whose end date falls within this many days from now." })
  expiresWithinDays?: number | null;
}

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

@InputType("TransferLicensesInput")
export class TransferLicensesInput {
  @Field(() => ID)
  fromVirtualAccountId!: string;
  @Field(() => ID)
  toVirtualAccountId!: string;
  @Field()
  sku!: string;
  @Field(() => Int)
  quantity!: number;
}

@InputType("ConvertClassicLicenseInput")
export class ConvertClassicLicenseInput {
  @Field(() => ID)
  licenseId!: string;
  @Field(() => Int)
  quantity!: number;
}

@InputType("SetLicenseTagsInput")
export class SetLicenseTagsInput {
  @Field(() => ID)
  licenseId!: string;
  @Field(() => [String])
  tags!: string[];
}
