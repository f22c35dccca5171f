import { Arg, ID, Resolver, Root, Subscription } from "type-graphql";
import { Event } from "../entities";
import { AlertChange, alertChangeStream, delivered, Delivery, eventStream, StreamArgs } from "../src/notifications/streams";
import type { RequestContext } from "../src/context";
import { EventObject } from "./types/events";
import { AlertChangeObject } from "./types/subscriptions";

type Subscribed = { args: StreamArgs; context: RequestContext };

// type-graphql prints a field's arguments last parameter first: these read (smartAccountId, virtualAccountId) in the SDL.

/**
 * R36 over graphql-ws (src/notifications/subscriptions.ts). `subscribe` admits the stream (§5) and opens
 * it on the bus; each delivery is re-judged there, and the field's resolver hands on what was delivered
 * (or the FORBIDDEN that ends the stream).
 */
@Resolver()
export class SubscriptionResolver {
  @Subscription(() => EventObject, {
    description: "New events as they are written, scoped as SmartAccount.events, or VirtualAccount.events with virtualAccountId (R36).",
    subscribe: ({ args, context }: Subscribed) => eventStream(context, args),
  })
  events(
    @Root() delivery: Delivery<Event>,
    @Arg("virtualAccountId", () => ID, { nullable: true, description: "Only the events about this Virtual Account of the account." })
    _virtualAccountId: string | null | undefined,
    @Arg("smartAccountId", () => ID, { description: "The Smart Account to follow." }) _smartAccountId: string,
  ): Event {
    return delivered(delivery);
  }

  @Subscription(() => AlertChangeObject, {
    description: "Alerts raised and cleared where the viewer may see alerts; with virtualAccountId, in that subtree (R35, R36).",
    subscribe: ({ args, context }: Subscribed) => alertChangeStream(context, args),
  })
  alertChanges(
    @Root() delivery: Delivery<AlertChange>,
    @Arg("virtualAccountId", () => ID, { nullable: true, description: "Only the alerts of this Virtual Account of the account and those below it." })
    _virtualAccountId: string | null | undefined,
    @Arg("smartAccountId", () => ID, { description: "The Smart Account to follow." }) _smartAccountId: string,
  ): AlertChange {
    return delivered(delivery);
  }
}
