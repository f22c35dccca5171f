import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { AccessRequest, Role, RoleAssignment, SmartAccount, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { AccessRequestObject, DecideAccessRequestInput, GrantRoleInput, RequestAccessInput, RoleAssignmentObject } from "./types/roles";
import { UserObject } from "./types/users";

@Resolver(() => RoleAssignmentObject)
export class RoleAssignmentResolver extends NodeResolver("RoleAssignment", RoleAssignmentObject) {
  @FieldResolver(() => UserObject)
  async user(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<User> {
    return (await context.loaders.user.load(assignment.userId)) as User;
  }

  @FieldResolver(() => SmartAccountObject)
  async smartAccount(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(assignment.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => VirtualAccountObject, { nullable: true, description: "Set for Virtual Account roles." })
  async virtualAccount(@Root() assignment: RoleAssignment, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (assignment.virtualAccountId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(assignment.virtualAccountId));
  }

  @Mutation(() => RoleAssignmentObject)
  grantRole(@Arg("input") input: GrantRoleInput, @Ctx() context: RequestContext): Promise<RoleAssignment> {
    return context.services.roles.grant(context, { ...input, role: input.role as Role });
  }

  @Mutation(() => ID)
  revokeRole(@Arg("id", () => ID) id: string, @Ctx() context: RequestContext): Promise<string> {
    return context.services.roles.revoke(context, id);
  }
}

@Resolver(() => AccessRequestObject)
export class AccessRequestResolver extends NodeResolver("AccessRequest", AccessRequestObject) {
  @FieldResolver(() => UserObject)
  async user(@Root() request: AccessRequest, @Ctx() context: RequestContext): Promise<User> {
    return (await context.loaders.user.load(request.userId)) as User;
  }

  @FieldResolver(() => String, { description: "The domain of the Smart Account asked for." })
  async domain(@Root() request: AccessRequest, @Ctx() context: RequestContext): Promise<string> {
    return ((await context.loaders.smartAccount.load(request.smartAccountId)) as SmartAccount).domain;
  }

  @Mutation(() => AccessRequestObject)
  requestAccess(@Arg("input") input: RequestAccessInput, @Ctx() context: RequestContext): Promise<AccessRequest> {
    return context.services.accessRequests.request(context, input);
  }

  @Mutation(() => AccessRequestObject)
  decideAccessRequest(@Arg("input") input: DecideAccessRequestInput, @Ctx() context: RequestContext): Promise<AccessRequest> {
    return context.services.accessRequests.decide(context, input);
  }
}
