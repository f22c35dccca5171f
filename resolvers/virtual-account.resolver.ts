import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { Event, RoleAssignment, SmartAccount, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { CreateVirtualAccountInput, PageArgs, UpdateVirtualAccountInput } from "./types/inputs";
import {
  EventConnection,
  RoleAssignmentConnection,
  SmartAccountObject,
  VirtualAccountConnection,
  VirtualAccountObject,
} from "./types/objects";

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
