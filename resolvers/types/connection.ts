import { ArgsType, ClassType, Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "./node";

/** `first` and `after` of every connection field (R5); src/paging.ts checks them. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;
  @Field(() => String, { nullable: true })
  after?: string | null;
}

/** `<Name>Connection` and `<Name>Edge` for a node type; resolvers return a `paging.Connection`. */
export function ConnectionType<T extends object>(name: string, node: ClassType<T>) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field()
    cursor!: string;
    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true })
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];
    @Field(() => [node])
    nodes!: T[];
    @Field(() => PageInfo)
    pageInfo!: PageInfo;
    @Field(() => Int)
    totalCount!: number;
  }
  return Connection;
}
