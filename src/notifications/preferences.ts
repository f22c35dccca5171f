import DataLoader from "dataloader";
import { NotificationPreference } from "../../entities";
import { Actor, viewerOf } from "../actor";
import { ForbiddenError } from "../errors";
import type { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import type { AlertType } from "../licenses/alerts";

/** R38: the alert types in the order the schema lists them; stored and returned in this order. */
export const ALERT_TYPES: readonly AlertType[] = [
  "INSUFFICIENT_LICENSES",
  "LICENSES_EXPIRING",
  "LICENSES_EXPIRED",
  "PRODUCT_INSTANCE_NOT_REPORTING",
  "ORDER_AWAITING_ASSIGNMENT",
];

/** One user's mail choices in one account, as the API shows them. */
export interface NotificationPreferences {
  smartAccountId: number;
  dailyDigest: boolean;
  immediateAlertTypes: AlertType[];
}

/** The stored comma list as alert types (unknown words, from a type since renamed, are dropped). */
export const parseAlertTypes = (stored: string): AlertType[] => ALERT_TYPES.filter((type) => stored.split(",").includes(type));

const defaults = (smartAccountId: number): NotificationPreferences => ({ smartAccountId, dailyDigest: false, immediateAlertTypes: [] });

const fromRow = (row: NotificationPreference): NotificationPreferences => ({
  smartAccountId: row.smartAccountId,
  dailyDigest: row.dailyDigest,
  immediateAlertTypes: parseAlertTypes(row.immediateAlertTypes),
});

/**
 * R38 `setNotificationPreferences`: the caller's own row for an account in which they hold a role (§5: every
 * role); an account they cannot see is NOT_FOUND (R4), one they see without a role (a prefixed domain shown to
 * its approvers, R9) FORBIDDEN. Replaces the row, or writes it, and records one event (R29). Turning the
 * digest on starts it at the next scheduled run (src/notifications/digest.ts), not at once for the run
 * already past.
 */
export async function setNotificationPreferences(
  context: Actor,
  events: EventService,
  raw: { smartAccountId: string; dailyDigest: boolean; immediateAlertTypes: readonly string[] },
): Promise<NotificationPreferences> {
  const viewer = viewerOf(context);
  const smartAccountId = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
  // The schema's enum already refused unknown words; duplicates collapse, the order is the schema's.
  const immediateAlertTypes = ALERT_TYPES.filter((type) => raw.immediateAlertTypes.includes(type));
  const dailyDigest = raw.dailyDigest === true;
  return context.db.transaction(async (manager) => {
    // The account row is locked: two first choices of one user cannot both insert the row.
    const { object: account } = await context.guard.reach(manager, "SmartAccount", smartAccountId, { field: "input.smartAccountId" });
    if (!context.access.canSeeAccount(smartAccountId)) {
      throw new ForbiddenError("Only users with a role in this Smart Account have notification preferences in it.");
    }
    const now = context.clock.now();
    const key = { userId: viewer.id, smartAccountId };
    const before = await manager.findOneBy(NotificationPreference, key);
    const values = { dailyDigest, immediateAlertTypes: immediateAlertTypes.join(","), updatedAt: now };
    // lastDigestAt = now when the digest is turned on: the first one goes at the next scheduled run.
    const lastDigestAt = dailyDigest && !before?.dailyDigest ? now : (before?.lastDigestAt ?? null);
    if (before) await manager.update(NotificationPreference, key, { ...values, lastDigestAt });
    else await manager.insert(NotificationPreference, { ...key, ...values, lastDigestAt });
    const types = immediateAlertTypes.length ? immediateAlertTypes.join(", ") : "no alert types";
    await events.record(manager, {
      type: "NOTIFICATION_PREFERENCES_SET",
      message: `${viewer.email} set their notification preferences in "${account.name}": daily digest ${dailyDigest ? "on" : "off"}, immediate mail for ${types}`,
      actorId: viewer.id,
      smartAccountId,
    });
    return { smartAccountId, dailyDigest, immediateAlertTypes };
  });
}

/** One request's preference reads, one statement for every account of the query (keyed by the request's loaders). */
const perRequest = new WeakMap<object, DataLoader<number, NotificationPreferences>>();

/**
 * `SmartAccount.viewerNotificationPreferences`: the viewer's own choices in the account, the defaults until
 * set (no digest, no immediate mail). Batched per request: a list of accounts reads them in one statement.
 */
export function viewerNotificationPreferences(context: Actor & { loaders: object }, smartAccountId: number): Promise<NotificationPreferences> {
  const viewer = viewerOf(context);
  let loader = perRequest.get(context.loaders);
  if (!loader) {
    loader = new DataLoader<number, NotificationPreferences>(async (ids) => {
      const rows = await context.db.manager
        .getRepository(NotificationPreference)
        .createQueryBuilder("p")
        .where("p.userId = :userId AND p.smartAccountId IN (:...ids)", { userId: viewer.id, ids: [...ids] })
        .getMany();
      const byAccount = new Map(rows.map((row) => [row.smartAccountId, fromRow(row)]));
      return ids.map((id) => byAccount.get(id) ?? defaults(id));
    });
    perRequest.set(context.loaders, loader);
  }
  return loader.load(smartAccountId);
}
