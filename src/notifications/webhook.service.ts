import { randomBytes } from "node:crypto";
import { EntityManager } from "typeorm";
import { VirtualAccount, Webhook, WebhookDelivery } from "../../entities";
import { Actor, viewerOf } from "../actor";
import { accountPlace, Place, virtualAccountPlace } from "../auth/guard";
import { capabilityOf, MutationName } from "../auth/mutations";
import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import { ConflictError, InputError, NotFoundError } from "../errors";
import type { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import { checkWebhookUrl } from "./ssrf";
import { CreateWebhookInput, parseTopics, webhookPlace, webhookSecret } from "./webhooks";

/**
 * R37 webhooks: created by a SMART_ACCOUNT_ADMIN (account-wide or on any Virtual Account) or a
 * VIRTUAL_ACCOUNT_ADMIN (on a Virtual Account in scope), deleted, and deliveries sent again. Each
 * successful call records one event (R29); a refused one writes nothing.
 */
export class WebhookService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
    readonly settings: NotificationSettings,
  ) {}

  /** createWebhook: the webhook, and its signing secret (shown this once, never stored). */
  async create(context: Actor, raw: CreateWebhookInput): Promise<{ webhook: Webhook; secret: string }> {
    const viewer = viewerOf(context);
    const accountId = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    const topics = parseTopics(raw.topics);
    // Who may, first (NOT_FOUND, FORBIDDEN: R4); then the URL, whose check resolves its host (outside any
    // transaction); then again, under the transaction that writes.
    await this.authorize(context, context.db.manager, accountId, vaId);
    const url = await checkWebhookUrl(raw.url, this.settings, "input.url");
    const secretSalt = randomBytes(24).toString("base64url");
    const webhook = await context.db.transaction(async (manager) => {
      const place = await this.authorize(context, manager, accountId, vaId);
      const created = await manager.save(
        manager.create(Webhook, {
          smartAccountId: accountId,
          virtualAccountId: vaId,
          url: url.toString(),
          topics: topics.join(","),
          secretSalt,
          active: true,
          createdById: viewer.id,
          createdAt: this.clock.now(),
          disabledAt: null,
          disabledReason: null,
        }),
      );
      await this.events.record(manager, {
        type: "WEBHOOK_CREATED",
        // The origin only: a URL's path or query may carry the receiver's own token.
        message: `${viewer.email} created a webhook to ${url.origin} for ${topics.join(", ")}${place.virtualAccount ? ` on "${place.virtualAccount.name}"` : ""}`,
        actorId: viewer.id,
        smartAccountId: accountId,
        virtualAccountId: vaId,
      });
      return created;
    });
    return { webhook, secret: webhookSecret(this.settings, secretSalt) };
  }

  /** deleteWebhook: it stops (active false, "deleted") and stays listed with its deliveries. */
  async delete(context: Actor, globalId: string): Promise<string> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("Webhook", globalId, "id");
    await context.db.transaction(async (manager) => {
      const { webhook, place } = await this.reachWebhook(context, manager, id, "deleteWebhook", "id");
      if (webhook.disabledReason === "deleted") throw new ConflictError("This webhook is already deleted.");
      await manager.update(Webhook, { id }, { active: false, disabledAt: this.clock.now(), disabledReason: "deleted" });
      await this.events.record(manager, {
        type: "WEBHOOK_DELETED",
        message: `${viewer.email} deleted the webhook to ${originOf(webhook.url)}${place.virtualAccount ? ` on "${place.virtualAccount.name}"` : ""}`,
        actorId: viewer.id,
        smartAccountId: webhook.smartAccountId,
        virtualAccountId: webhook.virtualAccountId,
      });
    });
    return globalId;
  }

  /** redeliverWebhook: one more attempt of a delivery, due now (the worker sends it). */
  async redeliver(context: Actor, globalId: string): Promise<WebhookDelivery> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("WebhookDelivery", globalId, "deliveryId");
    return context.db.transaction(async (manager) => {
      const delivery = await context.db.forUpdate(manager.createQueryBuilder(WebhookDelivery, "d").where("d.id = :id", { id })).getOne();
      if (!delivery) throw new NotFoundError("Webhook delivery (deliveryId)");
      const { webhook, place } = await this.reachWebhook(context, manager, delivery.webhookId, "redeliverWebhook", "deliveryId", "Webhook delivery");
      if (!webhook.active) throw new ConflictError(`This webhook is disabled (${webhook.disabledReason ?? "inactive"}): it delivers nothing.`);
      const now = this.clock.now();
      await manager.update(WebhookDelivery, { id }, { status: "PENDING", nextAttemptAt: now });
      await this.events.record(manager, {
        type: "WEBHOOK_REDELIVERY_REQUESTED",
        message: `${viewer.email} asked for delivery ${id} of the webhook to ${originOf(webhook.url)} again`,
        actorId: viewer.id,
        smartAccountId: webhook.smartAccountId,
        virtualAccountId: place.virtualAccount?.id ?? null,
      });
      return manager.findOneByOrFail(WebhookDelivery, { id });
    });
  }

  /**
   * createWebhook's §5 check: the account and the Virtual Account must be visible (NOT_FOUND), and the
   * viewer must manage webhooks there (FORBIDDEN): account-wide needs SMART_ACCOUNT_ADMIN.
   */
  private async authorize(context: Actor, manager: EntityManager, accountId: number, vaId: number | null): Promise<Place> {
    await context.guard.reach(manager, "SmartAccount", accountId, { field: "input.smartAccountId", lock: false });
    let place = accountPlace(accountId);
    if (vaId !== null) {
      const { object: va } = await context.guard.reach(manager, "VirtualAccount", vaId, { field: "input.virtualAccountId", lock: false });
      if (va.smartAccountId !== accountId) throw new InputError("input.virtualAccountId", "The Virtual Account belongs to another Smart Account.");
      place = virtualAccountPlace(va);
    }
    context.guard.assert(capabilityOf("createWebhook"), place);
    return place;
  }

  /** A webhook by id, locked; NOT_FOUND unless the viewer may manage webhooks where it sits (R4: no FORBIDDEN to leak it). */
  private async reachWebhook(
    context: Actor,
    manager: EntityManager,
    id: number,
    mutation: MutationName,
    field: string,
    noun = "Webhook",
  ): Promise<{ webhook: Webhook; place: Place }> {
    const webhook = await context.db.forUpdate(manager.createQueryBuilder(Webhook, "w").where("w.id = :id", { id })).getOne();
    if (!webhook) throw new NotFoundError(`${noun} (${field})`);
    const va = webhook.virtualAccountId === null ? null : await manager.findOneBy(VirtualAccount, { id: webhook.virtualAccountId });
    const place = webhookPlace(webhook, va);
    if (!context.access.can(capabilityOf(mutation), place)) throw new NotFoundError(`${noun} (${field})`);
    return { webhook, place };
  }
}

const originOf = (url: string): string => {
  try {
    return new URL(url).origin;
  } catch {
    return "(unreadable URL)";
  }
};
