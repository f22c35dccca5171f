import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { AccessRequest, Role, RoleAssignment, SmartAccount, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { AccessRequestObject, DecideAccessRequestInput, GrantRoleInput, RequestAccessInput, RoleAssignmentObject } from "./types/roles";
import { UserObject } from "./types/users";

@Resolver(() => RoleAssignmentObject)
export class RoleAssignmentResolver extends NodeResolver("RoleAssignment", RoleAssignmentObject) {
  @FieldResolver(() => UserObject, { description: "Who holds the role." })
  async user(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<User> {
    return (await context.loaders.user.load(assignment.userId)) as User;
  }

  @FieldResolver(() => SmartAccountObject, { description: "The Smart Account the role is in." })
  async smartAccount(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(assignment.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => VirtualAccountObject, {
    nullable: true,
    description:
      "Set for Virtual Account roles: the Virtual Account whose subtree the role covers. Null for Smart Account roles, and where the viewer cannot see it.",
  })
  async virtualAccount(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (assignment.virtualAccountId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(assignment.virtualAccountId));
  }

  @Mutation(() => RoleAssignmentObject, {
    description:
      "Grants a role by email: Smart Account roles by its admins, Virtual Account roles also by Virtual Account admins in their scope (R13, §5). Granting one that exists returns it.",
  })
  grantRole(
    @Arg("input", { description: "Who gets which role where." }) input: GrantRoleInput,
    @Ctx() context: RequestContext,
  ): Promise<RoleAssignment> {
    return context.services.roles.grant(context, { ...input, role: input.role as Role });
  }

  @Mutation(() => ID, {
    description:
      "Revokes a role assignment, by those who may grant it, and returns its ID; never the last SMART_ACCOUNT_ADMIN of an active account (R13).",
  })
  revokeRole(@Arg("id", () => ID, { description: "The role assignment to revoke." }) id: string, @Ctx() context: RequestContext): Promise<string> {
    return context.services.roles.revoke(context, id);
  }
}

@Resolver(() => AccessRequestObject)
export class AccessRequestResolver extends NodeResolver("AccessRequest", AccessRequestObject) {
  @FieldResolver(() => UserObject, { description: "Who asked." })
  async user(@Root() request: AccessRequest, @Ctx() context: RequestContext): Promise<User> {
    return (await context.loaders.user.load(request.userId)) as User;
  }

  @FieldResolver(() => String, { description: "The domain of the Smart Account asked for." })
  async domain(@Root() request: AccessRequest, @Ctx() context: RequestContext): Promise<string> {
    return ((await context.loaders.smartAccount.load(request.smartAccountId)) as SmartAccount).domain;
  }

  @Mutation(() => AccessRequestObject, {
    description: "Any signed-in user asks a Smart Account, by domain, for access; one PENDING request per user and account (R14).",
  })
  requestAccess(
    @Arg("input", { description: "The account's domain and a note for its admins." }) input: RequestAccessInput,
    @Ctx() context: RequestContext,
  ): Promise<AccessRequest> {
    return context.services.accessRequests.request(context, input);
  }

  @Mutation(() => AccessRequestObject, {
    description: "An admin approves a PENDING access request, granting the requester the role given, or denies it (R14).",
  })
  decideAccessRequest(
    @Arg("input", { description: "The request, the decision and, when approving, the role to grant." }) input: DecideAccessRequestInput,
    @Ctx() context: RequestContext,
  ): Promise<AccessRequest> {
    return context.services.accessRequests.decide(context, input);
  }
}
