import { AddressInfo } from "node:net";
import { SMTPServer, SMTPServerOptions } from "smtp-server";
import { createLogger, Logger } from "../../src/logging";

/** A mail as a real SMTP server received it: the envelope, the headers, the decoded text. */
export interface Received {
  from: string;
  to: string[];
  subject: string;
  text: string;
  /** The SMTP user the client signed in as, when it did. */
  user: string | null;
  raw: string;
}

/** Quoted-printable (nodemailer's choice for long lines) back to text. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** RFC 2047 encoded words (a subject with quotes or brackets) back to text; the space between two of them goes. */
function decodeHeader(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, "$1$2")
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === "B" ? Buffer.from(text, "base64").toString("utf8") : decodeQuotedPrintable(text.replace(/_/g, " ")),
    );
}

function parse(raw: string, envelope: { from: string; to: string[]; user: string | null }): Received {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "im").exec(head)?.[1] ?? "";
  const encoding = header("Content-Transfer-Encoding").toLowerCase();
  let text = body;
  if (encoding === "quoted-printable") text = decodeQuotedPrintable(body);
  else if (encoding === "base64") text = Buffer.from(body, "base64").toString("utf8");
  return { ...envelope, subject: decodeHeader(header("Subject")), text: text.replace(/\r\n/g, "\n").replace(/\n$/, ""), raw };
}

/**
 * A real SMTP server on 127.0.0.1 (port 0) for the mail suites: every mail it accepts is kept in `received`.
 * Plain SMTP (no STARTTLS), sign-in optional; `users` are the accepted credentials, `refuse` refuses recipients.
 */
export async function startSmtpServer(options: { users?: Record<string, string>; refuse?: (to: string) => boolean } = {}) {
  const received: Received[] = [];
  const config: SMTPServerOptions = {
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      const users = options.users ?? {};
      if (auth.username && users[auth.username] === auth.password) return callback(null, { user: auth.username });
      return callback(new Error("Invalid username or password"));
    },
    onRcptTo(address, _session, callback) {
      if (options.refuse?.(address.address)) {
        const error = new Error("Mailbox unavailable") as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        const to = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        const user = typeof session.user === "string" ? session.user : null;
        received.push(parse(Buffer.concat(chunks).toString("utf8"), { from, to, user }));
        callback();
      });
    },
  };
  const server = new SMTPServer(config);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** The mails received for one address. */
    to: (address: string) => received.filter((mail) => mail.to.includes(address)),
    clear: () => void received.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpServer = Awaited<ReturnType<typeof startSmtpServer>>;

/** A pino logger whose JSON lines the test reads (R32: what mail logs, and what it never does). */
export function capturingLogger(level = "debug"): { logger: Logger; lines: string[]; records: () => Record<string, any>[] } {
  const lines: string[] = [];
  const destination = { write: (chunk: string) => void lines.push(...chunk.split("\n").filter(Boolean)) };
  const logger = createLogger({ level, destination });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line)) };
}
