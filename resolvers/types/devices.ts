import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { ProductObject } from "./catalog";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The devices domain (src/devices): devices, which the schema calls product instances, their license
// usage, and the registration tokens they register with (R23–R26). Class names say "device"; the GraphQL
// names stay the contract's.

@ObjectType("ProductInstance", {
  simpleResolvers: true,
  implements: Node,
  description:
    "A device (product instance) registered in a Virtual Account with a registration token, and the licenses it reports using (R24–R26). Identified by pid and serialNumber.",
})
export class DeviceObject extends Node {
  @Field({ description: "The device's product ID (its model), e.g. C9300-24T; with serialNumber, it identifies the device (R24)." })
  pid!: string;
  @Field({ description: "The device's serial number; with pid, it identifies the device (R24)." })
  serialNumber!: string;
  @Field(() => String, { nullable: true, description: "The hostname the device registered with; null when it never gave one." })
  hostname!: string | null;
  @Field({ description: "When the device last registered (a re-registration moves it and resets this, R24)." })
  registeredAt!: Date;
  @Field(() => Date, { nullable: true, description: "When the device last reported usage; null until its first report (R25)." })
  lastReportedAt!: Date | null;
}

@ObjectType("LicenseUsage", { simpleResolvers: true, description: "How many licenses of one product a device uses, as it last reported (R25)." })
export class LicenseUsageObject {
  /** Joined when the usage is loaded. */
  @Field(() => ProductObject, { description: "The product whose licenses are used." })
  product!: ProductObject;
  @Field(() => Int, { description: "How many licenses the device uses (0–1,000,000); may exceed what was bought (R25)." })
  count!: number;
}

@ObjectType("RegistrationToken", {
  simpleResolvers: true,
  implements: Node,
  description:
    "What devices register with: a secret, shown once at creation, that registers each device into the token's Virtual Account (R23, R24). Revoked tokens stay listed.",
})
export class RegistrationTokenObject extends Node {
  @Field(() => String, { nullable: true, description: "What the token is for, up to 500 characters; null when none was given." })
  description!: string | null;
  @Field({ description: "When the token was created." })
  createdAt!: Date;
  @Field({ description: "When the token stops registering devices: 1–365 days after creation (R23)." })
  expiresAt!: Date;
  @Field(() => Int, { nullable: true, description: "How many registrations the token allows; null for unlimited (R23)." })
  maxUses!: number | null;
  @Field(() => Int, { description: "How many successful registrations it has made (R24)." })
  uses!: number;
  @Field({ description: "Whether export-controlled functionality is allowed on the devices registered with this token." })
  exportControlled!: boolean;
  @Field(() => Date, { nullable: true, description: "When the token was revoked; null while it is not (R23)." })
  revokedAt!: Date | null;
}

@ObjectType("CreateRegistrationTokenPayload", { simpleResolvers: true, description: "The new registration token and its secret (R23)." })
export class CreateRegistrationTokenPayload {
  @Field(() => RegistrationTokenObject, { description: "The token as listed from now on." })
  token!: RegistrationTokenObject;
  @Field({ description: "Shown once; only a hash of it is stored." })
  secret!: string;
}

@ObjectType("RegisterProductInstancePayload", { simpleResolvers: true, description: "The registered device and its new credential (R24)." })
export class RegisterDevicePayload {
  @Field(() => DeviceObject, { description: "The device as registered: the device itself may read its own fields, not its Virtual Account (R24)." })
  productInstance!: DeviceObject;
  @Field({ description: "Shown once; the device sends it with reportUsage." })
  credential!: string;
}

export const DeviceConnection = ConnectionType("ProductInstance", DeviceObject, "devices");
export const RegistrationTokenConnection = ConnectionType("RegistrationToken", RegistrationTokenObject, "registration tokens");

@InputType("CreateRegistrationTokenInput", {
  description: "A new registration token for a Virtual Account; none can be created in a partner holding account (R17, R23).",
})
export class CreateRegistrationTokenInput {
  @Field(() => ID, { description: "The Virtual Account devices registered with the token go into." })
  virtualAccountId!: string;
  @Field(() => String, { nullable: true, description: "What the token is for, up to 500 characters (R6)." })
  description?: string | null;
  @Field(() => Int, { description: "How many days the token works: 1–365 (R23)." })
  expiresInDays!: number;
  @Field(() => Int, { nullable: true, description: "How many registrations it allows, at least 1; omit for unlimited (R23)." })
  maxUses?: number | null;
  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: "Allow export-controlled functionality on the devices registered with it.",
  })
  exportControlled?: boolean | null;
}

@InputType("RegisterProductInstanceInput", { description: "A device registering itself with a registration token's secret (R24)." })
export class RegisterDeviceInput {
  @Field({ description: "The registration token's secret; unknown, expired, revoked or used-up tokens are UNAUTHENTICATED with a reason (R24)." })
  token!: string;
  @Field({ description: "The device's product ID, 1–64 characters of letters, digits and . _ : / + -." })
  pid!: string;
  @Field({ description: "The device's serial number, 1–64 characters of letters, digits and . _ : / + -." })
  serialNumber!: string;
  @Field(() => String, { nullable: true, description: "The device's hostname; omit to keep the one it registered with before." })
  hostname?: string | null;
}

@InputType("UsageInput", { description: "How many licenses of one product the device uses now." })
export class UsageInput {
  @Field({ description: "A known product's SKU, case aside; each SKU at most once per report." })
  sku!: string;
  @Field(() => Int, { description: "The absolute count in use, 0–1,000,000 (R25)." })
  count!: number;
}

@InputType("ReportUsageInput", { description: "A device's usage report: it replaces everything the device reported before (R25)." })
export class ReportUsageInput {
  @Field({ description: "The credential the device got at registration." })
  credential!: string;
  @Field(() => [UsageInput], { description: "The device's whole usage, at most 1000 lines; products left out are no longer in use." })
  usage!: UsageInput[];
}

@InputType("TransferProductInstanceInput", { description: "Moves a device, with its usage, to another Virtual Account (R26)." })
export class TransferDeviceInput {
  @Field(() => ID, { description: "The device (product instance) to move." })
  id!: string;
  @Field(() => ID, {
    description:
      "Where it goes: a Virtual Account the caller manages, not in a partner holding account; into another Smart Account only with SMART_ACCOUNT_ADMIN or SMART_ACCOUNT_USER on the source (R26).",
  })
  toVirtualAccountId!: string;
}
