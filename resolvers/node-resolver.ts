import { ClassType, FieldResolver, ID, Resolver, Root } from "type-graphql";
import { NodeType, toGlobalId } from "../src/ids";
import { NODE_ID_DESCRIPTION } from "./types/node";

/** Base of every Node type's resolver: the opaque global `id` (R5). */
export function NodeResolver(type: NodeType, objectType: ClassType) {
  @Resolver(() => objectType)
  abstract class NodeFields {
    @FieldResolver(() => ID, { description: NODE_ID_DESCRIPTION })
    id(@Root() root: { id: number }): string {
      return toGlobalId(type, root.id);
    }
  }
  return NodeFields;
}
