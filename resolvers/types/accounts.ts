import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { SmartAccountStatus, SmartAccountType } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The accounts domain (src/accounts): Smart Accounts and their tree of Virtual Accounts. Plain fields
// are read off the entities; ids and relations come from the field resolvers in resolvers/*.resolver.ts.

registerEnumType(SmartAccountType, { name: "SmartAccountType" });
registerEnumType(SmartAccountStatus, { name: "SmartAccountStatus" });

@ObjectType("SmartAccount", { simpleResolvers: true, implements: Node })
export class SmartAccountObject extends Node {
  @Field()
  name!: string;
  @Field({ description: "The unique account domain identifier, e.g. acme.com or eu.acme.com." })
  domain!: string;
  @Field(() => SmartAccountType)
  type!: SmartAccountType;
  @Field(() => SmartAccountStatus)
  status!: SmartAccountStatus;
  @Field()
  createdAt!: Date;
  @Field(() => Date, { nullable: true })
  activatedAt!: Date | null;
  @Field({ description: "True while an admin of the parent domain's Smart Account has yet to approve this prefixed domain." })
  awaitingDomainApproval!: boolean;
}

@ObjectType("VirtualAccount", { simpleResolvers: true, implements: Node })
export class VirtualAccountObject extends Node {
  @Field()
  name!: string;
  @Field(() => String, { nullable: true })
  description!: string | null;
  @Field()
  isDefault!: boolean;
  @Field(() => Int, { description: "1 for a top-level Virtual Account; at most 10." })
  depth!: number;
  @Field()
  createdAt!: Date;
}

export const SmartAccountConnection = ConnectionType("SmartAccount", SmartAccountObject);
export const VirtualAccountConnection = ConnectionType("VirtualAccount", VirtualAccountObject);

@InputType("RequestSmartAccountInput")
export class RequestSmartAccountInput {
  @Field()
  name!: string;
  @Field()
  domain!: string;
  @Field(() => SmartAccountType)
  type!: SmartAccountType;
  @Field()
  approverEmail!: string;
}

@InputType("UpdateSmartAccountInput")
export class UpdateSmartAccountInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field()
  name!: string;
}

@InputType("CreateVirtualAccountInput")
export class CreateVirtualAccountInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field(() => ID, { nullable: true, description: "Omit for a top-level Virtual Account." })
  parentId?: string | null;
  @Field()
  name!: string;
  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType("UpdateVirtualAccountInput")
export class UpdateVirtualAccountInput {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => ID, { nullable: true, description: "Move under this Virtual Account of the same Smart Account." })
  parentId?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Move to the top level." })
  toTopLevel?: boolean | null;
}
