import { Field, ObjectType } from "type-graphql";
import { Node } from "./node";

// The users domain (src/users): people, as accounts' roles, events and orders name them, and the viewer.

@ObjectType("User", {
  simpleResolvers: true,
  implements: Node,
  description:
    "A person, known by email: created when they first sign in, are granted a role or are named an approver (R1, R7, R13). `node(id:)` finds them for themselves and for whoever may see one of their role assignments or access requests (R4).",
})
export class UserObject extends Node {
  @Field({ description: "The user's identity, lower-cased (R1, R6)." })
  email!: string;
  @Field(() => String, { nullable: true, description: "The name their sign-in token carries; null until they sign in with one." })
  name!: string | null;
}

@ObjectType("Viewer", { simpleResolvers: true, description: "The signed-in user and what they reach: the start of most queries." })
export class ViewerObject {}
