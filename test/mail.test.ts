import { NotificationPreference, Role, RoleAssignment, User, VirtualAccount } from "../entities";
import { loadConfig, NotificationSettings } from "../src/config";
import { digestPeriodStart, nextDigestAt, sendDigests } from "../src/notifications/digest";
import { sendImmediateMails } from "../src/notifications/immediate-mail";
import { createMailer, Mailer } from "../src/notifications/mail";
import { countRows } from "./support/db-counts";
import { days, expectCode, START } from "./support/fixtures";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { capturingLogger, SmtpServer, startSmtpServer } from "./support/mail-smtp";

/**
 * R38 notification mail against a real SMTP server (smtp-server on 127.0.0.1): the preferences through the
 * API, the immediate alert mail after a real write raised the alert, the daily digest, and the logging
 * mailer without SMTP_URL (R32: never a credential in the log).
 */

const PUBLIC_URL = "https://sag.example.test";
const NW = "NW-DNA-ADV";

const SET = `mutation($input: SetNotificationPreferencesInput!) {
  setNotificationPreferences(input: $input) { dailyDigest immediateAlertTypes smartAccount { id } }
}`;
const READ = `query($domain: String!) { smartAccount(domain: $domain) { id viewerNotificationPreferences { dailyDigest immediateAlertTypes smartAccount { id } } } }`;
const REPORT = `mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }`;

const settingsFor = (smtpUrl: string | null, env: Record<string, string> = {}): NotificationSettings =>
  loadConfig({ JWT_SECRET: "x".repeat(40), PUBLIC_URL: PUBLIC_URL, ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}), ...env }).notifications;

/** The global ids of every kind in a text: a mail must carry none (it links nothing, R38). */
const GLOBAL_ID = /\b(?:U21hcnRBY2NvdW50|VmlydHVhbEFjY291bnQ|UHJvZHVjdEluc3RhbmNl|TGljZW5zZ|T3JkZXI)[A-Za-z0-9_-]*/;

async function setPreferences(server: TestServer, as: string, smartAccountId: number, dailyDigest: boolean, immediateAlertTypes: string[]) {
  const result = await server.gql(SET, { input: { smartAccountId: gid("SmartAccount", smartAccountId), dailyDigest, immediateAlertTypes } }, as);
  expect(result.errors).toBeUndefined();
  return result.data.setNotificationPreferences;
}

describe("R38 notification mail", () => {
  let server: TestServer;
  let smtp: SmtpServer;
  let mailer: Mailer;
  const quiet = capturingLogger("info");

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer();
    mailer = createMailer(settingsFor(smtp.url), quiet.logger);
  });
  afterAll(async () => {
    await mailer.close();
    await server.close();
    await smtp.close();
  });
  beforeEach(() => smtp.clear());

  describe("R38 preferences (setNotificationPreferences, SmartAccount.viewerNotificationPreferences)", () => {
    it("R38 viewerNotificationPreferences are the defaults until set: no digest, no immediate mail", async () => {
      const account = await server.build.account("prefs-defaults.test");
      await account.grant("viewer@prefs-defaults.test", Role.VIRTUAL_ACCOUNT_VIEWER, account.defaultVirtualAccount);
      const result = await server.gql(READ, { domain: "prefs-defaults.test" }, "viewer@prefs-defaults.test");
      expect(result.errors).toBeUndefined();
      expect(result.data.smartAccount.viewerNotificationPreferences).toEqual({
        dailyDigest: false,
        immediateAlertTypes: [],
        smartAccount: { id: gid("SmartAccount", account.id) },
      });
    });

    it("R38 setNotificationPreferences stores the caller's own choices (types once each, in the schema's order), replaces them on the next call, one event each (R29)", async () => {
      const account = await server.build.account("prefs-set.test");
      await account.grant("user@prefs-set.test", Role.SMART_ACCOUNT_USER);
      await account.grant("other@prefs-set.test", Role.SMART_ACCOUNT_USER);
      const events = () => countRows(server, "events", "smart_account_id = ? AND type = ?", [account.id, "NOTIFICATION_PREFERENCES_SET"]);

      const set = await setPreferences(server, "user@prefs-set.test", account.id, true, [
        "ORDER_AWAITING_ASSIGNMENT",
        "INSUFFICIENT_LICENSES",
        "ORDER_AWAITING_ASSIGNMENT",
      ]);
      expect(set).toEqual({
        dailyDigest: true,
        immediateAlertTypes: ["INSUFFICIENT_LICENSES", "ORDER_AWAITING_ASSIGNMENT"],
        smartAccount: { id: gid("SmartAccount", account.id) },
      });
      expect(await events()).toBe(1);
      const read = await server.gql(READ, { domain: "prefs-set.test" }, "user@prefs-set.test");
      expect(read.data.smartAccount.viewerNotificationPreferences).toMatchObject({
        dailyDigest: true,
        immediateAlertTypes: ["INSUFFICIENT_LICENSES", "ORDER_AWAITING_ASSIGNMENT"],
      });
      // Another user's choices are their own: still the defaults.
      const other = await server.gql(READ, { domain: "prefs-set.test" }, "other@prefs-set.test");
      expect(other.data.smartAccount.viewerNotificationPreferences).toMatchObject({ dailyDigest: false, immediateAlertTypes: [] });

      expect(await setPreferences(server, "user@prefs-set.test", account.id, false, [])).toMatchObject({
        dailyDigest: false,
        immediateAlertTypes: [],
      });
      expect(await countRows(server, "notification_preferences", "smart_account_id = ?", [account.id])).toBe(1);
      expect(await events()).toBe(2);
      const again = await server.gql(READ, { domain: "prefs-set.test" }, "user@prefs-set.test");
      expect(again.data.smartAccount.viewerNotificationPreferences).toMatchObject({ dailyDigest: false, immediateAlertTypes: [] });
    });

    it("R38 viewerNotificationPreferences of many accounts in one query: each account's own row", async () => {
      const a = await server.build.account("prefs-many-a.test");
      const b = await server.build.account("prefs-many-b.test");
      await a.grant("both@prefs-many.test", Role.SMART_ACCOUNT_VIEWER);
      await b.grant("both@prefs-many.test", Role.SMART_ACCOUNT_VIEWER);
      await setPreferences(server, "both@prefs-many.test", b.id, false, ["LICENSES_EXPIRED"]);
      const result = await server.gql(
        `{ viewer { smartAccounts { nodes { domain viewerNotificationPreferences { dailyDigest immediateAlertTypes } } } } }`,
        {},
        "both@prefs-many.test",
      );
      expect(result.errors).toBeUndefined();
      const byDomain = Object.fromEntries(
        result.data.viewer.smartAccounts.nodes.map((node: any) => [node.domain, node.viewerNotificationPreferences.immediateAlertTypes]),
      );
      expect(byDomain).toEqual({ "prefs-many-a.test": [], "prefs-many-b.test": ["LICENSES_EXPIRED"] });
    });

    it("R38 errors: a malformed or wrong-kind id is BAD_USER_INPUT naming input.smartAccountId; an unknown or invisible account NOT_FOUND (R4); no token UNAUTHENTICATED; none writes a row or an event", async () => {
      const account = await server.build.account("prefs-errors.test");
      await account.grant("member@prefs-errors.test", Role.VIRTUAL_ACCOUNT_USER, account.defaultVirtualAccount);
      const other = await server.build.account("prefs-errors-other.test");
      await other.grant("outsider@prefs-errors-other.test", Role.SMART_ACCOUNT_ADMIN);
      const attempt = (smartAccountId: string, as: string | null) =>
        server.gql(SET, { input: { smartAccountId, dailyDigest: true, immediateAlertTypes: ["INSUFFICIENT_LICENSES"] } }, as);
      const before = await countRows(server, "events");

      expectCode(await attempt("not-an-id", "member@prefs-errors.test"), "BAD_USER_INPUT", { field: "input.smartAccountId" });
      expectCode(await attempt(gid("VirtualAccount", account.defaultVirtualAccount.id), "member@prefs-errors.test"), "BAD_USER_INPUT", {
        field: "input.smartAccountId",
      });
      expectCode(await attempt(gid("SmartAccount", 999_999), "member@prefs-errors.test"), "NOT_FOUND");
      expectCode(await attempt(gid("SmartAccount", account.id), "outsider@prefs-errors-other.test"), "NOT_FOUND");
      expectCode(await attempt(gid("SmartAccount", account.id), null), "UNAUTHENTICATED");
      // An alert type that does not exist is refused by the schema itself.
      const unknown = await server.gql(
        SET,
        { input: { smartAccountId: gid("SmartAccount", account.id), dailyDigest: false, immediateAlertTypes: ["EVERYTHING"] } },
        "member@prefs-errors.test",
      );
      expect(unknown.errors?.length).toBeGreaterThan(0);
      expect(await countRows(server, "notification_preferences", "smart_account_id = ?", [account.id])).toBe(0);
      expect(await countRows(server, "events")).toBe(before);
    });
  });

  describe("R38 immediate mail (sendImmediateMails)", () => {
    /**
     * One account: US and EMEA. EMEA holds 1 NW and a device using 1; reportUsage of 3 makes it 2 short,
     * which the notification hooks record as ALERT_RAISED (R35) in the outbox.
     */
    async function shortageWorld(domain: string) {
      const account = await server.build.account(domain);
      const us = await account.virtualAccount("US");
      const emea = await account.virtualAccount("EMEA");
      await account.license(emea, NW, 1);
      const { credential } = await account.device(emea, "C9300-48P", `${domain}-1`, { usage: [{ sku: NW, count: 1 }] });
      const members = {
        saUser: `sa-user@${domain}`,
        saViewerOtherType: `sa-viewer@${domain}`,
        approver: `approver@${domain}`,
        vaUserEmea: `va-user-emea@${domain}`,
        vaUserUs: `va-user-us@${domain}`,
        saAdminNoChoice: `sa-admin@${domain}`,
      };
      await account.grant(members.saUser, Role.SMART_ACCOUNT_USER);
      await account.grant(members.saViewerOtherType, Role.SMART_ACCOUNT_VIEWER);
      await account.grant(members.approver, Role.SMART_ACCOUNT_APPROVER);
      await account.grant(members.vaUserEmea, Role.VIRTUAL_ACCOUNT_USER, emea);
      await account.grant(members.vaUserUs, Role.VIRTUAL_ACCOUNT_USER, us);
      await account.grant(members.saAdminNoChoice, Role.SMART_ACCOUNT_ADMIN);
      for (const who of [members.saUser, members.approver, members.vaUserEmea, members.vaUserUs]) {
        await setPreferences(server, who, account.id, false, ["INSUFFICIENT_LICENSES"]);
      }
      await setPreferences(server, members.saViewerOtherType, account.id, true, ["LICENSES_EXPIRING", "ORDER_AWAITING_ASSIGNMENT"]);
      await server.gql(READ, { domain }, members.saAdminNoChoice);
      return { account, us, emea, credential, members };
    }

    const notificationIds = async (smartAccountId: number, topic?: string): Promise<number[]> => {
      const rows: { id: unknown }[] = await server.db.dataSource.query(
        `SELECT id FROM notifications WHERE smart_account_id = ?${topic ? " AND topic = ?" : ""} ORDER BY id`,
        topic ? [smartAccountId, topic] : [smartAccountId],
      );
      return rows.map((row) => Number(row.id));
    };

    it("R38 an alert raised by a real write (reportUsage, a shortage) is mailed at once to those who chose its type and may see alerts there (§5): a VA_USER out of scope, an SA_APPROVER and other types' choosers get nothing", async () => {
      const { account, credential, members } = await shortageWorld("imm-shortage.test");
      const before = await notificationIds(account.id);
      const reported = await server.gql(REPORT, { input: { credential, usage: [{ sku: NW, count: 3 }] } });
      expect(reported.errors).toBeUndefined();
      const raised = (await notificationIds(account.id, "ALERT_RAISED")).filter((id) => !before.includes(id));
      expect(raised).toHaveLength(1);

      // Handed every notification of the write: the EVENT ones are passed over, the alert is mailed.
      const all = (await notificationIds(account.id)).filter((id) => !before.includes(id));
      expect(all.length).toBeGreaterThan(1);
      const report = await sendImmediateMails(server.db, server.clock, settingsFor(smtp.url, {}), mailer, all, quiet.logger);
      expect(report).toEqual({ sent: 2, failed: 0 });
      expect(smtp.received.map((mail) => mail.to[0]).sort()).toEqual([members.saUser, members.vaUserEmea].sort());

      const [mail] = smtp.to(members.vaUserEmea);
      expect(mail.from).toBe("no-reply@localhost");
      expect(mail.subject).toBe(`[MAJOR] Insufficient licenses in "EMEA" (imm-shortage.test)`);
      expect(mail.text).toContain(`"EMEA" uses 3 ${NW} but holds 1: 2 short.`);
      expect(mail.text).toContain("Severity: MAJOR");
      expect(mail.text).toContain("Virtual Account: EMEA");
      expect(mail.text).toContain(`${PUBLIC_URL}/graphql`);
      // Links nothing the user cannot see: the explorer alone, no object ids at all.
      expect(mail.text).not.toMatch(GLOBAL_ID);
      expect(mail.text.match(/https?:\/\/\S+/g)).toEqual([`${PUBLIC_URL}/graphql`]);
    });

    it("R38 access is judged at send time: a role revoked after the alert was raised gets no mail; a revoked preference neither", async () => {
      const { account, credential, members } = await shortageWorld("imm-revoked.test");
      const before = await notificationIds(account.id);
      expect((await server.gql(REPORT, { input: { credential, usage: [{ sku: NW, count: 4 }] } })).errors).toBeUndefined();
      const raised = (await notificationIds(account.id, "ALERT_RAISED")).filter((id) => !before.includes(id));
      expect(raised).toHaveLength(1);

      const saUser = await server.build.manager.findOneByOrFail(User, { email: members.saUser });
      await server.build.manager.delete(RoleAssignment, { userId: saUser.id, smartAccountId: account.id });
      await setPreferences(server, members.vaUserEmea, account.id, false, ["LICENSES_EXPIRED"]);

      expect(await sendImmediateMails(server.db, server.clock, settingsFor(smtp.url), mailer, raised, quiet.logger)).toEqual({ sent: 0, failed: 0 });
      expect(smtp.received).toEqual([]);

      // The same notification once the preference is back: mailed to the one who still may see it.
      await setPreferences(server, members.vaUserEmea, account.id, false, ["INSUFFICIENT_LICENSES"]);
      expect(await sendImmediateMails(server.db, server.clock, settingsFor(smtp.url), mailer, raised, quiet.logger)).toEqual({ sent: 1, failed: 0 });
      expect(smtp.received.map((mail) => mail.to)).toEqual([[members.vaUserEmea]]);
    });

    it("R38 without SMTP_URL the mail is logged, one line per mail with recipient and subject, and nothing is sent", async () => {
      const { account, credential, members } = await shortageWorld("imm-logged.test");
      const before = await notificationIds(account.id);
      expect((await server.gql(REPORT, { input: { credential, usage: [{ sku: NW, count: 2 }] } })).errors).toBeUndefined();
      const raised = (await notificationIds(account.id, "ALERT_RAISED")).filter((id) => !before.includes(id));
      const captured = capturingLogger("info");
      const logging = createMailer(settingsFor(null), captured.logger);
      expect(logging.kind).toBe("log");

      expect(await sendImmediateMails(server.db, server.clock, settingsFor(null), logging, raised, captured.logger)).toEqual({ sent: 2, failed: 0 });
      expect(smtp.received).toEqual([]);
      const lines = captured.records().filter((record) => record.mail);
      expect(lines.map((record) => record.mail.to).sort()).toEqual([members.saUser, members.vaUserEmea].sort());
      expect(lines.every((record) => record.mail.subject === `[MAJOR] Insufficient licenses in "EMEA" (imm-logged.test)`)).toBe(true);
      await logging.close();
    });
  });

  describe("R38 SMTP_URL with credentials (R32)", () => {
    it("R38 signs in with the URL's user and password, sends from MAIL_FROM, and never logs the password, even when a mail is refused", async () => {
      const secured = await startSmtpServer({ users: { mailer: "s3cret-Pa55" }, refuse: (to) => to.startsWith("refused@") });
      const captured = capturingLogger("debug");
      const url = `smtp://mailer:s3cret-Pa55@127.0.0.1:${secured.port}`;
      const authed = createMailer(settingsFor(url, { MAIL_FROM: "Licensing <licensing@sag.example.test>" }), captured.logger);
      try {
        expect(authed.kind).toBe("smtp");
        await authed.send({ to: "someone@example.test", subject: "Hello", text: "Body" });
        expect(secured.received).toHaveLength(1);
        expect(secured.received[0]).toMatchObject({
          user: "mailer",
          from: "licensing@sag.example.test",
          to: ["someone@example.test"],
          subject: "Hello",
        });
        await expect(authed.send({ to: "refused@example.test", subject: "No", text: "Body" })).rejects.toThrow();
        const wrong = createMailer(settingsFor(`smtp://mailer:wrong-Pa55@127.0.0.1:${secured.port}`), captured.logger);
        await expect(wrong.send({ to: "someone@example.test", subject: "Hello", text: "Body" })).rejects.toThrow();
        await wrong.close();
        expect(captured.lines.length).toBeGreaterThan(0);
        expect(captured.lines.join("\n")).not.toMatch(/s3cret-Pa55|wrong-Pa55/);
      } finally {
        await authed.close();
        await secured.close();
      }
    });
  });
});

describe("R38 daily digest (sendDigests)", () => {
  let server: TestServer;
  let smtp: SmtpServer;
  let mailer: Mailer;
  const quiet = capturingLogger("info");
  const settings = () => settingsFor(smtp.url);

  beforeAll(async () => {
    smtp = await startSmtpServer({ refuse: (to) => to.startsWith("refused@") });
    server = await startTestServer();
    mailer = createMailer(settings(), quiet.logger);
  });
  afterAll(async () => {
    await mailer.close();
    await server.close();
    await smtp.close();
  });
  beforeEach(() => smtp.clear());

  const alertLines = (text: string) =>
    text
      .split("\n")
      .filter((line) => line.startsWith("- ["))
      .sort();

  /**
   * One account: US → Finance, and EMEA. US is 2 NW short (a device using 3 of 1); EMEA holds 5 NW that end in
   * 30 days. Digest on for an SA_VIEWER (both alerts), a VA_VIEWER on US (the shortage only), a VA_USER on
   * Finance (no alerts there: no mail), an SA_APPROVER (sees no alerts: no mail); off for an SA_USER.
   */
  let world: { accountId: number; us: VirtualAccount; emea: VirtualAccount; members: Record<string, string> };

  beforeAll(async () => {
    const account = await server.build.account("digest.test", { name: "Digest Corp" });
    const [us, finance] = await account.chain("US", "Finance");
    const emea = await account.virtualAccount("EMEA");
    await account.license(us, NW, 1);
    await account.device(us, "C9300-48P", "DIGEST-1", { usage: [{ sku: NW, count: 3 }] });
    await account.license(emea, NW, 5, { endsAt: days(30) });
    const members = {
      saViewer: "sa-viewer@digest.test",
      vaViewerUs: "va-viewer-us@digest.test",
      vaUserFinance: "va-user-finance@digest.test",
      approver: "approver@digest.test",
      saUserOff: "sa-user@digest.test",
    };
    await account.grant(members.saViewer, Role.SMART_ACCOUNT_VIEWER);
    await account.grant(members.vaViewerUs, Role.VIRTUAL_ACCOUNT_VIEWER, us);
    await account.grant(members.vaUserFinance, Role.VIRTUAL_ACCOUNT_USER, finance);
    await account.grant(members.approver, Role.SMART_ACCOUNT_APPROVER);
    await account.grant(members.saUserOff, Role.SMART_ACCOUNT_USER);
    for (const who of [members.saViewer, members.vaViewerUs, members.vaUserFinance, members.approver]) {
      await setPreferences(server, who, account.id, true, []);
    }
    await setPreferences(server, members.saUserOff, account.id, false, ["INSUFFICIENT_LICENSES"]);
    world = { accountId: account.id, us, emea, members };
  });

  it("R38 DIGEST_CRON in UTC: nextDigestAt is the next run strictly after now; a run at `now` is the current period", () => {
    const daily = settingsFor(null);
    expect(daily.digestCron).toBe("0 6 * * *");
    expect(nextDigestAt(daily, START)).toEqual(new Date("2026-11-24T06:00:00.000Z"));
    expect(nextDigestAt(daily, new Date("2026-11-24T06:00:00.000Z"))).toEqual(new Date("2026-11-25T06:00:00.000Z"));
    expect(nextDigestAt(daily, new Date("2026-11-24T05:59:59.999Z"))).toEqual(new Date("2026-11-24T06:00:00.000Z"));
    expect(digestPeriodStart(daily, new Date("2026-11-24T06:00:00.000Z"))).toEqual(new Date("2026-11-24T06:00:00.000Z"));
    expect(digestPeriodStart(daily, new Date("2026-11-24T05:59:59.999Z"))).toEqual(new Date("2026-11-23T06:00:00.000Z"));
    const sixHourly = settingsFor(null, { DIGEST_CRON: "30 */6 * * *" });
    expect(nextDigestAt(sixHourly, START)).toEqual(new Date("2026-11-23T12:30:00.000Z"));
  });

  it("R38 the digest lists exactly each user's visible alerts (§5 see alerts: scope), none when empty, once per scheduled run, again the next run", async () => {
    const { members } = world;
    // Turned on at START (10:00): the first digest is the next run's (06:00 tomorrow), not today's past one.
    expect(await sendDigests(server.db, server.clock, settings(), mailer, quiet.logger)).toEqual({ sent: 0, empty: 0, failed: 0 });
    expect(smtp.received).toEqual([]);

    server.clock.set(new Date("2026-11-24T06:00:00.000Z"));
    expect(await sendDigests(server.db, server.clock, settings(), mailer, quiet.logger)).toEqual({ sent: 2, empty: 2, failed: 0 });
    expect(smtp.received.map((mail) => mail.to[0]).sort()).toEqual([members.saViewer, members.vaViewerUs].sort());
    const shortage = `- [MAJOR] Insufficient licenses in "US": "US" uses 3 ${NW} but holds 1: 2 short.`;
    const expiring = `- [MINOR] Licenses expiring in "EMEA": 5 ${NW} in "EMEA" expire in 30 days (2026-12-23).`;
    const [viewerMail] = smtp.to(members.saViewer);
    expect(alertLines(viewerMail.text)).toEqual([shortage, expiring].sort());
    expect(viewerMail.subject).toBe("Daily alerts for Digest Corp: 2 alerts (1 MAJOR)");
    expect(viewerMail.text).not.toMatch(GLOBAL_ID);
    expect(viewerMail.text.match(/https?:\/\/\S+/g)).toEqual([`${PUBLIC_URL}/graphql`]);
    const [scopedMail] = smtp.to(members.vaViewerUs);
    expect(alertLines(scopedMail.text)).toEqual([shortage]);
    expect(scopedMail.text).not.toContain("EMEA");

    // The same period again, later that day: nothing.
    smtp.clear();
    server.clock.set(new Date("2026-11-24T18:00:00.000Z"));
    expect(await sendDigests(server.db, server.clock, settings(), mailer, quiet.logger)).toEqual({ sent: 0, empty: 0, failed: 0 });
    expect(smtp.received).toEqual([]);

    // The next run: sent again, with what is visible then (the lot is a day nearer its end).
    server.clock.set(new Date("2026-11-25T06:00:30.000Z"));
    expect(await sendDigests(server.db, server.clock, settings(), mailer, quiet.logger)).toEqual({ sent: 2, empty: 2, failed: 0 });
    expect(alertLines(smtp.to(members.saViewer)[0].text)).toEqual(
      [shortage, `- [MINOR] Licenses expiring in "EMEA": 5 ${NW} in "EMEA" expire in 29 days (2026-12-23).`].sort(),
    );
    expect(smtp.to(members.vaUserFinance)).toEqual([]);
    expect(smtp.to(members.approver)).toEqual([]);
    expect(smtp.to(members.saUserOff)).toEqual([]);
  });

  it("R38 a refused digest gives its period back: the next call sends it; the log holds the failure's codes", async () => {
    const account = await server.build.account("digest-refused.test");
    const va = await account.virtualAccount("Lab");
    await account.license(va, NW, 1);
    await account.device(va, "C9300-48P", "REFUSED-1", { usage: [{ sku: NW, count: 2 }] });
    await account.grant("refused@digest-refused.test", Role.SMART_ACCOUNT_ADMIN);
    await setPreferences(server, "refused@digest-refused.test", account.id, true, []);
    const user = await server.build.manager.findOneByOrFail(User, { email: "refused@digest-refused.test" });
    const row = () => server.build.manager.findOneByOrFail(NotificationPreference, { userId: user.id, smartAccountId: account.id });
    const setAt = (await row()).lastDigestAt;

    server.clock.set(new Date("2026-11-26T07:00:00.000Z"));
    const captured = capturingLogger("info");
    const first = await sendDigests(server.db, server.clock, settings(), mailer, captured.logger);
    expect(first.failed).toBe(1);
    expect((await row()).lastDigestAt).toEqual(setAt);
    expect(captured.records().find((record) => record.failure)?.failure).toMatchObject({ responseCode: 550 });

    // Once the mailbox takes it (here: the logging mailer), the period is done.
    const logging = createMailer(settingsFor(null), captured.logger);
    const second = await sendDigests(server.db, server.clock, settings(), logging, captured.logger);
    expect(second.sent).toBe(1);
    expect((await row()).lastDigestAt).toEqual(new Date("2026-11-26T07:00:00.000Z"));
    expect(captured.records().filter((record) => record.mail?.to === "refused@digest-refused.test")).toHaveLength(1);
  });
});
