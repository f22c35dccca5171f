import nodemailer from "nodemailer";
import { User } from "../../entities";
import { Access } from "../auth/access";
import { reloadAccess } from "../auth/viewer";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import type { Logger } from "../logging";

/** One mail to one user (R38): plain text, from MAIL_FROM. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Where R38's mail goes: SMTP (`SMTP_URL`), or the log when there is none. */
export interface Mailer {
  /** "smtp" sends through SMTP_URL; "log" writes one log line per mail instead (no SMTP_URL). */
  readonly kind: "smtp" | "log";
  /** Resolves once the SMTP server accepted the mail (or it was logged); rejects when it was refused. */
  send(mail: Mail): Promise<void>;
  /** Closes the SMTP connections (on shutdown). */
  close(): Promise<void>;
}

/** What of an SMTP failure may be logged: its codes, never its text (which may echo the server's greeting or the URL). */
export function smtpFailure(error: unknown): Record<string, unknown> {
  const failure = (error ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  return { code: failure.code ?? null, responseCode: failure.responseCode ?? null, command: failure.command ?? null };
}

/**
 * R38's mailer from the settings: nodemailer's SMTP transport on `smtpUrl` (smtp:// or smtps://, the
 * user and password in the URL), each mail from `mailFrom`; without `smtpUrl`, a mailer that logs one
 * line per mail (recipient and subject) and sends nothing. Neither ever logs the URL or its credentials
 * (R32).
 */
export function createMailer(settings: Pick<NotificationSettings, "smtpUrl" | "mailFrom">, logger: Logger): Mailer {
  const log = logger.child({ component: "mail" });
  if (!settings.smtpUrl) {
    return {
      kind: "log",
      async send(mail) {
        log.info({ mail: { to: mail.to, subject: mail.subject } }, "mail not sent: no SMTP_URL, logged instead");
      },
      async close() {},
    };
  }
  // The URL carries host, port, TLS (smtps://) and auth; nodemailer reads them itself.
  const transport = nodemailer.createTransport(settings.smtpUrl);
  return {
    kind: "smtp",
    async send(mail) {
      await transport.sendMail({ from: settings.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
      log.debug({ mail: { to: mail.to, subject: mail.subject } }, "mail sent");
    },
    async close() {
      transport.close();
    },
  };
}

/** A user mail may go to, with their access as it is now (R38: what they may see at send time). */
export interface Recipient {
  user: User;
  access: Access;
}

/**
 * The users' current Access, read from the database as authentication reads it (src/auth/viewer.ts), one
 * statement per user: mail is judged by what each recipient may see when it is sent, not when it was asked for.
 */
export async function recipients(db: Database, userIds: Iterable<number>): Promise<Map<number, Recipient>> {
  const ids = [...new Set(userIds)];
  const found = new Map<number, Recipient>();
  if (!ids.length) return found;
  const users = await db.manager.getRepository(User).createQueryBuilder("u").where("u.id IN (:...ids)", { ids }).getMany();
  for (const user of users) {
    // reloadAccess reads the grants of the user the Access names: an empty one for this user is its seed.
    found.set(user.id, { user, access: await reloadAccess(db, new Access(user, new Set(), [])) });
  }
  return found;
}

/** The lines every mail ends with: where to look (the explorer, which shows each user only what they may see) and how to stop. */
export function mailFooter(publicUrl: string): string {
  return [
    "",
    "--",
    `Sign in to the Smart Account graph to see more: ${publicUrl}/graphql`,
    "You receive this mail because of your notification preferences in this Smart Account;",
    "change them with the setNotificationPreferences mutation.",
  ].join("\n");
}
