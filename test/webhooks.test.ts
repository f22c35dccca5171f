/**
 * SPEC R37 webhooks, against a real server, a real database (SQLite, or MariaDB with DATABASE_URL) and a real
 * HTTP receiver this suite runs on 127.0.0.1: created by a real mutation, delivered by `attemptDelivery` as the
 * worker calls it, signed with the secret createWebhook returned, retried with backoff on the suite's clock,
 * FAILED after the last attempt, sent again by redeliverWebhook, stopped when the creator loses the right, and
 * refused where it would reach the service's own networks (SSRF) in production.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { Role, SmartAccountType, Webhook, WebhookDelivery } from "../entities";
import { NotificationSettings } from "../src/config";
import { createLogger } from "../src/logging";
import { isPrivateAddress } from "../src/notifications/ssrf";
import { attemptDeliveries, attemptDelivery, dueDeliveries, retryDelayMs } from "../src/notifications/webhook-delivery";
import { countRows } from "./support/db-counts";
import { expectCode } from "./support/fixtures";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1: answers each POST with the next status of `statuses` (the last one repeats). */
async function startReceiver() {
  const received: Received[] = [];
  let connections = 0;
  let statuses = [200];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      const status = statuses.length > 1 ? (statuses.shift() as number) : statuses[0];
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    received,
    get connections() {
      return connections;
    },
    answer(...next: number[]) {
      statuses = next;
    },
    reset() {
      received.length = 0;
      connections = 0;
      statuses = [200];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every log line the server and the deliveries write (R32: no secret in any). */
const logLines: string[] = [];
const logger = createLogger({
  level: "debug",
  destination: new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }) as never,
});

const CREATE = `mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { id url topics active createdBy { email } smartAccount { name } virtualAccount { name } } }
}`;

const DELIVERIES = `query($id: ID!) {
  node(id: $id) { ... on Webhook { active deliveries { totalCount nodes { id topic status attempts lastResponseStatus lastAttemptAt nextAttemptAt } } } }
}`;

const RENAME = `mutation($id: ID!, $name: String!) { updateVirtualAccount(input: { id: $id, name: $name }) { name } }`;

/** The number inside a global id. */
const idOf = (globalId: string): number => Number(Buffer.from(globalId, "base64url").toString().split(":")[1]);

const sign = (secret: string, timestamp: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

describe.each(["one at a time", "in batches"] as const)("R37 webhooks (attempts %s)", (mode) => {
  /** One attempt of one delivery: by itself, or as a batch of one (the table queue's path). */
  const attempt = async (with_: NotificationSettings, id: number) =>
    mode === "in batches"
      ? (await attemptDeliveries(server.db, server.clock, with_, [id], logger, { concurrency: 4 }))[0]
      : attemptDelivery(server.db, server.clock, with_, id, logger);
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let settings: NotificationSettings;
  let seq = 0;
  const secrets: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ logger });
    receiver = await startReceiver();
    settings = server.app.services.webhooks.settings;
  });
  afterAll(async () => {
    await receiver.close();
    await server.close();
  });
  beforeEach(() => receiver.reset());

  /** An account with US → Finance and EMEA → Paris, its admin, and a VIRTUAL_ACCOUNT_ADMIN of US. */
  async function world() {
    const domain = `hooks${++seq}.test`;
    const account = await server.build.account(domain);
    const [us, finance] = await account.chain("US", "Finance");
    const [emea, paris] = await account.chain("EMEA", "Paris");
    const admin = `admin@${domain}`;
    const vaAdmin = `va-admin@${domain}`;
    await account.grant(admin, Role.SMART_ACCOUNT_ADMIN);
    await account.grant(vaAdmin, Role.VIRTUAL_ACCOUNT_ADMIN, us);
    return { domain, account, us, finance, emea, paris, admin, vaAdmin, accountId: gid("SmartAccount", account.id) };
  }

  async function create(as: string, input: Record<string, unknown>) {
    const result = await server.gql(CREATE, { input: { topics: ["EVENT"], url: receiver.url(), ...input } }, as);
    expect(result.errors).toBeUndefined();
    const { secret, webhook } = result.data.createWebhook;
    secrets.push(secret);
    return { secret: secret as string, webhookId: webhook.id as string, webhook };
  }

  /** What the worker does: every due delivery (of this webhook: tests leave others behind), attempted once. */
  async function runDue(webhookId: string): Promise<string[]> {
    const own = new Set((await rowsOf(webhookId)).map((row) => row.id));
    const ids = (await dueDeliveries(server.db.manager, server.clock.now(), 1000)).filter((id) => own.has(id));
    const outcomes: string[] = [];
    if (mode === "in batches") return attemptDeliveries(server.db, server.clock, settings, ids, logger, { concurrency: 4 });
    for (const id of ids) outcomes.push(await attempt(settings, id));
    return outcomes;
  }

  const rowsOf = (webhookGlobalId: string) =>
    server.db.manager.find(WebhookDelivery, { where: { webhookId: idOf(webhookGlobalId) }, order: { id: "ASC" } });

  const deliveriesOf = async (webhookId: string, as: string) => (await server.gql(DELIVERIES, { id: webhookId }, as)).data.node;

  it("R37 createWebhook returns the secret once; a real mutation reaches a real receiver, signed with that secret", async () => {
    const w = await world();
    const { secret, webhookId, webhook } = await create(w.admin, { smartAccountId: w.accountId });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook).toEqual({
      id: webhookId,
      url: receiver.url(),
      topics: ["EVENT"],
      active: true,
      createdBy: { email: w.admin },
      smartAccount: { name: w.domain },
      virtualAccount: null,
    });
    // The secret is derived, never stored: no column of the row holds it.
    const [row] = await server.db.dataSource.query("SELECT * FROM webhooks WHERE id = ?", [idOf(webhookId)]);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));

    expect((await server.gql(RENAME, { id: gid("VirtualAccount", w.finance.id), name: "Finance EU" }, w.admin)).errors).toBeUndefined();
    // Its own creation event and the rename: two deliveries, both due now.
    expect(await runDue(webhookId)).toEqual(["DELIVERED", "DELIVERED"]);
    expect(receiver.received).toHaveLength(2);
    const deliveries = (await rowsOf(webhookId)).map((row) => gid("WebhookDelivery", row.id));
    for (const [index, { headers, body }] of receiver.received.entries()) {
      expect(headers["content-type"]).toBe("application/json");
      expect(headers["x-webhook-id"]).toBe(deliveries[index]);
      const timestamp = headers["x-webhook-timestamp"] as string;
      expect(Number(timestamp)).toBe(Math.floor(server.clock.now().getTime() / 1000));
      expect(headers["x-webhook-signature"]).toBe(sign(secret, timestamp, body));
      expect(headers["x-webhook-signature"]).not.toBe(sign(`${secret}x`, timestamp, body));
    }
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    expect(bodies.map((body) => Object.keys(body))).toEqual(
      [0, 1].map(() => ["id", "topic", "createdAt", "smartAccountId", "virtualAccountId", "data"]),
    );
    expect(bodies.map((body) => [body.topic, body.smartAccountId, body.data.event.type])).toEqual([
      ["EVENT", w.accountId, "WEBHOOK_CREATED"],
      ["EVENT", w.accountId, "VIRTUAL_ACCOUNT_UPDATED"],
    ]);
    expect(bodies[1].virtualAccountId).toBe(gid("VirtualAccount", w.finance.id));

    const listed = await deliveriesOf(webhookId, w.admin);
    expect(listed.deliveries.totalCount).toBe(2);
    // Newest first.
    expect(listed.deliveries.nodes.map((d: { id: string }) => d.id)).toEqual([...deliveries].reverse());
    expect(
      listed.deliveries.nodes.map((d: { status: string; attempts: number; lastResponseStatus: number }) => [
        d.status,
        d.attempts,
        d.lastResponseStatus,
      ]),
    ).toEqual([
      ["DELIVERED", 1, 200],
      ["DELIVERED", 1, 200],
    ]);
    // Delivered once: nothing is due any more.
    expect(await runDue(webhookId)).toEqual([]);
  });

  it("R37 a failing receiver (500) is retried with exponential backoff, the first retry within 30 s, then delivered; every attempt shows", async () => {
    const w = await world();
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId });
    receiver.answer(500, 500, 200);
    const [delivery] = await rowsOf(webhookId);
    const t0 = server.clock.now().getTime();
    expect(await attempt(settings, delivery.id)).toBe("PENDING");
    let row = await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });
    expect(row).toMatchObject({ status: "PENDING", attempts: 1, lastResponseStatus: 500, lastError: "answered HTTP 500" });
    const firstDelay = row.nextAttemptAt!.getTime() - t0;
    expect(firstDelay).toBeGreaterThanOrEqual(16_000);
    expect(firstDelay).toBeLessThanOrEqual(30_000);
    // Not due yet: a worker that asks now attempts nothing.
    expect(await attempt(settings, delivery.id)).toBe("skipped");
    expect(await runDue(webhookId)).toEqual([]);
    server.clock.set(row.nextAttemptAt!);
    expect(await runDue(webhookId)).toEqual(["PENDING"]);
    row = await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });
    const secondDelay = row.nextAttemptAt!.getTime() - server.clock.now().getTime();
    expect(secondDelay).toBeGreaterThanOrEqual(48_000);
    expect(secondDelay).toBeLessThanOrEqual(72_000);
    server.clock.set(row.nextAttemptAt!);
    expect(await runDue(webhookId)).toEqual(["DELIVERED"]);
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers["x-webhook-id"]))).toEqual(new Set([gid("WebhookDelivery", delivery.id)]));
    const listed = await deliveriesOf(webhookId, w.admin);
    expect(listed.deliveries.nodes).toEqual([
      expect.objectContaining({
        status: "DELIVERED",
        attempts: 3,
        lastResponseStatus: 200,
        nextAttemptAt: null,
        lastAttemptAt: server.clock.now().toISOString(),
      }),
    ]);
  });

  it("R37 a receiver that never answers 2xx: FAILED after webhookMaxAttempts (≥ 6) spread over more than an hour; redeliverWebhook sends it again", async () => {
    const w = await world();
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId });
    receiver.answer(503);
    const [delivery] = await rowsOf(webhookId);
    const t0 = server.clock.now().getTime();
    let outcome = "";
    for (let i = 0; i < 20 && outcome !== "FAILED"; i++) {
      outcome = await attempt(settings, delivery.id);
      const row = await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });
      if (row.nextAttemptAt) server.clock.set(row.nextAttemptAt);
    }
    expect(outcome).toBe("FAILED");
    const failed = await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id });
    expect(settings.webhookMaxAttempts).toBeGreaterThanOrEqual(6);
    expect(failed).toMatchObject({ status: "FAILED", attempts: settings.webhookMaxAttempts, nextAttemptAt: null, lastResponseStatus: 503 });
    expect(receiver.received).toHaveLength(settings.webhookMaxAttempts);
    expect(failed.lastAttemptAt!.getTime() - t0).toBeGreaterThan(3_600_000);
    expect(await runDue(webhookId)).toEqual([]);

    receiver.answer(200);
    const events = await countRows(server, "events", "smart_account_id = ?", [w.account.id]);
    const redelivered = await server.gql(
      `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status attempts nextAttemptAt webhook { id } } }`,
      { id: gid("WebhookDelivery", delivery.id) },
      w.admin,
    );
    expect(redelivered.errors).toBeUndefined();
    expect(redelivered.data.redeliverWebhook).toEqual({
      id: gid("WebhookDelivery", delivery.id),
      status: "PENDING",
      attempts: settings.webhookMaxAttempts,
      nextAttemptAt: server.clock.now().toISOString(),
      webhook: { id: webhookId },
    });
    expect(await countRows(server, "events", "smart_account_id = ?", [w.account.id])).toBe(events + 1); // R29
    expect(await attempt(settings, delivery.id)).toBe("DELIVERED");
    expect(await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id })).toMatchObject({
      status: "DELIVERED",
      attempts: settings.webhookMaxAttempts + 1,
    });
  });

  it("R37 retry delays: base × 3^(n−1) within ±20%", () => {
    const base = { webhookRetryBaseMs: 20_000 };
    expect([1, 2, 3].map((n) => retryDelayMs(base, n, () => 0.5))).toEqual([20_000, 60_000, 180_000]);
    expect(retryDelayMs(base, 1, () => 0)).toBe(16_000);
    expect(retryDelayMs(base, 1, () => 1)).toBe(24_000);
  });

  it("R37 two workers attempting the same delivery at once: one claims it, the other skips; one POST", async () => {
    const w = await world();
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId });
    const [delivery] = await rowsOf(webhookId);
    const outcomes = await Promise.all([1, 2, 3].map(() => attempt(settings, delivery.id)));
    expect(outcomes.sort()).toEqual(["DELIVERED", "skipped", "skipped"]);
    expect(receiver.received).toHaveLength(1);
  });

  it("R39 R37 a worker that dies mid-attempt loses nothing: its claim lapses and the delivery is due again", async () => {
    const w = await world();
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId });
    const [delivery] = await rowsOf(webhookId);
    // A worker claimed it (as attemptDelivery does) and died before writing an outcome.
    const lease = new Date(server.clock.now().getTime() + settings.webhookTimeoutMs + 30_000);
    await server.db.manager.update(WebhookDelivery, { id: delivery.id }, { leaseUntil: lease });
    expect(await runDue(webhookId)).toEqual([]);
    expect(await attempt(settings, delivery.id)).toBe("skipped");
    server.clock.set(new Date(lease.getTime() + 1));
    expect(await runDue(webhookId)).toEqual(["DELIVERED"]);
    expect(receiver.received).toHaveLength(1);
  });

  it("R37 a creator who lost the right finds the webhook disabled, and it delivers nothing", async () => {
    const w = await world();
    const { webhookId } = await create(w.vaAdmin, { smartAccountId: w.accountId, virtualAccountId: gid("VirtualAccount", w.us.id) });
    const [grant] = await server.db.dataSource.query("SELECT id FROM role_assignments WHERE virtual_account_id = ? AND role = ?", [
      w.us.id,
      Role.VIRTUAL_ACCOUNT_ADMIN,
    ]);
    const revoked = await server.gql(`mutation($id: ID!) { revokeRole(id: $id) }`, { id: gid("RoleAssignment", Number(grant.id)) }, w.admin);
    expect(revoked.errors).toBeUndefined();
    expect((await server.gql(RENAME, { id: gid("VirtualAccount", w.finance.id), name: "Finance 2" }, w.admin)).errors).toBeUndefined();
    // The admin sees it inactive at once, before any attempt.
    expect((await deliveriesOf(webhookId, w.admin)).active).toBe(false);
    const outcomes = await runDue(webhookId);
    expect(outcomes.length).toBeGreaterThanOrEqual(3); // created, revoked, renamed
    expect(new Set(outcomes)).toEqual(new Set(["FAILED"]));
    expect(receiver.connections).toBe(0);
    // Nothing was sent: no attempt counts.
    for (const delivery of await rowsOf(webhookId)) {
      expect(delivery).toMatchObject({ status: "FAILED", attempts: 0, lastAttemptAt: null, lastError: "webhook disabled (creator lost access)" });
    }
    const row = await server.db.manager.findOneByOrFail(Webhook, { id: idOf(webhookId) });
    expect(row).toMatchObject({ active: false, disabledReason: "creator lost access" });
    // Disabled, it hears nothing more.
    const before = await countRows(server, "webhook_deliveries", "webhook_id = ?", [row.id]);
    expect((await server.gql(RENAME, { id: gid("VirtualAccount", w.finance.id), name: "Finance 3" }, w.admin)).errors).toBeUndefined();
    expect(await countRows(server, "webhook_deliveries", "webhook_id = ?", [row.id])).toBe(before);
  });

  it("R37 a Virtual Account webhook hears only its subtree", async () => {
    const w = await world();
    const { webhookId, webhook } = await create(w.vaAdmin, { smartAccountId: w.accountId, virtualAccountId: gid("VirtualAccount", w.us.id) });
    expect(webhook.virtualAccount).toEqual({ name: "US" });
    await server.gql(RENAME, { id: gid("VirtualAccount", w.finance.id), name: "Finance 2" }, w.admin);
    await server.gql(RENAME, { id: gid("VirtualAccount", w.paris.id), name: "Paris 2" }, w.admin);
    await server.gql(`mutation($id: ID!) { updateSmartAccount(input: { id: $id, name: "Renamed" }) { name } }`, { id: w.accountId }, w.admin);
    expect(await runDue(webhookId)).toEqual(["DELIVERED", "DELIVERED"]);
    const bodies = receiver.received.map((r) => JSON.parse(r.body));
    expect(bodies.map((body) => [body.data.event.type, body.virtualAccountId])).toEqual([
      ["WEBHOOK_CREATED", gid("VirtualAccount", w.us.id)],
      ["VIRTUAL_ACCOUNT_UPDATED", gid("VirtualAccount", w.finance.id)],
    ]);
    expect((await deliveriesOf(webhookId, w.vaAdmin)).deliveries.totalCount).toBe(2);
  });

  it("R37 deleteWebhook: inactive (disabled 'deleted'), still listed, delivers nothing more; one event", async () => {
    const w = await world();
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId });
    const events = await countRows(server, "events", "smart_account_id = ?", [w.account.id]);
    const deleted = await server.gql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: webhookId }, w.admin);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data.deleteWebhook).toBe(webhookId);
    expect(await countRows(server, "events", "smart_account_id = ? AND type = 'WEBHOOK_DELETED'", [w.account.id])).toBe(1);
    expect(await countRows(server, "events", "smart_account_id = ?", [w.account.id])).toBe(events + 1);
    const listed = await server.gql(
      `query($d: String!) { smartAccount(domain: $d) { webhooks { totalCount nodes { id active } } } }`,
      { d: w.domain },
      w.admin,
    );
    expect(listed.data.smartAccount.webhooks).toEqual({ totalCount: 1, nodes: [{ id: webhookId, active: false }] });
    expect(await runDue(webhookId)).toEqual(["FAILED"]); // its creation event, never sent
    expect(receiver.connections).toBe(0);
    expectCode(await server.gql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: webhookId }, w.admin), "CONFLICT");
  });

  it("R37 no answer within webhookTimeoutMs counts as a failed attempt (no status) and is retried", async () => {
    const w = await world();
    const silent = http.createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/slow`;
      const { webhookId } = await create(w.admin, { smartAccountId: w.accountId, url });
      const [delivery] = await rowsOf(webhookId);
      const quick: NotificationSettings = { ...settings, webhookTimeoutMs: 300 };
      const started = Date.now();
      expect(await attempt(quick, delivery.id)).toBe("PENDING");
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id })).toMatchObject({
        status: "PENDING",
        attempts: 1,
        lastResponseStatus: null,
        lastError: "no answer within 300 ms",
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("R37 ALERT_RAISED: an order waiting in a partner holding account is delivered as an alert (R35)", async () => {
    const domain = `holding${++seq}.test`;
    const holding = await server.build.account(domain, { type: SmartAccountType.PARTNER_HOLDING });
    await holding.grant(`admin@${domain}`, Role.SMART_ACCOUNT_ADMIN);
    const { webhookId } = await create(`admin@${domain}`, { smartAccountId: gid("SmartAccount", holding.id), topics: ["ALERT_RAISED"] });
    const placed = await server.gql(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`,
      { input: { smartAccountDomain: domain, lines: [{ sku: "C9300-NW-A", quantity: 2 }] } },
      "commerce@shop.example",
      "orders:write",
    );
    expect(placed.errors).toBeUndefined();
    // The webhook hears no EVENT (not its topic): only the alert.
    expect(await runDue(webhookId)).toEqual(["DELIVERED"]);
    const [body] = receiver.received.map((r) => JSON.parse(r.body));
    expect(body).toMatchObject({
      topic: "ALERT_RAISED",
      smartAccountId: gid("SmartAccount", holding.id),
      data: { alert: { type: "ORDER_AWAITING_ASSIGNMENT", orderId: placed.data.placeOrder.id } },
    });
  });

  it("R37 a webhook delivers only what its creator may still see: a notification whose Virtual Account left the creator's scope is not sent", async () => {
    const w = await world();
    const { webhookId } = await create(w.vaAdmin, { smartAccountId: w.accountId, virtualAccountId: gid("VirtualAccount", w.us.id) });
    expect(await runDue(webhookId)).toEqual(["DELIVERED"]); // its own creation
    await server.gql(RENAME, { id: gid("VirtualAccount", w.finance.id), name: "Finance 2" }, w.admin);
    // Before the worker gets to it, Finance moves under EMEA, out of the creator's scope.
    const moved = await server.gql(
      `mutation($id: ID!, $parent: ID!) { updateVirtualAccount(input: { id: $id, parentId: $parent }) { name } }`,
      { id: gid("VirtualAccount", w.finance.id), parent: gid("VirtualAccount", w.emea.id) },
      w.admin,
    );
    expect(moved.errors).toBeUndefined();
    expect(await runDue(webhookId)).toEqual(["FAILED"]);
    expect(receiver.received).toHaveLength(1);
    const rows = await rowsOf(webhookId);
    expect(rows[1]).toMatchObject({ status: "FAILED", lastError: "the webhook's creator may not see this notification" });
    // The creator still manages webhooks on US: the webhook itself stays active.
    expect(await server.db.manager.findOneByOrFail(Webhook, { id: idOf(webhookId) })).toMatchObject({ active: true });
  });

  it("R37 R5 SmartAccount.webhooks with their deliveries, creators and Virtual Accounts: the same statements for 1 webhook or 4 (loaders batch by level)", async () => {
    const LIST = `query($d: String!) {
      smartAccount(domain: $d) {
        webhooks(first: 10) {
          totalCount
          nodes { id url topics active createdBy { email } virtualAccount { name } deliveries(first: 3) { totalCount nodes { id status } } }
        }
      }
    }`;
    const one = await world();
    await create(one.admin, { smartAccountId: one.accountId, virtualAccountId: gid("VirtualAccount", one.us.id) });
    const four = await world();
    await create(four.admin, { smartAccountId: four.accountId });
    await create(four.admin, { smartAccountId: four.accountId, virtualAccountId: gid("VirtualAccount", four.us.id) });
    await create(four.vaAdmin, { smartAccountId: four.accountId, virtualAccountId: gid("VirtualAccount", four.finance.id) });
    await create(four.admin, { smartAccountId: four.accountId, virtualAccountId: gid("VirtualAccount", four.paris.id) });
    const small = await server.gql(LIST, { d: one.domain }, one.admin);
    const large = await server.gql(LIST, { d: four.domain }, four.admin);
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    expect(small.data.smartAccount.webhooks.totalCount).toBe(1);
    expect(large.data.smartAccount.webhooks.totalCount).toBe(4);
    expect(large.data.smartAccount.webhooks.nodes.map((n: { deliveries: { totalCount: number } }) => n.deliveries.totalCount)).toEqual([4, 2, 1, 1]); // the creation events each one hears
    expect(large.statements).toBe(small.statements);
    // The Virtual Account admin sees the webhooks in their scope only (US and below).
    const scoped = await server.gql(LIST, { d: four.domain }, four.vaAdmin);
    expect(scoped.data.smartAccount.webhooks.nodes.map((n: { virtualAccount: { name: string } | null }) => n.virtualAccount?.name)).toEqual([
      "US",
      "Finance",
    ]);
  });

  it("R37 refused input writes nothing: bad URL or topics → BAD_USER_INPUT naming the field; unknown ids → NOT_FOUND; no role → FORBIDDEN", async () => {
    const w = await world();
    const user = `user@${w.domain}`;
    await w.account.grant(user, Role.SMART_ACCOUNT_USER);
    const before = [await countRows(server, "webhooks"), await countRows(server, "events")];
    const attempt = (input: Record<string, unknown>, as = w.admin) =>
      server.gql(CREATE, { input: { smartAccountId: w.accountId, topics: ["EVENT"], url: receiver.url(), ...input } }, as);
    expectCode(await attempt({ url: "not a url" }), "BAD_USER_INPUT", { field: "input.url" });
    expectCode(await attempt({ url: "ftp://example.com/x" }), "BAD_USER_INPUT", { field: "input.url" });
    expectCode(await attempt({ url: "https://user:pw@example.com/x" }), "BAD_USER_INPUT", { field: "input.url" });
    expectCode(await attempt({ url: `https://example.com/${"x".repeat(2100)}` }), "BAD_USER_INPUT", { field: "input.url" });
    expectCode(await attempt({ topics: [] }), "BAD_USER_INPUT", { field: "input.topics" });
    expectCode(await attempt({ topics: ["EVENT", "NOT_A_TOPIC"] }), "BAD_USER_INPUT", { field: "input.topics[1]" });
    expectCode(await attempt({ smartAccountId: gid("SmartAccount", 999_999) }), "NOT_FOUND");
    expectCode(await attempt({ virtualAccountId: gid("VirtualAccount", 999_999) }), "NOT_FOUND");
    expectCode(await attempt({ smartAccountId: "nonsense" }), "BAD_USER_INPUT", { field: "input.smartAccountId" });
    expectCode(await attempt({}, user), "FORBIDDEN");
    // A VIRTUAL_ACCOUNT_ADMIN: account-wide is not theirs; out of scope does not exist for them.
    expectCode(await attempt({}, w.vaAdmin), "FORBIDDEN");
    expectCode(await attempt({ virtualAccountId: gid("VirtualAccount", w.paris.id) }, w.vaAdmin), "NOT_FOUND");
    expectCode(await server.gql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: gid("Webhook", 999_999) }, w.admin), "NOT_FOUND");
    expectCode(
      await server.gql(`mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id } }`, { id: gid("WebhookDelivery", 999_999) }, w.admin),
      "NOT_FOUND",
    );
    expect([await countRows(server, "webhooks"), await countRows(server, "events")]).toEqual(before);
  });

  it("R37 SSRF at delivery: a target that now resolves to a private address is refused without connecting (the lookup is pinned)", async () => {
    const w = await world();
    // Created where private targets are allowed (tests, on-prem), delivered where they are not.
    const { webhookId } = await create(w.admin, { smartAccountId: w.accountId, url: `https://localhost:${receiver.port}/hook` });
    const production: NotificationSettings = { ...settings, webhookAllowPrivate: false };
    const [delivery] = await rowsOf(webhookId);
    expect(await attempt(production, delivery.id)).toBe("PENDING");
    expect(receiver.connections).toBe(0);
    expect(await server.db.manager.findOneByOrFail(WebhookDelivery, { id: delivery.id })).toMatchObject({
      attempts: 1,
      lastResponseStatus: null,
      lastError: expect.stringContaining("private"),
    });
    // An address literal is refused before any connection too.
    const literal = await create(w.admin, { smartAccountId: w.accountId, url: `https://127.0.0.1:${receiver.port}/hook` });
    const [literalDelivery] = await rowsOf(literal.webhookId);
    expect(await attempt(production, literalDelivery.id)).toBe("PENDING");
    expect(receiver.connections).toBe(0);
  });

  it("R37 SSRF: loopback, private, link-local, CGNAT, multicast, unspecified and their IPv4-mapped / NAT64 forms are private; public addresses are not", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "::ffff:a9fe:a9fe",
      "64:ff9b::7f00:1",
    ]) {
      expect({ address, private: isPrivateAddress(address) }).toEqual({ address, private: true });
    }
    for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect({ address, private: isPrivateAddress(address) }).toEqual({ address, private: false });
    }
  });

  it("R32 no log line holds a webhook secret", () => {
    expect(secrets.length).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logLines.filter((line) => line.includes(secret) || line.includes(secret.slice(6)))).toEqual([]);
  });
});

describe("R37 SSRF in production (WEBHOOK_ALLOW_PRIVATE off)", () => {
  let server: TestServer;
  const saved = process.env.WEBHOOK_ALLOW_PRIVATE;

  beforeAll(async () => {
    // The services read their webhook settings where src/app.ts hands them over, else from the environment.
    process.env.WEBHOOK_ALLOW_PRIVATE = "0";
    server = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: "0" } });
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.WEBHOOK_ALLOW_PRIVATE;
    else process.env.WEBHOOK_ALLOW_PRIVATE = saved;
    await server.close();
  });

  it.each([
    "http://example.com/hook",
    "https://127.0.0.1/hook",
    "https://10.1.2.3/hook",
    "https://[::1]/hook",
    "https://localhost/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[::ffff:127.0.0.1]/hook",
    "https://0x7f.1/hook",
    "https://100.64.0.1/hook",
  ])("R37 createWebhook with %s → BAD_USER_INPUT on input.url, nothing written", async (url) => {
    expect(server.app.services.webhooks.settings.webhookAllowPrivate).toBe(false);
    const account = await server.build.account(`ssrf${Math.random().toString(36).slice(2, 8)}.test`);
    await account.grant(`admin@${account.account.domain}`, Role.SMART_ACCOUNT_ADMIN);
    const before = [await countRows(server, "webhooks"), await countRows(server, "events")];
    const result = await server.gql(
      CREATE,
      { input: { smartAccountId: gid("SmartAccount", account.id), url, topics: ["EVENT"] } },
      `admin@${account.account.domain}`,
    );
    expectCode(result, "BAD_USER_INPUT", { field: "input.url" });
    expect([await countRows(server, "webhooks"), await countRows(server, "events")]).toEqual(before);
  });
});
