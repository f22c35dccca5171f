import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { AccessRequest, AccessRequestStatus, Event, RoleAssignment, SmartAccount, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import {
  CreateVirtualAccountInput,
  RequestSmartAccountInput,
  SmartAccountObject,
  UpdateSmartAccountInput,
  UpdateVirtualAccountInput,
  VirtualAccountConnection,
  VirtualAccountObject,
} from "./types/accounts";
import { PageArgs } from "./types/connection";
import { EventConnection } from "./types/events";
import { AccessRequestConnection, RoleAssignmentConnection, RoleAssignmentObject } from "./types/roles";

// The accounts domain (src/accounts): Smart Accounts (smart-account.service.ts) and the Virtual Account
// tree (virtual-account.service.ts).

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

@Resolver(() => VirtualAccountObject)
export class VirtualAccountResolver extends NodeResolver("VirtualAccount", VirtualAccountObject) {
  @FieldResolver(() => SmartAccountObject)
  async smartAccount(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(va.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => VirtualAccountObject, { nullable: true, description: "Null at the top level, and where the viewer cannot see the parent." })
  async parent(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (va.parentId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(va.parentId));
  }

  @FieldResolver(() => VirtualAccountConnection)
  children(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<VirtualAccount>> {
    return context.loaders.children.load({ parent: va.id, request: pageRequest("VirtualAccount.children", page) });
  }

  @FieldResolver(() => RoleAssignmentConnection, { nullable: true })
  roleAssignments(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RoleAssignment>> {
    return context.loaders.virtualAccountRoleAssignments.load({
      parent: va.id,
      request: pageRequest("VirtualAccount.roleAssignments", page),
    });
  }

  @FieldResolver(() => EventConnection, { nullable: true })
  events(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<Event>> {
    return context.loaders.virtualAccountEvents.load({ parent: va.id, request: pageRequest("VirtualAccount.events", page) });
  }

  @Mutation(() => VirtualAccountObject)
  createVirtualAccount(@Arg("input") input: CreateVirtualAccountInput, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return context.services.virtualAccounts.create(context, input);
  }

  @Mutation(() => VirtualAccountObject)
  updateVirtualAccount(@Arg("input") input: UpdateVirtualAccountInput, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return context.services.virtualAccounts.update(context, input);
  }

  @Mutation(() => ID)
  deleteVirtualAccount(@Arg("id", () => ID) id: string, @Ctx() context: RequestContext): Promise<string> {
    return context.services.virtualAccounts.delete(context, id);
  }
}
