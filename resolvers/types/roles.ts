import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { AccessRequestStatus, Role } from "../../entities";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The roles domain (src/roles): role assignments and access requests (R13, R14).

registerEnumType(Role, {
  name: "Role",
  description: "Smart Account roles cover the whole account; Virtual Account roles cover the assigned Virtual Account and its descendants.",
  valuesConfig: {
    SMART_ACCOUNT_APPROVER: {
      description: "Activates the account (R10) and may rename it; sees the tree, role assignments and events, not licenses (§5).",
    },
    SMART_ACCOUNT_ADMIN: {
      description: "Runs the whole account: Virtual Accounts, roles, access requests, prefixed domains, licenses, devices and orders (§5).",
    },
    SMART_ACCOUNT_USER: {
      description: "Across the account: sees and manages licenses, tokens and devices, converts classic licenses, sees and assigns orders (§5).",
    },
    SMART_ACCOUNT_VIEWER: {
      description: "Across the account, read only: licenses, pools, devices, tokens, alerts and orders (§5).",
    },
    VIRTUAL_ACCOUNT_ADMIN: {
      description: "In its scope: manages licenses, tokens and devices, grants Virtual Account roles, sees role assignments and events (§5).",
    },
    VIRTUAL_ACCOUNT_USER: { description: "In its scope: sees and manages licenses, tokens and devices (§5)." },
    VIRTUAL_ACCOUNT_VIEWER: { description: "In its scope, read only: licenses, pools, devices, tokens and alerts (§5)." },
  },
});
registerEnumType(AccessRequestStatus, {
  name: "AccessRequestStatus",
  description: "Where an access request stands (R14).",
  valuesConfig: {
    PENDING: { description: "Waiting for an admin of the account to decide." },
    APPROVED: { description: "Approved: the requester was granted the role the admin chose." },
    DENIED: { description: "Denied: nothing was granted." },
  },
});

@ObjectType("RoleAssignment", {
  simpleResolvers: true,
  implements: Node,
  description: "One role one user holds in one Smart Account, or on one Virtual Account and its descendants (R13).",
})
export class RoleAssignmentObject extends Node {
  @Field(() => Role, { description: "The role held." })
  role!: Role;
  @Field({ description: "When the role was granted." })
  createdAt!: Date;
}

@ObjectType("AccessRequest", {
  simpleResolvers: true,
  implements: Node,
  description: "A user's request for a role in a Smart Account, named by its domain, for the account's admins to decide (R14).",
})
export class AccessRequestObject extends Node {
  @Field(() => AccessRequestStatus, { description: "PENDING until an admin approves or denies it." })
  status!: AccessRequestStatus;
  @Field(() => String, { nullable: true, description: "The requester's note to the admins; null when none was given." })
  message!: string | null;
  @Field({ description: "When the request was made." })
  createdAt!: Date;
  @Field(() => Date, { nullable: true, description: "When an admin decided it; null while it is PENDING." })
  decidedAt!: Date | null;
}

export const RoleAssignmentConnection = ConnectionType("RoleAssignment", RoleAssignmentObject, "role assignments");
export const AccessRequestConnection = ConnectionType("AccessRequest", AccessRequestObject, "access requests");

@InputType("GrantRoleInput", {
  description: "A role to grant a user by email; the user is created if new, and an existing identical grant is returned as is (R13).",
})
export class GrantRoleInput {
  @Field(() => ID, { description: "The Smart Account the role is in." })
  smartAccountId!: string;
  @Field({ description: "The user's email address (lower-cased, R6)." })
  email!: string;
  @Field(() => Role, { description: "The role to grant." })
  role!: Role;
  @Field(() => ID, { nullable: true, description: "Required for Virtual Account roles, forbidden for Smart Account roles." })
  virtualAccountId?: string | null;
}

@InputType("RequestAccessInput", { description: "Asks the admins of the Smart Account with this domain for access (R14)." })
export class RequestAccessInput {
  @Field({ description: "The Smart Account's domain, case aside; NOT_FOUND where no account has it." })
  domain!: string;
  @Field(() => String, { nullable: true, description: "A note to the admins, up to 1000 characters (R6)." })
  message?: string | null;
}

@InputType("DecideAccessRequestInput", { description: "An admin's decision on a pending access request (R14)." })
export class DecideAccessRequestInput {
  @Field(() => ID, { description: "The access request to decide." })
  id!: string;
  @Field({ description: "True grants `role` to the requester; false denies the request." })
  approve!: boolean;
  @Field(() => Role, { nullable: true, description: "Required when approving." })
  role?: Role | null;
  @Field(() => ID, {
    nullable: true,
    description: "The Virtual Account of a Virtual Account role: required for those, forbidden for Smart Account roles (R13).",
  })
  virtualAccountId?: string | null;
}
