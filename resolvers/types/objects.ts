import { Field, Int, ObjectType } from "type-graphql";
import {
  AccessRequestStatus,
  LicenseModel,
  Role,
  SmartAccountStatus,
  SmartAccountType,
} from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The GraphQL object types of SPEC's contract. Plain fields are read off the entities; ids and
// relations come from the field resolvers in resolvers/*.resolver.ts.

@ObjectType("User", { simpleResolvers: true, implements: Node })
export class UserObject extends Node {
  @Field()
  email!: string;
  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType("Viewer", { simpleResolvers: true })
export class ViewerObject {}

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

@ObjectType("RoleAssignment", { simpleResolvers: true, implements: Node })
export class RoleAssignmentObject extends Node {
  @Field(() => Role)
  role!: Role;
  @Field()
  createdAt!: Date;
}

@ObjectType("AccessRequest", { simpleResolvers: true, implements: Node })
export class AccessRequestObject extends Node {
  @Field(() => AccessRequestStatus)
  status!: AccessRequestStatus;
  @Field(() => String, { nullable: true })
  message!: string | null;
  @Field()
  createdAt!: Date;
  @Field(() => Date, { nullable: true })
  decidedAt!: Date | null;
}

@ObjectType("Event", { simpleResolvers: true, implements: Node })
export class EventObject extends Node {
  @Field({ description: "A stable, upper-snake-case name, e.g. LICENSES_TRANSFERRED." })
  type!: string;
  @Field()
  message!: string;
  @Field()
  createdAt!: Date;
}

export const SmartAccountConnection = ConnectionType("SmartAccount", SmartAccountObject);
export const VirtualAccountConnection = ConnectionType("VirtualAccount", VirtualAccountObject);
export const ProductConnection = ConnectionType("Product", ProductObject);
export const RoleAssignmentConnection = ConnectionType("RoleAssignment", RoleAssignmentObject);
export const AccessRequestConnection = ConnectionType("AccessRequest", AccessRequestObject);
export const EventConnection = ConnectionType("Event", EventObject);
