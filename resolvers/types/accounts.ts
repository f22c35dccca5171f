import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { SmartAccountStatus, SmartAccountType } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The accounts domain (src/accounts): Smart Accounts and their tree of Virtual Accounts. Plain fields
// are read off the entities; ids and relations come from the field resolvers in resolvers/*.resolver.ts.

registerEnumType(SmartAccountType, {
  name: "SmartAccountType",
  description: "What a Smart Account is for; chosen when it is requested.",
  valuesConfig: {
    CUSTOMER: { description: "An end customer's account: its domain is a DNS name (R8), its devices consume its licenses." },
    PARTNER_HOLDING: {
      description:
        "A partner's account that holds licenses bought for customers until its orders are assigned to them (R18); nothing registers or consumes there (R17).",
    },
    LIMITED_USE: {
      description:
        "A small business on a public email domain: the domain identifier is the approver's email address (R8), and there is only the default Virtual Account (R12).",
    },
  },
});
registerEnumType(SmartAccountStatus, {
  name: "SmartAccountStatus",
  description: "Where a Smart Account is in its life (R7, R10).",
  valuesConfig: {
    PENDING: { description: "Requested and not yet activated by its approver: orders placed into it wait undelivered (R16)." },
    ACTIVE: { description: "Activated by its approver (R10): orders deliver licenses." },
  },
});

@ObjectType("SmartAccount", {
  simpleResolvers: true,
  implements: Node,
  description:
    "A company's account, identified by its domain: the root of its Virtual Accounts, licenses, devices and orders. Anyone with a role in it sees it, and while its prefixed domain awaits approval so do the parent domain's admins (R9); what else they see follows their roles (§5).",
})
export class SmartAccountObject extends Node {
  @Field({ description: "The account's display name (1–100 characters, R6)." })
  name!: string;
  @Field({ description: "The unique account domain identifier, e.g. acme.com or eu.acme.com." })
  domain!: string;
  @Field(() => SmartAccountType, { description: "Customer, partner holding or limited-use account (R8, R17)." })
  type!: SmartAccountType;
  @Field(() => SmartAccountStatus, { description: "PENDING until its approver activates it, then ACTIVE (R10)." })
  status!: SmartAccountStatus;
  @Field({ description: "When the account was requested." })
  createdAt!: Date;
  @Field(() => Date, { nullable: true, description: "When its approver activated it; null while it is PENDING." })
  activatedAt!: Date | null;
  @Field({ description: "True while an admin of the parent domain's Smart Account has yet to approve this prefixed domain." })
  awaitingDomainApproval!: boolean;
}

@ObjectType("VirtualAccount", {
  simpleResolvers: true,
  implements: Node,
  description:
    "A sub-account in a Smart Account's tree, holding licenses, devices and registration tokens; a Virtual Account role covers it and all its descendants (R12, §5).",
})
export class VirtualAccountObject extends Node {
  @Field({ description: "Unique among its siblings, case aside (1–100 characters, R6, R12)." })
  name!: string;
  @Field(() => String, { nullable: true, description: "Free text up to 500 characters; null when none was given (R6)." })
  description!: string | null;
  @Field({ description: "True for the Virtual Account every Smart Account is created with, named Default; it cannot be deleted (R11)." })
  isDefault!: boolean;
  @Field(() => Int, { description: "1 for a top-level Virtual Account; at most 10." })
  depth!: number;
  @Field({ description: "When the Virtual Account was created." })
  createdAt!: Date;
}

export const SmartAccountConnection = ConnectionType("SmartAccount", SmartAccountObject, "Smart Accounts");
export const VirtualAccountConnection = ConnectionType("VirtualAccount", VirtualAccountObject, "Virtual Accounts");

@InputType("RequestSmartAccountInput", { description: "A new Smart Account, to be activated by its approver (R7, R8)." })
export class RequestSmartAccountInput {
  @Field({ description: "The account's display name (1–100 characters, R6)." })
  name!: string;
  @Field({
    description:
      "A DNS name such as acme.com for CUSTOMER and PARTNER_HOLDING, the approver's email address for LIMITED_USE; unique, case aside (R8). A subdomain of an existing account's domain awaits its admins' approval (R9).",
  })
  domain!: string;
  @Field(() => SmartAccountType, { description: "What the account is for." })
  type!: SmartAccountType;
  @Field({
    description:
      "Who approves and activates the account, given SMART_ACCOUNT_APPROVER on it (created if new). For CUSTOMER and PARTNER_HOLDING, its email domain must be the account's domain or a parent of it (R7, R8).",
  })
  approverEmail!: string;
}

@InputType("UpdateSmartAccountInput", { description: "A Smart Account's new name; its approver or an admin may rename it (§5)." })
export class UpdateSmartAccountInput {
  @Field(() => ID, { description: "The Smart Account to rename." })
  smartAccountId!: string;
  @Field({ description: "The new display name (1–100 characters, R6)." })
  name!: string;
}

@InputType("CreateVirtualAccountInput", { description: "A new Virtual Account in a Smart Account's tree (R12)." })
export class CreateVirtualAccountInput {
  @Field(() => ID, { description: "The Smart Account to create it in." })
  smartAccountId!: string;
  @Field(() => ID, { nullable: true, description: "Omit for a top-level Virtual Account." })
  parentId?: string | null;
  @Field({ description: "Unique among its siblings, case aside (1–100 characters, R6, R12)." })
  name!: string;
  @Field(() => String, { nullable: true, description: "Free text up to 500 characters (R6)." })
  description?: string | null;
}

@InputType("UpdateVirtualAccountInput", { description: "Renames, redescribes or moves a Virtual Account; give at least one change (R12)." })
export class UpdateVirtualAccountInput {
  @Field(() => ID, { description: "The Virtual Account to change." })
  id!: string;
  @Field(() => String, { nullable: true, description: "A new name, unique among its siblings (1–100 characters); omit to keep it." })
  name?: string | null;
  @Field(() => String, { nullable: true, description: "A new description (up to 500 characters); omit to keep it, blank or null clears it." })
  description?: string | null;
  @Field(() => ID, { nullable: true, description: "Move under this Virtual Account of the same Smart Account." })
  parentId?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Move to the top level." })
  toTopLevel?: boolean | null;
}
