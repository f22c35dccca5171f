import { Field, ObjectType } from "type-graphql";
import { Node } from "./node";

// The users domain (src/users): people, as accounts' roles, events and orders name them, and the viewer.

@ObjectType("User", { simpleResolvers: true, implements: Node })
export class UserObject extends Node {
  @Field()
  email!: string;
  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType("Viewer", { simpleResolvers: true })
export class ViewerObject {}
