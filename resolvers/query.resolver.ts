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
  @Query(() => ViewerObject)
  viewer(): ViewerObject {
    return {};
  }

  @Query(() => Node, { nullable: true, description: "Null where the object does not exist or the viewer cannot see it." })
  node(@Arg("id", () => ID) id: string, @Ctx() context: RequestContext): Promise<object | null> {
    return loadNode(context, id);
  }

  @Query(() => [Node], { nullable: "items" })
  nodes(@Arg("ids", () => [ID]) ids: string[], @Ctx() context: RequestContext): Promise<(object | null)[]> {
    return Promise.all(ids.map((id) => loadNode(context, id)));
  }

  @Query(() => SmartAccountObject, {
    nullable: true,
    description: "Exact, case-insensitive match; null where the viewer holds no role in it.",
  })
  smartAccount(@Arg("domain") domain: string, @Ctx() context: RequestContext): Promise<SmartAccount | null> {
    return smartAccountByDomain(context, domain);
  }
}
