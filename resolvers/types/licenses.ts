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
  description: "How licenses are used: pooled Smart licenses, or classic ones tied to a PAK.",
  valuesConfig: {
    SMART: { description: "Pooled, usable by any compatible product instance of the Virtual Account." },
    CLASSIC: { description: "Classic, PAK-based license; convertible to SMART where the product is smart-enabled." },
  },
});
registerEnumType(LicenseStatus, {
  name: "LicenseStatus",
  description: "Whether a lot is past its end date (R22).",
  valuesConfig: {
    ACTIVE: { description: "Perpetual, or not yet past its end date: counts in pools." },
    EXPIRED: { description: "Past its end date: counts for nothing in pools (R22)." },
  },
});

export enum ComplianceStatus {
  AUTHORIZED = "AUTHORIZED",
  OUT_OF_COMPLIANCE = "OUT_OF_COMPLIANCE",
}
registerEnumType(ComplianceStatus, {
  name: "ComplianceStatus",
  description: "Whether a pool covers what its devices use (R27).",
  valuesConfig: {
    AUTHORIZED: { description: "What is in use does not exceed what was purchased." },
    OUT_OF_COMPLIANCE: { description: "Devices use more than was purchased: the shortage is above 0 (R27)." },
  },
});

export enum AlertType {
  INSUFFICIENT_LICENSES = "INSUFFICIENT_LICENSES",
  LICENSES_EXPIRING = "LICENSES_EXPIRING",
  LICENSES_EXPIRED = "LICENSES_EXPIRED",
  PRODUCT_INSTANCE_NOT_REPORTING = "PRODUCT_INSTANCE_NOT_REPORTING",
  ORDER_AWAITING_ASSIGNMENT = "ORDER_AWAITING_ASSIGNMENT",
}
registerEnumType(AlertType, {
  name: "AlertType",
  description: "What an alert is about (R28).",
  valuesConfig: {
    INSUFFICIENT_LICENSES: { description: "A pool's devices use more than it holds; `quantity` is the shortage (MAJOR)." },
    LICENSES_EXPIRING: { description: "A lot ends within 90 days; `dueAt` is its end date (MINOR)." },
    LICENSES_EXPIRED: { description: "A lot ended within the last 90 days; `dueAt` is its end date (MAJOR)." },
    PRODUCT_INSTANCE_NOT_REPORTING: { description: "A device has not reported for over 30 days since its last report, or its registration (MINOR)." },
    ORDER_AWAITING_ASSIGNMENT: { description: "An order waiting in a partner holding account to be assigned to a customer (R28, R35)." },
  },
});

export enum AlertSeverity {
  MAJOR = "MAJOR",
  MINOR = "MINOR",
}
registerEnumType(AlertSeverity, {
  name: "AlertSeverity",
  description: "How urgent an alert is (R28).",
  valuesConfig: {
    MAJOR: { description: "Act now: a shortage, or licenses that have expired." },
    MINOR: { description: "Plan for it: licenses nearing their end, or a silent device." },
  },
});

@ObjectType("License", {
  simpleResolvers: true,
  implements: Node,
  description: "A lot of licenses of one product, delivered by one order line or split off one by a transfer or conversion.",
})
export class LicenseObject extends Node {
  @Field(() => LicenseKind, { description: "SMART (pooled) or CLASSIC (PAK-based)." })
  kind!: LicenseKind;
  @Field(() => Int, { description: "How many licenses the lot holds." })
  quantity!: number;
  @Field({ description: "When the licenses start: when their order was booked (R16); transfers and conversions keep it (R19, R20)." })
  startsAt!: Date;
  @Field(() => Date, { nullable: true, description: "Null for perpetual licenses." })
  endsAt!: Date | null;
  @Field(() => String, { nullable: true, description: "The Product Activation Key of a classic license." })
  pak!: string | null;
}

@ObjectType("LicensePool", {
  simpleResolvers: true,
  description: "A product's SMART licenses held against what devices use of it, in a Virtual Account, a subtree or a Smart Account (R27).",
})
export class LicensePoolObject {
  /** Joined into the pool's own statement. */
  @Field(() => ProductObject, { description: "The product pooled." })
  product!: ProductObject;
  @Field(() => Int, { description: "The quantity of ACTIVE SMART licenses held (R27)." })
  purchased!: number;
  @Field(() => Int, { description: "The devices' reported usage of the product (R25, R27)." })
  inUse!: number;
  @Field(() => Int, { description: "purchased − inUse, and 0 where that is negative: what can still be used or transferred (R19, R27)." })
  available!: number;
  @Field(() => Int, { description: "inUse − purchased, and 0 where that is negative (R27)." })
  shortage!: number;
  @Field(() => ComplianceStatus, { description: "OUT_OF_COMPLIANCE when shortage is above 0, else AUTHORIZED (R27)." })
  status!: ComplianceStatus;
  @Field(() => Date, { nullable: true, description: "The earliest end date among the pool's active term licenses." })
  nextExpiry!: Date | null;
}

@ObjectType("UsageSummaryEntry", {
  simpleResolvers: true,
  description: "A product's pool in one Virtual Account, for dashboards that want totals without pages.",
})
export class UsageSummaryEntryObject {
  @Field(() => ProductObject, { description: "The product pooled." })
  product!: ProductObject;
  @Field({ description: 'The Virtual Account\'s path as the viewer sees it, e.g. "US / Finance".' })
  path!: string;
  @Field(() => Int, { description: "The quantity of ACTIVE SMART licenses held in the Virtual Account (R27)." })
  purchased!: number;
  @Field(() => Int, { description: "The usage its devices report (R27)." })
  inUse!: number;
  @Field(() => Int, { description: "purchased − inUse, and 0 where that is negative (R27)." })
  available!: number;
  @Field(() => Int, { description: "inUse − purchased, and 0 where that is negative (R27)." })
  shortage!: number;
  @Field(() => ComplianceStatus, { description: "OUT_OF_COMPLIANCE when shortage is above 0, else AUTHORIZED (R27)." })
  status!: ComplianceStatus;
}

@ObjectType("Alert", {
  simpleResolvers: true,
  description: "Something in a Virtual Account that needs attention, computed when read (R28).",
})
export class AlertObject {
  @Field(() => AlertType, { description: "What the alert is about." })
  type!: AlertType;
  // Relations come joined in the alerts' own statement (src/licenses/alert-rows.ts).
  @Field(() => VirtualAccountObject, { description: "The Virtual Account the alert is in." })
  virtualAccount!: VirtualAccountObject;
  @Field(() => ProductObject, {
    nullable: true,
    description: "The product that is short, expiring or expired; null for PRODUCT_INSTANCE_NOT_REPORTING.",
  })
  product!: ProductObject | null;
  @Field(() => DeviceObject, { nullable: true, description: "The silent device of PRODUCT_INSTANCE_NOT_REPORTING; null for other alerts." })
  productInstance!: DeviceObject | null;
  @Field(() => AlertSeverity, { description: "MAJOR or MINOR, by type (R28)." })
  severity!: AlertSeverity;
  @Field({ description: "What is wrong, in a sentence for people, e.g. how many licenses are short where." })
  message!: string;
  @Field(() => Int, {
    nullable: true,
    description: "How many licenses the alert is about: the shortage, or the quantity expiring or expired; null for PRODUCT_INSTANCE_NOT_REPORTING.",
  })
  quantity!: number | null;
  @Field(() => Date, {
    nullable: true,
    description: "When to act by: the end date of expiring licenses (for expired ones, the date they ended); null for other alerts.",
  })
  dueAt!: Date | null;
}

@ObjectType("TransferLicensesPayload", { simpleResolvers: true, description: "A transfer as done: from where, to where, how many (R19)." })
export class TransferLicensesPayload {
  @Field(() => Int, { description: "How many licenses moved." })
  quantity!: number;
}

export const LicenseConnection = ConnectionType("License", LicenseObject, "license lots");

@InputType("LicenseFilter", {
  description: "Narrows a list of license lots; the conditions given must all hold. Filters never widen what the viewer may see.",
})
export class LicenseFilterInput {
  @Field(() => String, { nullable: true, description: "Only lots of the product with this SKU, case aside." })
  sku?: string | null;
  @Field(() => LicenseKind, { nullable: true, description: "Only SMART or only CLASSIC lots." })
  kind?: LicenseKind | null;
  @Field(() => LicenseStatus, { nullable: true, description: "Only ACTIVE or only EXPIRED lots (R22)." })
  status?: LicenseStatus | null;
  @Field(() => String, { nullable: true, description: "Only lots carrying this tag (R21)." })
  tag?: string | null;
  @Field(() => Int, { nullable: true, description: "Only licenses whose end date falls within this many days from now." })
  expiresWithinDays?: number | null;
}

@InputType("TransferLicensesInput", {
  description: "Moves SMART licenses of one product between two Virtual Accounts, of one Smart Account or two (R19).",
})
export class TransferLicensesInput {
  @Field(() => ID, {
    description: "Where the licenses come from; across Smart Accounts the caller needs SMART_ACCOUNT_ADMIN or SMART_ACCOUNT_USER here (R19).",
  })
  fromVirtualAccountId!: string;
  @Field(() => ID, { description: "Where the licenses go: another Virtual Account the caller manages licenses in." })
  toVirtualAccountId!: string;
  @Field({ description: "The product's SKU, case aside." })
  sku!: string;
  @Field(() => Int, { description: "How many to move: at least 1, at most the source pool's `available` (CONFLICT otherwise, R19)." })
  quantity!: number;
}

@InputType("ConvertClassicLicenseInput", { description: "Turns part or all of a CLASSIC lot into a SMART lot (R20)." })
export class ConvertClassicLicenseInput {
  @Field(() => ID, { description: "The CLASSIC lot of a smart-enabled product (BAD_USER_INPUT otherwise)." })
  licenseId!: string;
  @Field(() => Int, { description: "How many to convert: at least 1, at most what the lot holds (CONFLICT otherwise, R20)." })
  quantity!: number;
}

@InputType("SetLicenseTagsInput", { description: "Replaces a lot's tags (R21)." })
export class SetLicenseTagsInput {
  @Field(() => ID, { description: "The lot to tag." })
  licenseId!: string;
  @Field(() => [String], {
    description:
      "The new tags, replacing the old: at most 20, each 1–50 of A-Za-z0-9 space _ . -; repeats (case aside) are kept once, as first given. An empty list removes every tag.",
  })
  tags!: string[];
}
