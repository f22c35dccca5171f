import type { Webhook } from "../entities";
import { userVisible } from "./auth/guard";
import type { RequestContext } from "./context";
import { parseGlobalId } from "./ids";
import { webhookPlace, webhookVisible } from "./notifications/webhooks";

/**
 * `node(id:)` and `nodes(ids:)`: the object behind a global id if it exists and the viewer may see it,
 * else null (R4, R5), by the guard's one definition per kind. Every lookup goes through the request's
 * loaders, so `nodes` of 1 or 500 ids of a kind costs the same statements.
 */
export async function loadNode(context: RequestContext, globalId: string): Promise<object | null> {
  const parsed = parseGlobalId(globalId);
  if (!parsed) return null;
  const { loaders } = context;
  switch (parsed.type) {
    case "SmartAccount":
      return context.seen("SmartAccount", await loaders.smartAccount.load(parsed.id));
    case "VirtualAccount":
      return context.seen("VirtualAccount", await loaders.virtualAccount.load(parsed.id));
    case "RoleAssignment":
      return context.seen("RoleAssignment", await loaders.roleAssignment.load(parsed.id));
    case "AccessRequest":
      return context.seen("AccessRequest", await loaders.accessRequest.load(parsed.id));
    case "Event":
      return context.seen("Event", await loaders.event.load(parsed.id));
    case "License":
      return context.seen("License", await loaders.license.load(parsed.id));
    case "Order":
      return context.seen("Order", await loaders.order.load(parsed.id));
    case "ProductInstance":
      return context.seen("ProductInstance", await loaders.productInstance.load(parsed.id));
    case "RegistrationToken":
      return context.seen("RegistrationToken", await loaders.registrationToken.load(parsed.id));
    case "Product":
      return context.seen("Product", await loaders.product.load(parsed.id));
    case "Webhook":
      return visibleWebhook(context, await loaders.webhook.load(parsed.id));
    case "WebhookDelivery": {
      const delivery = await loaders.webhookDelivery.load(parsed.id);
      return delivery && (await visibleWebhook(context, await loaders.webhook.load(delivery.webhookId))) ? delivery : null;
    }
    case "User": {
      const user = await loaders.user.load(parsed.id);
      if (!user) return null;
      if (context.access.viewer?.id === user.id) return user;
      return userVisible(context.access, user.id, await loaders.userPlaces.load(user.id)) ? user : null;
    }
    default:
      return null;
  }
}

/** R37, §5: a webhook (and its deliveries) shows to who may manage webhooks where it sits. */
async function visibleWebhook(context: RequestContext, webhook: Webhook | null): Promise<Webhook | null> {
  if (!webhook) return null;
  const va = webhook.virtualAccountId === null ? null : await context.loaders.virtualAccount.load(webhook.virtualAccountId);
  return webhookVisible(context.access, webhookPlace(webhook, va)) ? webhook : null;
}
