import { Field, ObjectType } from "type-graphql";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// The events domain (src/events): the audit trail every successful mutation writes to (R29).

@ObjectType("Event", {
  simpleResolvers: true,
  implements: Node,
  description:
    "An entry of the audit trail, of one Smart Account for all but catalog changes: every successful mutation writes one, and none is ever edited (R29).",
})
export class EventObject extends Node {
  @Field({ description: "A stable, upper-snake-case name, e.g. LICENSES_TRANSFERRED." })
  type!: string;
  @Field({ description: "What happened, in a sentence for people, e.g. who moved how many licenses where." })
  message!: string;
  @Field({ description: "When it happened." })
  createdAt!: Date;
}

export const EventConnection = ConnectionType("Event", EventObject, "events");
