import { EntityManager } from "typeorm";
import { Event } from "../../entities";
import { Clock } from "../clock";
import { noteEvent } from "../notifications/transaction";

export interface EventInput {
  type: string;
  message: string;
  actorId: number | null;
  smartAccountId: number | null;
  virtualAccountId?: number | null;
}

/** R29: the one event of a successful mutation, written with the mutation's own transaction manager. */
export class EventService {
  constructor(private readonly clock: Clock) {}

  async record(manager: EntityManager, input: EventInput): Promise<Event> {
    const event = await manager.save(
      manager.create(Event, {
        type: input.type,
        message: input.message.slice(0, 1000),
        actorId: input.actorId,
        smartAccountId: input.smartAccountId,
        virtualAccountId: input.virtualAccountId ?? null,
        createdAt: this.clock.now(),
      }),
    );
    // SPEC §8: the event is also a notification, written to the outbox before this transaction commits.
    noteEvent(manager, event);
    return event;
  }
}
