import { CronExpressionParser } from "cron-parser";
import { NotificationPreference, SmartAccount } from "../../entities";
import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import { sql } from "../db/sql";
import { loadAlerts } from "../licenses/alert-rows";
import { Alert, byUrgency } from "../licenses/alerts";
import type { Logger } from "../logging";
import { alertName } from "./immediate-mail";
import { Mailer, mailFooter, recipients, smtpFailure } from "./mail";

/** What one digest run did: mails accepted (or logged), users with nothing to tell, mails refused. */
export interface DigestReport {
  sent: number;
  empty: number;
  failed: number;
}

/** The latest scheduled run of DIGEST_CRON (UTC) at or before `now`: the period a digest belongs to. */
export function digestPeriodStart(settings: Pick<NotificationSettings, "digestCron">, now: Date): Date {
  // cron-parser's prev() is strictly before its current date: one millisecond on makes a run at `now` count.
  return CronExpressionParser.parse(settings.digestCron, { tz: "UTC", currentDate: new Date(now.getTime() + 1) })
    .prev()
    .toDate();
}

/** R38, for the worker: the next scheduled run of DIGEST_CRON (UTC) strictly after `now`. */
export function nextDigestAt(settings: Pick<NotificationSettings, "digestCron">, now: Date): Date {
  return CronExpressionParser.parse(settings.digestCron, { tz: "UTC", currentDate: now }).next().toDate();
}

/** The digest for one user and one account: their visible alerts, most urgent first. */
export function digestMail(account: SmartAccount, alerts: readonly Alert[], date: Date, publicUrl: string): { subject: string; text: string } {
  const major = alerts.filter((alert) => alert.severity === "MAJOR").length;
  const count = `${alerts.length} alert${alerts.length === 1 ? "" : "s"}`;
  return {
    subject: `Daily alerts for ${account.name}: ${count}${major ? ` (${major} MAJOR)` : ""}`,
    text: [
      `The alerts you can see in the Smart Account "${account.name}" (${account.domain}) on ${date.toISOString().slice(0, 10)}:`,
      "",
      ...alerts.map((alert) => `- [${alert.severity}] ${alertName(alert.type)} in "${alert.virtualAccount?.name ?? ""}": ${alert.message}`),
      mailFooter(publicUrl),
    ].join("\n"),
  };
}

/**
 * R38's daily digest, once per scheduled run of DIGEST_CRON: for every preference with `dailyDigest` whose
 * last digest is older than the latest run, the user's alerts in that account as SmartAccount.alerts would
 * show them (the same statement, scoped in SQL by their access as it is now), one mail listing them, none
 * when there are none. Each preference is claimed first by moving its `lastDigestAt` on (a conditional
 * update), so a second call in the same period, or a second worker, sends nothing; a refused mail gives the
 * claim back, for the next call to try again.
 */
export async function sendDigests(
  db: Database,
  clock: Clock,
  settings: Pick<NotificationSettings, "digestCron" | "publicUrl">,
  mailer: Mailer,
  logger: Logger,
): Promise<DigestReport> {
  const report: DigestReport = { sent: 0, empty: 0, failed: 0 };
  const now = clock.now();
  const periodStart = digestPeriodStart(settings, now);
  const due = await db.manager
    .getRepository(NotificationPreference)
    .createQueryBuilder("p")
    .where("p.dailyDigest = :on AND (p.lastDigestAt IS NULL OR p.lastDigestAt < :periodStart)", { on: true, periodStart })
    .orderBy("p.smartAccountId")
    .addOrderBy("p.userId")
    .getMany();
  if (!due.length) return report;
  const accountIds = [...new Set(due.map((choice) => choice.smartAccountId))];
  const [accounts, people] = await Promise.all([
    db.manager.getRepository(SmartAccount).createQueryBuilder("sa").where("sa.id IN (:...accountIds)", { accountIds }).getMany(),
    recipients(
      db,
      due.map((choice) => choice.userId),
    ),
  ]);
  const accountById = new Map(accounts.map((account) => [account.id, account]));
  const log = logger.child({ component: "mail", kind: "digest" });
  for (const choice of due) {
    const key = { userId: choice.userId, smartAccountId: choice.smartAccountId };
    // Column names, not properties: an update's own WHERE is written as SQL.
    const claimed = await db.manager
      .createQueryBuilder()
      .update(NotificationPreference)
      .set({ lastDigestAt: now })
      .where("user_id = :userId AND smart_account_id = :smartAccountId AND daily_digest = :on", { ...key, on: true })
      .andWhere("(last_digest_at IS NULL OR last_digest_at < :periodStart)", { periodStart })
      .execute();
    if (claimed.affected !== 1) continue;
    const account = accountById.get(choice.smartAccountId);
    const recipient = people.get(choice.userId);
    // No role left in the account: nothing of it may be mailed (the account itself is invisible, R4).
    if (!account || !recipient || !recipient.access.canSeeAccount(account.id)) {
      report.empty += 1;
      continue;
    }
    const scope = sql.fromNamed(recipient.access.sqlScope("licenses:read", undefined, account.id));
    const alerts = (
      (await loadAlerts(db.manager, { where: sql`va.smart_account_id = ${account.id} AND ${scope}`, partition: "smart_account_id" }, now)).get(
        account.id,
      ) ?? []
    ).sort(byUrgency);
    if (!alerts.length) {
      report.empty += 1;
      continue;
    }
    try {
      await mailer.send({ to: recipient.user.email, ...digestMail(account, alerts, now, settings.publicUrl) });
      report.sent += 1;
    } catch (error) {
      report.failed += 1;
      // Give the period back, unless something else moved it on meanwhile.
      await db.manager
        .createQueryBuilder()
        .update(NotificationPreference)
        .set({ lastDigestAt: choice.lastDigestAt })
        .where("user_id = :userId AND smart_account_id = :smartAccountId AND last_digest_at = :now", { ...key, now })
        .execute();
      log.warn({ userId: choice.userId, smartAccountId: choice.smartAccountId, failure: smtpFailure(error) }, "mail: a digest was refused");
    }
  }
  log.info({ periodStart: periodStart.toISOString(), ...report }, "mail: digests done");
  return report;
}
