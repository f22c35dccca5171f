import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { AccessRequest, AccessRequestStatus, Event, RoleAssignment, SmartAccount, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { PageArgs, RequestSmartAccountInput, UpdateSmartAccountInput } from "./types/inputs";
import {
  AccessRequestConnection,
  EventConnection,
  RoleAssignmentConnection,
  RoleAssignmentObject,
  SmartAccountObject,
  VirtualAccountConnection,
  VirtualAccountObject,
} from "./types/objects";

@Resolver(() => SmartAccountObject)
export class SmartAccountResolver extends NodeResolver("SmartAccount", SmartAccountObject) {
  @FieldResolver(() => [RoleAssignmentObject], { description: "The viewer's own role assignments in this account." })
  viewerRoles(@Root() account: SmartAccount, @Ctx() context: RequestContext): RoleAssignment[] {
    return context.access.grantsIn(account.id).map((grant) => grant.assignment);
  }

  @FieldResolver(() => VirtualAccountObject, { nullable: true, description: "The default Virtual Account, where the viewer can see it." })
  async defaultVirtualAccount(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    return context.seen("VirtualAccount", await context.loaders.defaultVirtualAccount.load(account.id));
  }

  @FieldResolver(() => VirtualAccountConnection, {
    description:
      "The tops of the tree as the viewer sees it: top-level Virtual Accounts for account-wide roles, the assigned ones for Virtual Account roles.",
  })
  virtualAccounts(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<VirtualAccount>> {
    return context.loaders.topVirtualAccounts.load({ parent: account.id, request: pageRequest("SmartAccount.virtualAccounts", page) });
  }

  @FieldResolver(() => VirtualAccountConnection, { description: "Every Virtual Account the viewer can see, each parent before its children." })
  allVirtualAccounts(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<VirtualAccount>> {
    return context.loaders.allVirtualAccounts.load({ parent: account.id, request: pageRequest("SmartAccount.allVirtualAccounts", page) });
  }

  @FieldResolver(() => RoleAssignmentConnection, { nullable: true })
  roleAssignments(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RoleAssignment>> {
    return context.loaders.smartAccountRoleAssignments.load({
      parent: account.id,
      request: pageRequest("SmartAccount.roleAssignments", page),
    });
  }

  @FieldResolver(() => AccessRequestConnection, { nullable: true })
  accessRequests(
    @Root() account: SmartAccount,
    @Arg("status", () => AccessRequestStatus, { nullable: true }) status: AccessRequestStatus | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<AccessRequest>> {
    return context.loaders.smartAccountAccessRequests.load({
      parent: account.id,
      request: pageRequest("SmartAccount.accessRequests", page),
      filter: status ?? null,
    });
  }

  @FieldResolver(() => EventConnection, { nullable: true })
  events(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<Event>> {
    return context.loaders.smartAccountEvents.load({ parent: account.id, request: pageRequest("SmartAccount.events", page) });
  }

  @Mutation(() => SmartAccountObject)
  requestSmartAccount(@Arg("input") input: RequestSmartAccountInput, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return context.services.smartAccounts.request(context, input);
  }

  @Mutation(() => SmartAccountObject)
  approveDomainPrefix(@Arg("smartAccountId", () => ID) id: string, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return context.services.smartAccounts.approveDomainPrefix(context, id);
  }

  @Mutation(() => SmartAccountObject)
  activateSmartAccount(@Arg("smartAccountId", () => ID) id: string, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return context.services.smartAccounts.activate(context, id);
  }

  @Mutation(() => SmartAccountObject)
  updateSmartAccount(@Arg("input") input: UpdateSmartAccountInput, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return context.services.smartAccounts.update(context, input);
  }
}
