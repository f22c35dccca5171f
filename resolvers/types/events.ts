import { Field, ObjectType } from "type-graphql";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The events domain (src/events): the audit trail every successful mutation writes to (R29).

@ObjectType("Event", { simpleResolvers: true, implements: Node })
export class EventObject extends Node {
  @Field({ description: "A stable, upper-snake-case name, e.g. LICENSES_TRANSFERRED." })
  type!: string;
  @Field()
  message!: string;
  @Field()
  createdAt!: Date;
}

export const EventConnection = ConnectionType("Event", EventObject);
