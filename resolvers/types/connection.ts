import { ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./node";

/** `first` and `after` of every connection field (R5); src/paging.ts checks them. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "How many items to return: 1–500, 50 when omitted; outside that range a BAD_USER_INPUT (R5)." })
  first?: number | null;
  @Field(() => String, {
    nullable: true,
    description:
      "Return the items after this cursor (a previous page's `pageInfo.endCursor` or an edge's `cursor`); omit for the first page. A cursor of another connection is a BAD_USER_INPUT (R5).",
  })
  after?: string | null;
}

/**
 * `<Name>Connection` and `<Name>Edge` for a node type; resolvers return a `paging.Connection`. `items`
 * names the listed objects in the descriptions, e.g. "Smart Accounts".
 */
export function ConnectionType<T extends object>(name: string, node: ClassType<T>, items: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One of a page's ${items}, with its cursor.` })
  class Edge {
    @Field({ description: "This item's opaque cursor: pass it as `after` to continue after it." })
    cursor!: string;
    @Field(() => node, { description: "The item itself." })
    node!: T;
  }

  @ObjectType(`${name}Connection`, {
    simpleResolvers: true,
    description: `A page of ${items} in a stable order (R5); ask for the next page with \`after: pageInfo.endCursor\`.`,
  })
  class Connection {
    @Field(() => [Edge], { description: `The page's ${items}, each with its cursor.` })
    edges!: Edge[];
    @Field(() => [node], { description: `The page's ${items}, without cursors: the same items as \`edges\`.` })
    nodes!: T[];
    @Field(() => PageInfo, { description: "Whether pages come before or after this one, and the cursors to reach them." })
    pageInfo!: PageInfo;
    @Field(() => Int, { description: `How many ${items} the whole list holds, over every page.` })
    totalCount!: number;
  }
  return Connection;
}
