import { createHmac } from "node:crypto";
import http from "node:http";
import { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import { Role } from "../entities";
import { scanAlerts } from "../src/notifications/alert-changes";
import { startTestServer, TestServer } from "./support/harness";
import { accounts } from "./support/fixtures";
import { startSmtpServer, SmtpServer } from "./support/mail-smtp";

/**
 * SPEC §8 end to end, through the worker the server runs itself (R39): one real write raises an alert
 * (R35); the EVENT and the ALERT_RAISED reach a real webhook receiver, signed (R37), and the alert reaches a
 * real SMTP server as an immediate mail (R38). Once on the tables as the queue, and once on BullMQ with Redis.
 */

const DNA = "C9300-DNA-A-3Y";
const REPORT = `mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id } }`;
const CREATE_WEBHOOK = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`;
const PREFERENCES = `mutation($input: SetNotificationPreferencesInput!) { setNotificationPreferences(input: $input) { dailyDigest } }`;
const DELIVERIES = `query($id: ID!) { node(id: $id) { ... on Webhook { deliveries { nodes { topic status attempts lastResponseStatus } } } } }`;

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function receiver() {
  const hits: Hit[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      hits.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const REDIS_URL = process.env.REDIS_URL?.trim();
const MODES: { name: string; env: () => Record<string, string> }[] = [
  { name: "the tables as the queue", env: () => ({}) },
  ...(REDIS_URL ? [{ name: "BullMQ on Redis", env: () => ({ REDIS_URL: `${REDIS_URL.replace(/\/\d*$/, "")}/11`, REDIS_KEY_PREFIX: prefix }) }] : []),
];
const prefix = `sag-e2e-${randomBytes(4).toString("hex")}`;

describe.each(MODES)("§8 end to end through the server's own worker ($name)", ({ env }) => {
  let server: TestServer;
  let smtp: SmtpServer;
  let hook: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    smtp = await startSmtpServer();
    hook = await receiver();
    server = await startTestServer({ env: { WORKER: "1", WORKER_POLL_MS: "50", SMTP_URL: smtp.url, ...env() } });
  });
  afterAll(async () => {
    await server.close();
    await smtp.close();
    await hook.close();
    if (env().REDIS_URL) {
      const redis = new Redis(env().REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });

  const account = accounts(() => server);

  it("R35, R37, R38, R39 a report that causes a shortage: a signed webhook delivery of its EVENT and ALERT_RAISED, and a mail to the user who chose it", async () => {
    const acme = await account(`e2e-${randomBytes(3).toString("hex")}.com`);
    const lab = await acme.built.virtualAccount("Lab");
    await acme.built.license(lab, DNA, 1);
    const { credential } = await acme.built.device(lab, "C9300-24T", "FOC-E2E-1");
    const user = `user@${acme.domain}`;
    await acme.built.grant(user, Role.SMART_ACCOUNT_USER);
    await scanAlerts(server.db, server.clock);

    const created = await server.gql(
      CREATE_WEBHOOK,
      { input: { smartAccountId: acme.accountId, url: hook.url, topics: ["EVENT", "ALERT_RAISED"] } },
      acme.admin,
    );
    expect(created.errors).toBeUndefined();
    const { secret, webhook } = created.data.createWebhook;
    const chosen = await server.gql(
      PREFERENCES,
      { input: { smartAccountId: acme.accountId, dailyDigest: false, immediateAlertTypes: ["INSUFFICIENT_LICENSES"] } },
      user,
    );
    expect(chosen.errors).toBeUndefined();

    expect((await server.gql(REPORT, { input: { credential, usage: [{ sku: DNA, count: 3 }] } })).errors).toBeUndefined();
    // The mail cursor passes only notifications a few seconds old (a later commit of a lower id is not skipped).
    server.clock.set(new Date(server.clock.now().getTime() + 10_000));

    type Body = { topic: string; data: { event?: { type: string }; alert?: { type: string } } };
    const about = (hit: Hit) => {
      const body = JSON.parse(hit.body) as Body;
      return body.topic === "EVENT" ? `EVENT ${body.data.event?.type}` : `${body.topic} ${body.data.alert?.type}`;
    };
    const wanted = ["ALERT_RAISED INSUFFICIENT_LICENSES", "EVENT USAGE_REPORTED"];
    const hits = await until("the report's two webhook deliveries", () => {
      const found = hook.hits.filter((hit) => wanted.includes(about(hit)));
      return found.length >= 2 ? found : undefined;
    });
    expect(hits.map(about).sort()).toEqual(wanted);
    for (const hit of hits) {
      const timestamp = String(hit.headers["x-webhook-timestamp"]);
      const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${hit.body}`).digest("hex")}`;
      expect(hit.headers["x-webhook-signature"]).toBe(expected);
      expect(hit.headers["x-webhook-id"]).toBeTruthy();
    }
    const listed = await until("both deliveries DELIVERED", async () => {
      const result = await server.gql(DELIVERIES, { id: webhook.id }, acme.admin);
      const nodes = result.data?.node?.deliveries?.nodes as { topic: string; status: string }[] | undefined;
      return nodes && nodes.filter((node) => node.status === "DELIVERED").length >= 2 ? nodes : undefined;
    });
    expect(listed.filter((node) => node.topic !== "EVENT" || node.status === "DELIVERED").length).toBeGreaterThanOrEqual(2);

    const mail = await until("the immediate mail", () => {
      const mails = smtp.to(user);
      return mails.length ? mails : undefined;
    });
    expect(mail).toHaveLength(1);
    expect(mail[0].text).toContain("Lab");
    // The admin chose nothing: no mail to them.
    expect(smtp.to(acme.admin)).toEqual([]);
  });
});
