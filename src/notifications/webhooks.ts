import { createHmac } from "node:crypto";
import DataLoader from "dataloader";
import { EntityManager } from "typeorm";
import { RoleAssignment, VirtualAccount, Webhook, WebhookDelivery } from "../../entities";
import type { Scope } from "../actor";
import { Access, Grant } from "../auth/access";
import { accountPlace, Place, virtualAccountPlace } from "../auth/guard";
import type { NotificationSettings } from "../config";
import { byIdLoader, pagedLoader } from "../db/loader-kit";
import { hydrate, prefixedColumns, SortKey } from "../db/windowed";
import { InputError } from "../errors";

// R37's shared pieces: the derived signing secret, where a webhook sits and who sees it, its loaders, and
// what a creator may still do. The mutations are in webhook.service.ts, the attempts in webhook-delivery.ts.

/** R37: what a webhook may listen to (the notification topics of SPEC §8). */
export const WEBHOOK_TOPICS = ["EVENT", "ALERT_RAISED", "ALERT_CLEARED"] as const;
export type WebhookTopicName = (typeof WEBHOOK_TOPICS)[number];

export interface CreateWebhookInput {
  smartAccountId: string;
  virtualAccountId?: string | null;
  url: string;
  topics: string[];
}

/**
 * R37: a webhook's signing secret, derived from the server's key and the webhook's random salt, so the
 * database never holds it: `whsec_` + base64url(HMAC-SHA256(key, "webhook-secret:" + salt)). Never logged.
 */
export function webhookSecret(settings: Pick<NotificationSettings, "webhookSigningKey">, secretSalt: string): string {
  return `whsec_${createHmac("sha256", settings.webhookSigningKey).update(`webhook-secret:${secretSalt}`).digest("base64url")}`;
}

/** Where a webhook sits: its Virtual Account (as it is now), or its whole account. */
export function webhookPlace(webhook: Webhook, virtualAccount: VirtualAccount | null | undefined): Place {
  if (webhook.virtualAccountId === null) return accountPlace(webhook.smartAccountId);
  // A Virtual Account since deleted leaves the webhook to the account-wide admins alone.
  if (!virtualAccount) return { smartAccountId: webhook.smartAccountId, path: null, virtualAccount: null };
  return virtualAccountPlace(virtualAccount);
}

/** R37, §5: a webhook is seen (and managed) by who may manage webhooks where it sits; to anyone else it does not exist. */
export const webhookVisible = (access: Access, place: Place): boolean => access.can("webhooks:manage", place);

/** `EVENT,ALERT_RAISED` → the listed topics, in the contract's order. */
export const topicsOf = (webhook: Pick<Webhook, "topics">): WebhookTopicName[] =>
  WEBHOOK_TOPICS.filter((topic) => webhook.topics.split(",").includes(topic));

/**
 * The Access of each of these users as their role assignments stand now (one statement): what a webhook's
 * creator may still do (R37, `Webhook.active` and every delivery). Users with no role get an empty Access.
 */
export async function accessOfUsers(manager: EntityManager, userIds: readonly number[]): Promise<Map<number, Access>> {
  const unique = [...new Set(userIds)];
  const result = new Map<number, Access>();
  if (!unique.length) return result;
  const dataSource = manager.connection;
  const rows: Record<string, unknown>[] = await manager.query(
    `SELECT ${prefixedColumns(dataSource, RoleAssignment, "ra", "ra__")}, va.path AS va_path
       FROM role_assignments ra LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id
      WHERE ra.user_id IN (${unique.map(() => "?").join(", ")})
      ORDER BY ra.id`,
    unique,
  );
  const grants = new Map<number, Grant[]>();
  for (const row of rows) {
    const assignment = hydrate(dataSource, RoleAssignment, row, "ra__");
    const list = grants.get(assignment.userId) ?? [];
    list.push({
      role: assignment.role,
      smartAccountId: assignment.smartAccountId,
      virtualAccountId: assignment.virtualAccountId,
      virtualAccountPath: (row.va_path as string | null) ?? null,
      assignment,
    });
    grants.set(assignment.userId, list);
  }
  for (const id of unique) result.set(id, new Access(null, new Set(), grants.get(id) ?? []));
  return result;
}

const OLDEST_FIRST: SortKey[] = [{ column: "w.id", property: "id" }];
const NEWEST_FIRST: SortKey[] = [{ column: "d.id", property: "id", descending: true }];

/** Per-request loaders of R37's objects, scoped by "see and manage webhooks" (§5) in SQL. */
export function webhookLoaders(context: Scope) {
  const { db, access } = context;
  return {
    webhook: byIdLoader(db, Webhook),
    webhookDelivery: byIdLoader(db, WebhookDelivery),

    /** SmartAccount.webhooks: all for a SMART_ACCOUNT_ADMIN; for a VIRTUAL_ACCOUNT_ADMIN those of Virtual Accounts in scope. */
    smartAccountWebhooks: pagedLoader<Webhook>(db, (accountIds) => {
      const { sql, params } = access.sqlScope("webhooks:manage", { account: "w.smart_account_id", path: "va.path" });
      return {
        entity: Webhook,
        kind: "SmartAccount.webhooks",
        from: "webhooks w LEFT JOIN virtual_accounts va ON va.id = w.virtual_account_id",
        alias: "w",
        partitionBy: "w.smart_account_id",
        where: `w.smart_account_id IN (:...accountIds) AND ${sql}`,
        params: { accountIds, ...params },
        sort: OLDEST_FIRST,
      };
    }),

    /** Webhook.deliveries, newest first (its webhook was reached through a scoped list or node()). */
    webhookDeliveries: pagedLoader<WebhookDelivery>(db, (webhookIds) => ({
      entity: WebhookDelivery,
      kind: "Webhook.deliveries",
      from: "webhook_deliveries d",
      alias: "d",
      partitionBy: "d.webhook_id",
      where: "d.webhook_id IN (:...webhookIds)",
      params: { webhookIds },
      sort: NEWEST_FIRST,
    })),

    /** What each webhook creator may do now (Webhook.active). */
    creatorAccess: new DataLoader<number, Access>(async (userIds) => {
      const byUser = await accessOfUsers(db.manager, userIds);
      return userIds.map((id) => byUser.get(id) as Access);
    }),
  };
}

/** At least one topic, each one of WebhookTopic (the schema's enum already refuses others), no repeats. */
export function parseTopics(topics: readonly string[] | null | undefined): WebhookTopicName[] {
  if (!topics?.length) throw new InputError("input.topics", "input.topics must name at least one topic.");
  for (const topic of topics) {
    if (!(WEBHOOK_TOPICS as readonly string[]).includes(topic))
      throw new InputError("input.topics", `input.topics: ${topic} is not a webhook topic.`);
  }
  return WEBHOOK_TOPICS.filter((topic) => topics.includes(topic));
}
