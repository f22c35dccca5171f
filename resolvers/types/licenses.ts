import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { LicenseKind } from "../../entities";
import { LicenseStatus } from "../../src/licenses/expiry";
import { VirtualAccountObject } from "./accounts";
import { ProductObject } from "./catalog";
import { ConnectionType } from "./connection";
import { DeviceObject } from "./devices";
import { Node } from "./node";

// The licenses domain (src/licenses): license lots, pools, alerts, the usage summary and transfers
// (R19–R22, R27, R28). Plain fields are read off entities (or the pool/alert records of src/licenses), as
// are the relations those records carry joined (a pool's or an alert's product, an alert's Virtual Account
// and device); other relations come from the field resolvers.

registerEnumType(LicenseKind, {
  name: "LicenseKind",
  valuesConfig: {
    SMART: { description: "Pooled, usable by any compatible product instance of the Virtual Account." },
    CLASSIC: { description: "Classic, PAK-based license; convertible to SMART where the product is smart-enabled." },
  },
});
registerEnumType(LicenseStatus, { name: "LicenseStatus" });

export enum ComplianceStatus {
  AUTHORIZED = "AUTHORIZED",
  OUT_OF_COMPLIANCE = "OUT_OF_COMPLIANCE",
}
registerEnumType(ComplianceStatus, { name: "ComplianceStatus" });

export enum AlertType {
  INSUFFICIENT_LICENSES = "INSUFFICIENT_LICENSES",
  LICENSES_EXPIRING = "LICENSES_EXPIRING",
  LICENSES_EXPIRED = "LICENSES_EXPIRED",
  PRODUCT_INSTANCE_NOT_REPORTING = "PRODUCT_INSTANCE_NOT_REPORTING",
}
registerEnumType(AlertType, { name: "AlertType" });

export enum AlertSeverity {
  MAJOR = "MAJOR",
  MINOR = "MINOR",
}
registerEnumType(AlertSeverity, { name: "AlertSeverity" });

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
  @Field({ description: 'The Virtual Account\'s path as the viewer sees it, e.g. "US / Finance".' })
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

@ObjectType("Alert", { simpleResolvers: true })
export class AlertObject {
  @Field(() => AlertType)
  type!: AlertType;
  // Relations come joined in the alerts' own statement (src/licenses/alert-rows.ts).
  @Field(() => VirtualAccountObject)
  virtualAccount!: VirtualAccountObject;
  @Field(() => ProductObject, { nullable: true })
  product!: ProductObject | null;
  @Field(() => DeviceObject, { nullable: true })
  productInstance!: DeviceObject | null;
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
