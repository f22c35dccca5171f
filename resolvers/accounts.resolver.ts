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

  @FieldResolver(() => RoleAssignmentConnection, {
    nullable: true,
    description:
      "Role assignments, oldest first: all of them for the approver and admins, the Virtual Account roles in their scope for Virtual Account admins; null with FORBIDDEN for other roles (§5, R4).",
  })
  roleAssignments(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RoleAssignment>> {
    return context.loaders.smartAccountRoleAssignments.load({
      parent: account.id,
      request: pageRequest("SmartAccount.roleAssignments", page),
    });
  }

  @FieldResolver(() => AccessRequestConnection, {
    nullable: true,
    description: "Access requests to this account, newest first, for its admins; null with FORBIDDEN for other roles (R14, R4).",
  })
  accessRequests(
    @Root() account: SmartAccount,
    @Arg("status", () => AccessRequestStatus, { nullable: true, description: "Only requests with this status; omit for all." })
    status: AccessRequestStatus | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<AccessRequest>> {
    return context.loaders.smartAccountAccessRequests.load({
      parent: account.id,
      request: pageRequest("SmartAccount.accessRequests", page),
      filter: status ?? null,
    });
  }

  @FieldResolver(() => EventConnection, {
    nullable: true,
    description:
      "The account's audit trail, newest first: all of it for the approver and admins, the events of Virtual Accounts in their scope for Virtual Account admins; null with FORBIDDEN for other roles (R29, R4).",
  })
  events(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<Event>> {
    return context.loaders.smartAccountEvents.load({ parent: account.id, request: pageRequest("SmartAccount.events", page) });
  }

  @Mutation(() => SmartAccountObject, {
    description:
      "Any signed-in user requests a Smart Account: it starts PENDING with its default Virtual Account, and the approver gets SMART_ACCOUNT_APPROVER (R7–R9, R11).",
  })
  requestSmartAccount(
    @Arg("input", { description: "The account to request and its approver." }) input: RequestSmartAccountInput,
    @Ctx() context: RequestContext,
  ): Promise<SmartAccount> {
    return context.services.smartAccounts.request(context, input);
  }

  @Mutation(() => SmartAccountObject, {
    description: "An admin of the parent domain's Smart Account lets a prefixed domain's account go on to activation (R9).",
  })
  approveDomainPrefix(
    @Arg("smartAccountId", () => ID, { description: "The account awaiting domain approval." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<SmartAccount> {
    return context.services.smartAccounts.approveDomainPrefix(context, id);
  }

  @Mutation(() => SmartAccountObject, {
    description:
      "The approver activates a PENDING account, once it awaits no domain approval: it becomes ACTIVE, the approver also SMART_ACCOUNT_ADMIN, and its PENDING orders are fulfilled (R10).",
  })
  activateSmartAccount(
    @Arg("smartAccountId", () => ID, { description: "The account to activate." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<SmartAccount> {
    return context.services.smartAccounts.activate(context, id);
  }

  @Mutation(() => SmartAccountObject, { description: "Renames a Smart Account; its approver and admins may (§5)." })
  updateSmartAccount(
    @Arg("input", { description: "The account and its new name." }) input: UpdateSmartAccountInput,
    @Ctx() context: RequestContext,
  ): Promise<SmartAccount> {
    return context.services.smartAccounts.update(context, input);
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountResolver extends NodeResolver("VirtualAccount", VirtualAccountObject) {
  @FieldResolver(() => SmartAccountObject, { description: "The Smart Account whose tree this is." })
  async smartAccount(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(va.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => VirtualAccountObject, { nullable: true, description: "Null at the top level, and where the viewer cannot see the parent." })
  async parent(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (va.parentId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(va.parentId));
  }

  @FieldResolver(() => VirtualAccountConnection, { description: "The Virtual Accounts directly under this one that the viewer can see." })
  children(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<VirtualAccount>> {
    return context.loaders.children.load({ parent: va.id, request: pageRequest("VirtualAccount.children", page) });
  }

  @FieldResolver(() => RoleAssignmentConnection, {
    nullable: true,
    description:
      "The Virtual Account roles granted on this very Virtual Account, oldest first; null with FORBIDDEN where the viewer may not see role assignments here (§5, R4).",
  })
  roleAssignments(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RoleAssignment>> {
    return context.loaders.virtualAccountRoleAssignments.load({
      parent: va.id,
      request: pageRequest("VirtualAccount.roleAssignments", page),
    });
  }

  @FieldResolver(() => EventConnection, {
    nullable: true,
    description: "Events about this very Virtual Account, newest first; null with FORBIDDEN where the viewer may not see events here (R29, R4).",
  })
  events(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<Event>> {
    return context.loaders.virtualAccountEvents.load({ parent: va.id, request: pageRequest("VirtualAccount.events", page) });
  }

  @Mutation(() => VirtualAccountObject, {
    description: "An admin adds a Virtual Account to the tree, at most 10 deep; a LIMITED_USE account takes none (R12).",
  })
  createVirtualAccount(
    @Arg("input", { description: "Where the new Virtual Account goes and what it is called." }) input: CreateVirtualAccountInput,
    @Ctx() context: RequestContext,
  ): Promise<VirtualAccount> {
    return context.services.virtualAccounts.create(context, input);
  }

  @Mutation(() => VirtualAccountObject, {
    description: "An admin renames, redescribes or moves a Virtual Account within its tree, never under itself or a descendant (R12).",
  })
  updateVirtualAccount(
    @Arg("input", { description: "The Virtual Account and what changes." }) input: UpdateVirtualAccountInput,
    @Ctx() context: RequestContext,
  ): Promise<VirtualAccount> {
    return context.services.virtualAccounts.update(context, input);
  }

  @Mutation(() => ID, {
    description:
      "An admin deletes a Virtual Account with no children, licenses or devices, its registration tokens with it; returns its ID. Never the default one (R11, R12).",
  })
  deleteVirtualAccount(
    @Arg("id", () => ID, { description: "The Virtual Account to delete." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<string> {
    return context.services.virtualAccounts.delete(context, id);
  }
}
