import { NotificationPreference, SmartAccount, VirtualAccount } from "../../entities";
import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../logging";
import { AlertData, isAlertData, NotificationMessage } from "./data";
import { Mailer, mailFooter, recipients, smtpFailure } from "./mail";
import { readNotifications } from "./outbox";
import { parseAlertTypes } from "./preferences";

/** What one call did: mails accepted (or logged) and mails refused. */
export interface MailReport {
  sent: number;
  failed: number;
}

const ALERT_NAMES: Record<string, string> = {
  INSUFFICIENT_LICENSES: "Insufficient licenses",
  LICENSES_EXPIRING: "Licenses expiring",
  LICENSES_EXPIRED: "Licenses expired",
  PRODUCT_INSTANCE_NOT_REPORTING: "Product instance not reporting",
  ORDER_AWAITING_ASSIGNMENT: "Order awaiting assignment",
};

/** An alert type as people read it ("Insufficient licenses"). */
export const alertName = (type: string): string => ALERT_NAMES[type] ?? type;

/** The mail for one raised alert: what the alert says, where, and nothing the recipient cannot see. */
export function immediateMail(
  alert: AlertData,
  place: { account: SmartAccount; virtualAccount: VirtualAccount },
  raisedAt: string,
  publicUrl: string,
): { subject: string; text: string } {
  const { account, virtualAccount } = place;
  return {
    subject: `[${alert.severity}] ${alertName(alert.type)} in "${virtualAccount.name}" (${account.name})`,
    text: [
      `A ${alert.severity} alert was raised in the Smart Account "${account.name}" (${account.domain}).`,
      "",
      alert.message,
      "",
      `Alert: ${alert.type} (${alertName(alert.type)})`,
      `Severity: ${alert.severity}`,
      `Virtual Account: ${virtualAccount.name}`,
      ...(alert.quantity !== null && alert.type !== "PRODUCT_INSTANCE_NOT_REPORTING" ? [`Quantity: ${alert.quantity}`] : []),
      ...(alert.dueAt ? [`Due: ${alert.dueAt.slice(0, 10)}`] : []),
      `Raised: ${raisedAt}`,
      mailFooter(publicUrl),
    ].join("\n"),
  };
}

/**
 * R38's immediate mail, for the notifications `notificationIds` of the outbox (the worker hands over those it
 * has not mailed yet): each ALERT_RAISED one is mailed to every user whose preferences in its account list
 * the alert's type and who, with their access as it is now, may see alerts in its Virtual Account (§5 "see
 * licenses, pools, devices, tokens, alerts"). Other topics, and alerts of Virtual Accounts since deleted,
 * are passed over. A refused mail is logged (its codes, never credentials) and counted; the others still go.
 * Not idempotent on its own: the caller keeps the cursor of what was mailed.
 */
export async function sendImmediateMails(
  db: Database,
  clock: Clock,
  settings: Pick<NotificationSettings, "publicUrl">,
  mailer: Mailer,
  notificationIds: readonly number[],
  logger: Logger,
): Promise<MailReport> {
  const report: MailReport = { sent: 0, failed: 0 };
  const raised = (await readNotifications(db.manager, notificationIds)).filter(
    (message): message is NotificationMessage & { data: { alert: AlertData } } => message.topic === "ALERT_RAISED" && isAlertData(message.data),
  );
  if (!raised.length) return report;
  const accountIds = [...new Set(raised.map((message) => message.smartAccountId))];
  const choices = await db.manager
    .getRepository(NotificationPreference)
    .createQueryBuilder("p")
    .where("p.smartAccountId IN (:...accountIds) AND p.immediateAlertTypes <> ''", { accountIds })
    .getMany();
  if (!choices.length) return report;
  const vaIds = [...new Set(raised.map((message) => message.data.alert.virtualAccountId))];
  const [accounts, virtualAccounts, people] = await Promise.all([
    db.manager.getRepository(SmartAccount).createQueryBuilder("sa").where("sa.id IN (:...accountIds)", { accountIds }).getMany(),
    db.manager.getRepository(VirtualAccount).createQueryBuilder("va").where("va.id IN (:...vaIds)", { vaIds }).getMany(),
    recipients(
      db,
      choices.map((choice) => choice.userId),
    ),
  ]);
  const accountById = new Map(accounts.map((account) => [account.id, account]));
  const vaById = new Map(virtualAccounts.map((va) => [va.id, va]));
  const log = logger.child({ component: "mail", kind: "immediate" });
  for (const message of raised) {
    const alert = message.data.alert;
    const account = accountById.get(message.smartAccountId);
    const virtualAccount = vaById.get(alert.virtualAccountId);
    // A Virtual Account deleted since (or moved out of the account): nobody is told about what is gone.
    if (!account || !virtualAccount || virtualAccount.smartAccountId !== account.id) continue;
    const place = { smartAccountId: account.id, path: virtualAccount.path };
    for (const choice of choices) {
      if (choice.smartAccountId !== account.id || !parseAlertTypes(choice.immediateAlertTypes).includes(alert.type as never)) continue;
      const recipient = people.get(choice.userId);
      if (!recipient || !recipient.access.can("licenses:read", place)) continue;
      const mail = immediateMail(alert, { account, virtualAccount }, message.createdAt, settings.publicUrl);
      try {
        await mailer.send({ to: recipient.user.email, ...mail });
        report.sent += 1;
      } catch (error) {
        report.failed += 1;
        log.warn({ notificationId: message.id, userId: recipient.user.id, failure: smtpFailure(error) }, "mail: an alert mail was refused");
      }
    }
  }
  log.debug({ notifications: raised.length, ...report, at: clock.now().toISOString() }, "mail: immediate alerts done");
  return report;
}
