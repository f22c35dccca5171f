import { Args, Ctx, FieldResolver, Resolver } from "type-graphql";
import { AccessRequest, SmartAccount, User } from "../entities";
import { viewerSmartAccounts } from "../src/accounts/queries";
import { RequestContext, viewerOf } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { SmartAccountConnection } from "./types/accounts";
import { PageArgs } from "./types/connection";
import { AccessRequestConnection } from "./types/roles";
import { UserObject, ViewerObject } from "./types/users";

// The users domain (src/users): users, and the viewer, the signed-in user's entry into the graph.

@Resolver(() => UserObject)
export class UserResolver extends NodeResolver("User", UserObject) {}

@Resolver(() => ViewerObject)
export class ViewerResolver {
  @FieldResolver(() => UserObject, { description: "The signed-in user." })
  user(@Ctx() context: RequestContext): User {
    return viewerOf(context);
  }

  @FieldResolver(() => SmartAccountConnection, { description: "Smart Accounts in which the viewer holds any role, ordered by name." })
  smartAccounts(@Args() page: PageArgs, @Ctx() context: RequestContext): Connection<SmartAccount> {
    return viewerSmartAccounts(context, page);
  }

  @FieldResolver(() => AccessRequestConnection, { description: "Access requests the viewer has made, newest first." })
  accessRequests(@Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<AccessRequest>> {
    return context.loaders.ownAccessRequests.load({
      parent: viewerOf(context).id,
      request: pageRequest("Viewer.accessRequests", page),
    });
  }
}
