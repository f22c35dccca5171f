import { Args, Ctx, FieldResolver, Resolver } from "type-graphql";
import { AccessRequest, SmartAccount, User } from "../entities";
import { viewerSmartAccounts } from "../src/accounts/queries";
import { RequestContext, viewerOf } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { PageArgs } from "./types/inputs";
import { AccessRequestConnection, SmartAccountConnection, UserObject, ViewerObject } from "./types/objects";

@Resolver(() => ViewerObject)
export class ViewerResolver {
  @FieldResolver(() => UserObject)
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
