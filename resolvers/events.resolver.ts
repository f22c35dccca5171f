import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import { Event, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { NodeResolver } from "./node-resolver";
import { VirtualAccountObject } from "./types/accounts";
import { EventObject } from "./types/events";
import { UserObject } from "./types/users";

@Resolver(() => EventObject)
export class EventResolver extends NodeResolver("Event", EventObject) {
  @FieldResolver(() => UserObject, {
    nullable: true,
    description: "Who made the change; null for what devices do themselves (registration, usage reports).",
  })
  async actor(@Root() event: Event, @Ctx() context: RequestContext): Promise<User | null> {
    return event.actorId === null ? null : context.loaders.user.load(event.actorId);
  }

  @FieldResolver(() => VirtualAccountObject, {
    nullable: true,
    description: "The Virtual Account the event is about; null for account-wide events and where the viewer cannot see it (R4).",
  })
  async virtualAccount(@Root() event: Event, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (event.virtualAccountId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(event.virtualAccountId));
  }
}
