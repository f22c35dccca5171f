import { Arg, Ctx, ID, Query, Resolver } from "type-graphql";
import { SmartAccount } from "../entities";
import { smartAccountByDomain } from "../src/accounts/queries";
import { RequestContext } from "../src/context";
import { loadNode } from "../src/nodes";
import { SmartAccountObject } from "./types/accounts";
import { Node } from "./types/node";
import { ViewerObject } from "./types/users";

/** The graph's entry points: the viewer, any object by global id, and a Smart Account by domain. */
@Resolver()
export class QueryResolver {
  @Query(() => ViewerObject, { description: "The signed-in user and the Smart Accounts they hold roles in." })
  viewer(): ViewerObject {
    return {};
  }

  @Query(() => Node, { nullable: true, description: "Null where the object does not exist or the viewer cannot see it." })
  node(
    @Arg("id", () => ID, { description: "A global ID, as any object's `id` gives it." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<object | null> {
    return loadNode(context, id);
  }

  @Query(() => [Node], {
    nullable: "items",
    description: "The objects behind these IDs, in the same order; null for each one that does not exist or the viewer cannot see (R4).",
  })
  nodes(
    @Arg("ids", () => [ID], { description: "Global IDs of any kinds; each counts toward the operation's cost (R30)." }) ids: string[],
    @Ctx() context: RequestContext,
  ): Promise<(object | null)[]> {
    return Promise.all(ids.map((id) => loadNode(context, id)));
  }

  @Query(() => SmartAccountObject, {
    nullable: true,
    description: "Exact, case-insensitive match; null where the viewer holds no role in it.",
  })
  smartAccount(
    @Arg("domain", { description: "The account's domain, e.g. acme.com." }) domain: string,
    @Ctx() context: RequestContext,
  ): Promise<SmartAccount | null> {
    return smartAccountByDomain(context, domain);
  }
}
