import { Field, ID, InputType, Int, ObjectType } from "type-graphql";
import { ProductObject } from "./catalog";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The devices domain (src/devices): devices, which the schema calls product instances, their license
// usage, and the registration tokens they register with (R23–R26). Class names say "device"; the GraphQL
// names stay the contract's.

@ObjectType("ProductInstance", { simpleResolvers: true, implements: Node })
export class DeviceObject extends Node {
  @Field()
  pid!: string;
  @Field()
  serialNumber!: string;
  @Field(() => String, { nullable: true })
  hostname!: string | null;
  @Field()
  registeredAt!: Date;
  @Field(() => Date, { nullable: true })
  lastReportedAt!: Date | null;
}

@ObjectType("LicenseUsage", { simpleResolvers: true })
export class LicenseUsageObject {
  /** Joined when the usage is loaded. */
  @Field(() => ProductObject)
  product!: ProductObject;
  @Field(() => Int)
  count!: number;
}

@ObjectType("RegistrationToken", { simpleResolvers: true, implements: Node })
export class RegistrationTokenObject extends Node {
  @Field(() => String, { nullable: true })
  description!: string | null;
  @Field()
  createdAt!: Date;
  @Field()
  expiresAt!: Date;
  @Field(() => Int, { nullable: true })
  maxUses!: number | null;
  @Field(() => Int)
  uses!: number;
  @Field()
  exportControlled!: boolean;
  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType("CreateRegistrationTokenPayload", { simpleResolvers: true })
export class CreateRegistrationTokenPayload {
  @Field(() => RegistrationTokenObject)
  token!: RegistrationTokenObject;
  @Field({ description: "Shown once; only a hash of it is stored." })
  secret!: string;
}

@ObjectType("RegisterProductInstancePayload", { simpleResolvers: true })
export class RegisterDevicePayload {
  @Field(() => DeviceObject)
  productInstance!: DeviceObject;
  @Field({ description: "Shown once; the device sends it with reportUsage." })
  credential!: string;
}

export const DeviceConnection = ConnectionType("ProductInstance", DeviceObject);
export const RegistrationTokenConnection = ConnectionType("RegistrationToken", RegistrationTokenObject);

@InputType("CreateRegistrationTokenInput")
export class CreateRegistrationTokenInput {
  @Field(() => ID)
  virtualAccountId!: string;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => Int)
  expiresInDays!: number;
  @Field(() => Int, { nullable: true })
  maxUses?: number | null;
  @Field(() => Boolean, { nullable: true, defaultValue: false })
  exportControlled?: boolean | null;
}

@InputType("RegisterProductInstanceInput")
export class RegisterDeviceInput {
  @Field()
  token!: string;
  @Field()
  pid!: string;
  @Field()
  serialNumber!: string;
  @Field(() => String, { nullable: true })
  hostname?: string | null;
}

@InputType("UsageInput")
export class UsageInput {
  @Field()
  sku!: string;
  @Field(() => Int)
  count!: number;
}

@InputType("ReportUsageInput")
export class ReportUsageInput {
  @Field()
  credential!: string;
  @Field(() => [UsageInput])
  usage!: UsageInput[];
}

@InputType("TransferProductInstanceInput")
export class TransferDeviceInput {
  @Field(() => ID)
  id!: string;
  @Field(() => ID)
  toVirtualAccountId!: string;
}
