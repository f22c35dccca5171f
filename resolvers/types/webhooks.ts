import { Field, ID, InputType, Int, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType } from "./connection";
import { Node } from "./node";

// R37 webhooks (src/notifications/webhook.service.ts, webhook-delivery.ts): endpoints told about an
// account's notifications by signed HTTP POSTs, and each notification's delivery to one of them.

export enum WebhookTopic {
  EVENT = "EVENT",
  ALERT_RAISED = "ALERT_RAISED",
  ALERT_CLEARED = "ALERT_CLEARED",
}

registerEnumType(WebhookTopic, {
  name: "WebhookTopic",
  description: "What a webhook hears (SPEC §8).",
  valuesConfig: {
    EVENT: { description: "Every event (R29) where the webhook listens." },
    ALERT_RAISED: { description: "An alert raised (R35)." },
    ALERT_CLEARED: { description: "An alert cleared (R35)." },
  },
});

export enum WebhookDeliveryStatusValue {
  PENDING = "PENDING",
  DELIVERED = "DELIVERED",
  FAILED = "FAILED",
}

registerEnumType(WebhookDeliveryStatusValue, {
  name: "WebhookDeliveryStatus",
  description: "Where a delivery is (R37).",
  valuesConfig: {
    PENDING: { description: "Not delivered yet: the worker attempts it at nextAttemptAt." },
    DELIVERED: { description: "Answered with a 2xx." },
    FAILED: { description: "Given up: every attempt failed, or the webhook is disabled; redeliverWebhook queues one more." },
  },
});

@ObjectType("Webhook", {
  simpleResolvers: true,
  implements: Node,
  description:
    "An HTTPS endpoint told about an account's notifications, or those of one Virtual Account and below, by signed POSTs (R37). Seen and managed by SMART_ACCOUNT_ADMINs, and VIRTUAL_ACCOUNT_ADMINs in scope.",
})
export class WebhookObject extends Node {
  @Field({ description: "Where deliveries are POSTed." })
  url!: string;
  @Field({ description: "When it was created." })
  createdAt!: Date;
}

@ObjectType("WebhookDelivery", {
  simpleResolvers: true,
  implements: Node,
  description: "One notification for one webhook, and its attempts so far (R37): at least once, retried with backoff, then FAILED.",
})
export class WebhookDeliveryObject extends Node {
  @Field(() => WebhookTopic, { description: "The notification's topic." })
  topic!: WebhookTopic;
  @Field(() => WebhookDeliveryStatusValue, { description: "Delivered, failed, or still to be attempted." })
  status!: WebhookDeliveryStatusValue;
  @Field(() => Int, { description: "How many attempts were made." })
  attempts!: number;
  @Field({ description: "When the notification was written (and the delivery with it)." })
  createdAt!: Date;
  @Field(() => Date, { nullable: true, description: "When it was last attempted; null before the first attempt." })
  lastAttemptAt!: Date | null;
  @Field(() => Date, { nullable: true, description: "When the next attempt is due; null once delivered or failed." })
  nextAttemptAt!: Date | null;
  @Field(() => Int, { nullable: true, description: "HTTP status of the last attempt; null when it got no answer." })
  lastResponseStatus!: number | null;
}

export const WebhookConnection = ConnectionType("Webhook", WebhookObject, "webhooks");
export const WebhookDeliveryConnection = ConnectionType("WebhookDelivery", WebhookDeliveryObject, "deliveries");

@InputType("CreateWebhookInput", { description: "A new webhook: account-wide, or on one Virtual Account and below (R37)." })
export class CreateWebhookInput {
  @Field(() => ID, { description: "The Smart Account whose notifications it hears." })
  smartAccountId!: string;
  @Field(() => ID, {
    nullable: true,
    description: "Only what happens in this Virtual Account and below; omit for the whole account (SMART_ACCOUNT_ADMIN only).",
  })
  virtualAccountId?: string | null;
  @Field({ description: "An https URL whose host resolves to public addresses only (R37; WEBHOOK_ALLOW_PRIVATE=1 lifts that)." })
  url!: string;
  @Field(() => [WebhookTopic], { description: "At least one topic." })
  topics!: WebhookTopic[];
}

@ObjectType("CreateWebhookPayload", { simpleResolvers: true, description: "The new webhook and its signing secret." })
export class CreateWebhookPayload {
  @Field(() => WebhookObject, { description: "The webhook as listed from now on." })
  webhook!: WebhookObject;
  @Field({ description: "Shown once: the key of X-Webhook-Signature." })
  secret!: string;
}
