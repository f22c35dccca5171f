import { EventEmitter } from "node:events";
import Redis from "ioredis";
import type { Logger } from "../logging";
import type { NotificationMessage } from "./data";

export type NotificationListener = (message: NotificationMessage) => void;

/**
 * R36: how a committed notification reaches every copy of the service. With `REDIS_URL`, one Redis
 * channel: a copy publishes what it committed and every copy (itself included) hears it once; without
 * it, an in-process emitter. Live streams only: webhooks and mail start from the outbox table, not here.
 */
export interface NotificationBus {
  publish(messages: readonly NotificationMessage[]): Promise<void>;
  subscribe(listener: NotificationListener): () => void;
  /** Resolves once the bus hears what is published (Redis: the channel is subscribed). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createBus(settings: { redisUrl: string | null; keyPrefix: string }, logger: Logger): NotificationBus {
  return settings.redisUrl ? new RedisBus(settings.redisUrl, `${settings.keyPrefix}:notifications`, logger) : new LocalBus();
}

class LocalBus implements NotificationBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(messages: readonly NotificationMessage[]): Promise<void> {
    for (const message of messages) this.emitter.emit("message", message);
  }

  subscribe(listener: NotificationListener): () => void {
    this.emitter.on("message", listener);
    return () => this.emitter.off("message", listener);
  }

  async ready(): Promise<void> {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

class RedisBus implements NotificationBus {
  private readonly local = new LocalBus();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly subscribed: Promise<void>;

  constructor(
    url: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.publisher = new Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 2000 });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 2000 });
    for (const client of [this.publisher, this.subscriber]) client.on("error", () => undefined);
    this.subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        for (const message of JSON.parse(text) as NotificationMessage[]) void this.local.publish([message]);
      } catch (error) {
        this.logger.warn({ err: error }, "notification bus: a message could not be read");
      }
    });
    this.subscribed = this.subscriber.subscribe(this.channel).then(() => undefined);
    this.subscribed.catch((error) => this.logger.warn({ err: error }, "notification bus: Redis subscribe failed"));
  }

  async publish(messages: readonly NotificationMessage[]): Promise<void> {
    if (!messages.length) return;
    await this.publisher.publish(this.channel, JSON.stringify(messages));
  }

  subscribe(listener: NotificationListener): () => void {
    return this.local.subscribe(listener);
  }

  ready(): Promise<void> {
    return this.subscribed;
  }

  async close(): Promise<void> {
    await this.local.close();
    await Promise.all([this.publisher, this.subscriber].map((client) => client.quit().catch(() => client.disconnect())));
  }
}
