import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { AccessRequestStatus, Role } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The roles domain (src/roles): role assignments and access requests (R13, R14).

registerEnumType(Role, {
  name: "Role",
  description: "Smart Account roles cover the whole account; Virtual Account roles cover the assigned Virtual Account and its descendants.",
});
registerEnumType(AccessRequestStatus, { name: "AccessRequestStatus" });

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

export const RoleAssignmentConnection = ConnectionType("RoleAssignment", RoleAssignmentObject);
export const AccessRequestConnection = ConnectionType("AccessRequest", AccessRequestObject);

@InputType("GrantRoleInput")
export class GrantRoleInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field()
  email!: string;
  @Field(() => Role)
  role!: Role;
  @Field(() => ID, { nullable: true, description: "Required for Virtual Account roles, forbidden for Smart Account roles." })
  virtualAccountId?: string | null;
}

@InputType("RequestAccessInput")
export class RequestAccessInput {
  @Field()
  domain!: string;
  @Field(() => String, { nullable: true })
  message?: string | null;
}

@InputType("DecideAccessRequestInput")
export class DecideAccessRequestInput {
  @Field(() => ID)
  id!: string;
  @Field()
  approve!: boolean;
  @Field(() => Role, { nullable: true, description: "Required when approving." })
  role?: Role | null;
  @Field(() => ID, { nullable: true })
  virtualAccountId?: string | null;
}
