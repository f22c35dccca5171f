import { EntityManager } from "typeorm";
import { Event, Notification, NotificationTopic, WebhookDelivery } from "../../entities";
import { runSql, sql } from "../db/sql";
import { toGlobalId } from "../ids";
import type { EventData, NotificationData, NotificationMessage } from "./data";

/** A notification about to be written: what it is about and where. */
export interface NotificationDraft {
  topic: NotificationTopic;
  smartAccountId: number;
  virtualAccountId: number | null;
  eventId?: number | null;
  data: NotificationData;
}

/** An event as its notification carries it (R29, R35). */
export function eventData(event: Event): EventData {
  return {
    id: event.id,
    type: event.type,
    message: event.message,
    actorId: event.actorId,
    smartAccountId: event.smartAccountId as number,
    virtualAccountId: event.virtualAccountId,
    createdAt: event.createdAt.toISOString(),
  };
}

/** Virtual Accounts' paths, where they still exist (a notification's scope for subscribers and webhooks). */
async function pathsOf(manager: EntityManager, ids: readonly number[]): Promise<Map<number, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const rows = await runSql<{ id: unknown; path: string }>(manager, sql`SELECT id, path FROM virtual_accounts WHERE ${sql.in(sql`id`, unique)}`);
  return new Map(rows.map((row) => [Number(row.id), row.path]));
}

/** An account's active webhooks as a notification is matched against them. */
interface WebhookTarget {
  id: number;
  topics: string[];
  /** The webhook's Virtual Account's path; null for an account-wide one. */
  path: string | null;
  virtualAccountId: number | null;
}

async function activeWebhooks(manager: EntityManager, smartAccountIds: readonly number[]): Promise<Map<number, WebhookTarget[]>> {
  const byAccount = new Map<number, WebhookTarget[]>();
  if (!smartAccountIds.length) return byAccount;
  const rows = await runSql<{ id: unknown; smart_account_id: unknown; topics: string; virtual_account_id: unknown; path: string | null }>(
    manager,
    sql`SELECT w.id, w.smart_account_id, w.topics, w.virtual_account_id, va.path
          FROM webhooks w LEFT JOIN virtual_accounts va ON va.id = w.virtual_account_id
         WHERE ${sql.in(sql`w.smart_account_id`, [...new Set(smartAccountIds)])} AND w.active = 1`,
  );
  for (const row of rows) {
    const account = Number(row.smart_account_id);
    const list = byAccount.get(account) ?? [];
    list.push({
      id: Number(row.id),
      topics: row.topics.split(","),
      path: row.path,
      virtualAccountId: row.virtual_account_id == null ? null : Number(row.virtual_account_id),
    });
    byAccount.set(account, list);
  }
  return byAccount;
}

/** R37: a webhook hears a notification of its topics, account-wide or in its Virtual Account's subtree. */
export function webhookHears(target: Pick<WebhookTarget, "topics" | "path" | "virtualAccountId">, message: NotificationMessage): boolean {
  if (!target.topics.includes(message.topic)) return false;
  if (target.virtualAccountId === null) return true;
  if (target.path === null) return false;
  return message.virtualAccountPath !== null && message.virtualAccountPath.startsWith(target.path);
}

/**
 * SPEC §8's outbox: writes the notifications in the caller's transaction, and for each one a PENDING
 * delivery per active webhook that hears it (R37: stored with the write that caused it, so at least once).
 * Returns them as they will be published once the transaction commits, and the deliveries' ids.
 */
export async function writeNotifications(
  manager: EntityManager,
  drafts: readonly NotificationDraft[],
  now: Date,
): Promise<{ messages: NotificationMessage[]; deliveries: number[] }> {
  if (!drafts.length) return { messages: [], deliveries: [] };
  const paths = await pathsOf(
    manager,
    drafts.flatMap((draft) => (draft.virtualAccountId === null ? [] : [draft.virtualAccountId])),
  );
  const webhooks = await activeWebhooks(
    manager,
    drafts.map((draft) => draft.smartAccountId),
  );
  const messages: NotificationMessage[] = [];
  const deliveries: Partial<WebhookDelivery>[] = [];
  for (const draft of drafts) {
    const inserted = await manager.insert(Notification, {
      topic: draft.topic,
      smartAccountId: draft.smartAccountId,
      virtualAccountId: draft.virtualAccountId,
      eventId: draft.eventId ?? null,
      data: JSON.stringify(draft.data),
      createdAt: now,
    });
    const message: NotificationMessage = {
      id: Number(inserted.identifiers[0].id),
      topic: draft.topic,
      smartAccountId: draft.smartAccountId,
      virtualAccountId: draft.virtualAccountId,
      virtualAccountPath: draft.virtualAccountId === null ? null : (paths.get(draft.virtualAccountId) ?? null),
      createdAt: now.toISOString(),
      data: draft.data,
    };
    messages.push(message);
    for (const webhook of webhooks.get(draft.smartAccountId) ?? []) {
      if (!webhookHears(webhook, message)) continue;
      deliveries.push({
        webhookId: webhook.id,
        notificationId: message.id,
        topic: message.topic,
        status: "PENDING",
        attempts: 0,
        createdAt: now,
        nextAttemptAt: now,
      });
    }
  }
  if (!deliveries.length) return { messages, deliveries: [] };
  await manager.insert(WebhookDelivery, deliveries);
  // Their ids, read back rather than counted from an insert id (Galera steps auto-increments by its node count).
  const ids = await runSql<{ id: unknown }>(
    manager,
    sql`SELECT id FROM webhook_deliveries WHERE ${sql.in(
      sql`notification_id`,
      messages.map((message) => message.id),
    )} ORDER BY id`,
  );
  return { messages, deliveries: ids.map((row) => Number(row.id)) };
}

/** A notification row as a message again (the worker and the mail read them back from the outbox). */
export async function readNotifications(manager: EntityManager, ids: readonly number[]): Promise<NotificationMessage[]> {
  if (!ids.length) return [];
  const rows = await manager.getRepository(Notification).createQueryBuilder("n").where("n.id IN (:...ids)", { ids }).orderBy("n.id").getMany();
  const paths = await pathsOf(
    manager,
    rows.flatMap((row) => (row.virtualAccountId === null ? [] : [row.virtualAccountId])),
  );
  return rows.map((row) => ({
    id: row.id,
    topic: row.topic,
    smartAccountId: row.smartAccountId,
    virtualAccountId: row.virtualAccountId,
    virtualAccountPath: row.virtualAccountId === null ? null : (paths.get(row.virtualAccountId) ?? null),
    createdAt: row.createdAt.toISOString(),
    data: JSON.parse(row.data) as NotificationData,
  }));
}

const globalOrNull = (type: Parameters<typeof toGlobalId>[0], id: number | null | undefined) => (id == null ? null : toGlobalId(type, id));

/**
 * R37: a notification as the world outside sees it (webhook bodies, mail): the API's global ids, ISO dates:
 * `{ id, topic, createdAt, smartAccountId, virtualAccountId, data }`.
 */
export function publicPayload(message: NotificationMessage): Record<string, unknown> {
  const data = message.data;
  let body: Record<string, unknown>;
  if ("event" in data) {
    const event = data.event;
    body = {
      event: {
        id: toGlobalId("Event", event.id),
        type: event.type,
        message: event.message,
        actorId: globalOrNull("User", event.actorId),
        virtualAccountId: globalOrNull("VirtualAccount", event.virtualAccountId),
        createdAt: event.createdAt,
      },
    };
  } else {
    const alert = data.alert;
    body = {
      alert: {
        type: alert.type,
        severity: alert.severity,
        message: alert.message,
        virtualAccountId: toGlobalId("VirtualAccount", alert.virtualAccountId),
        productId: globalOrNull("Product", alert.productId),
        licenseId: globalOrNull("License", alert.lotId),
        productInstanceId: globalOrNull("ProductInstance", alert.productInstanceId),
        orderId: globalOrNull("Order", alert.orderId),
        quantity: alert.quantity,
        dueAt: alert.dueAt,
      },
    };
  }
  return {
    id: Buffer.from(`Notification:${message.id}`).toString("base64url"),
    topic: message.topic,
    createdAt: message.createdAt,
    smartAccountId: toGlobalId("SmartAccount", message.smartAccountId),
    virtualAccountId: globalOrNull("VirtualAccount", message.virtualAccountId),
    data: body,
  };
}
