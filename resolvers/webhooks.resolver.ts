import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { SmartAccount, User, VirtualAccount, Webhook, WebhookDelivery } from "../entities";
import { RequestContext } from "../src/context";
import { topicsOf, webhookPlace } from "../src/notifications/webhooks";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { PageArgs } from "./types/connection";
import { UserObject } from "./types/users";
import {
  CreateWebhookInput,
  CreateWebhookPayload,
  WebhookConnection,
  WebhookDeliveryConnection,
  WebhookDeliveryObject,
  WebhookObject,
  WebhookTopic,
} from "./types/webhooks";

// R37 webhooks (src/notifications/webhook.service.ts): SmartAccount.webhooks, the webhooks' own fields
// and their three mutations.

@Resolver(() => SmartAccountObject)
export class SmartAccountWebhooksResolver {
  @FieldResolver(() => WebhookConnection, {
    nullable: true,
    description:
      "Webhooks of this account: all for a SMART_ACCOUNT_ADMIN, those in scope for a VIRTUAL_ACCOUNT_ADMIN, in order of creation; null with FORBIDDEN for other roles (R37, §5, R4).",
  })
  webhooks(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<Webhook>> {
    return context.loaders.smartAccountWebhooks.load({ parent: account.id, request: pageRequest("SmartAccount.webhooks", page) });
  }
}

@Resolver(() => WebhookObject)
export class WebhookResolver extends NodeResolver("Webhook", WebhookObject) {
  @FieldResolver(() => SmartAccountObject, { description: "The account whose notifications it hears." })
  async smartAccount(@Root() webhook: Webhook, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(webhook.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => VirtualAccountObject, {
    nullable: true,
    description: "Null for an account-wide webhook; otherwise it delivers what happens in this Virtual Account and below.",
  })
  async virtualAccount(@Root() webhook: Webhook, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    if (webhook.virtualAccountId === null) return null;
    return context.seen("VirtualAccount", await context.loaders.virtualAccount.load(webhook.virtualAccountId));
  }

  @FieldResolver(() => [WebhookTopic], { description: "What it hears." })
  topics(@Root() webhook: Webhook): string[] {
    return topicsOf(webhook);
  }

  @FieldResolver(() => Boolean, { description: "False after deleteWebhook, or once its creator may no longer manage webhooks there (R37)." })
  async active(@Root() webhook: Webhook, @Ctx() context: RequestContext): Promise<boolean> {
    if (!webhook.active || webhook.createdById === null) return false;
    // Both at once, so that every webhook of a page asks in the same batch (account-wide ones need no Virtual Account).
    const [va, creator] = await Promise.all([
      webhook.virtualAccountId === null ? null : context.loaders.virtualAccount.load(webhook.virtualAccountId),
      context.loaders.creatorAccess.load(webhook.createdById),
    ]);
    return creator.can("webhooks:manage", webhookPlace(webhook, va));
  }

  @FieldResolver(() => UserObject, { nullable: true, description: "Who created it." })
  async createdBy(@Root() webhook: Webhook, @Ctx() context: RequestContext): Promise<User | null> {
    return webhook.createdById === null ? null : context.loaders.user.load(webhook.createdById);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: "Newest first." })
  deliveries(@Root() webhook: Webhook, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<WebhookDelivery>> {
    return context.loaders.webhookDeliveries.load({ parent: webhook.id, request: pageRequest("Webhook.deliveries", page) });
  }

  @Mutation(() => CreateWebhookPayload, {
    description:
      "A SMART_ACCOUNT_ADMIN (account-wide or on any Virtual Account) or a VIRTUAL_ACCOUNT_ADMIN (on a Virtual Account in scope) adds a webhook; its signing secret is returned this once (R37).",
  })
  createWebhook(
    @Arg("input", { description: "Where it listens, what it hears and where it POSTs." }) input: CreateWebhookInput,
    @Ctx() context: RequestContext,
  ): Promise<{ webhook: Webhook; secret: string }> {
    return context.services.webhooks.create(context, input);
  }

  @Mutation(() => ID, { description: "Stops a webhook for good: it delivers nothing more and stays listed, inactive (R37). Returns its id." })
  deleteWebhook(@Arg("id", () => ID, { description: "The webhook." }) id: string, @Ctx() context: RequestContext): Promise<string> {
    return context.services.webhooks.delete(context, id);
  }
}

@Resolver(() => WebhookDeliveryObject)
export class WebhookDeliveryResolver extends NodeResolver("WebhookDelivery", WebhookDeliveryObject) {
  @FieldResolver(() => WebhookObject, { description: "The webhook it is for." })
  async webhook(@Root() delivery: WebhookDelivery, @Ctx() context: RequestContext): Promise<Webhook> {
    return (await context.loaders.webhook.load(delivery.webhookId)) as Webhook;
  }

  @Mutation(() => WebhookDeliveryObject, { description: "Queues one more attempt of a delivery (R37)." })
  redeliverWebhook(
    @Arg("deliveryId", () => ID, { description: "The delivery to send again." }) deliveryId: string,
    @Ctx() context: RequestContext,
  ): Promise<WebhookDelivery> {
    return context.services.webhooks.redeliver(context, deliveryId);
  }
}
