import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { EntityManager, In } from "typeorm";
import { VirtualAccount, Webhook, WebhookDelivery } from "../../entities";
import type { Capability } from "../auth/capabilities";
import type { Clock } from "../clock";
import type { NotificationSettings } from "../config";
import type { Database } from "../db/database";
import { runSql, sql } from "../db/sql";
import { toGlobalId } from "../ids";
import type { Logger } from "../logging";
import type { NotificationMessage } from "./data";
import { publicPayload, readNotifications } from "./outbox";
import { checkDeliveryTarget, isPrivateAddress, pinnedLookup, TargetRefused } from "./ssrf";
import { accessOfUsers, webhookPlace, webhookSecret } from "./webhooks";

/**
 * R37's worker half: one attempt of one delivery at a time, and the deliveries that are due. The worker
 * (src/notifications/worker, another module) calls `dueDeliveries` and then `attemptDelivery` for each id;
 * any number of workers may, since an attempt first claims the delivery.
 */

/** What an attempt came to: the delivery's status after it, or `skipped` (not due, or another worker holds it). */
export type AttemptOutcome = "DELIVERED" | "PENDING" | "FAILED" | "skipped";

/** How much longer than the request's own timeout a claim lasts (a worker that dies lets it lapse). */
const LEASE_MARGIN_MS = 30_000;
/** A receiver's answer is read up to this much, then dropped: only its status counts. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Ids of PENDING deliveries due by `now` and not held by a worker, oldest due first. */
export async function dueDeliveries(manager: EntityManager, now: Date, limit: number): Promise<number[]> {
  const rows = await runSql<{ id: unknown }>(
    manager,
    sql`SELECT id FROM webhook_deliveries
         WHERE status = ${"PENDING"} AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now})
         ORDER BY next_attempt_at, id LIMIT ${Math.max(1, Math.floor(limit))}`,
  );
  return rows.map((row) => Number(row.id));
}

/**
 * R37: the delay before attempt `attempts + 1`, after `attempts` failed ones: base × 3^(attempts−1),
 * ±20%. With the 20 s default: about 20 s, 1 min, 3 min, 9 min, 27 min, 81 min — seven attempts over
 * more than two hours.
 */
export function retryDelayMs(settings: Pick<NotificationSettings, "webhookRetryBaseMs">, attempts: number, random = Math.random): number {
  const base = settings.webhookRetryBaseMs * 3 ** Math.max(0, attempts - 1);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The signature header's value: `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
export const signatureOf = (secret: string, timestamp: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

interface Prepared {
  delivery: WebhookDelivery;
  webhook: Webhook;
  message: NotificationMessage;
}

/**
 * One attempt of one PENDING, due delivery (R37): `attemptDeliveries` of that one id. Claims it first (a
 * conditional UPDATE of its lease: a second worker calling for the same id at once gets `skipped`); then
 * checks, at delivery time, that the webhook is active and that its creator may still manage webhooks where
 * it sits (else the webhook is disabled, "creator lost access", and the delivery FAILED) and may still see
 * the notification (else the delivery alone is FAILED); then POSTs the signed body. A 2xx is DELIVERED;
 * anything else, or no answer within `webhookTimeoutMs`, counts an attempt and is retried with backoff,
 * FAILED after `webhookMaxAttempts`. Nothing of the secret or the body is logged or stored.
 */
export async function attemptDelivery(
  db: Database,
  clock: Clock,
  settings: NotificationSettings,
  deliveryId: number,
  logger: Logger,
): Promise<AttemptOutcome> {
  const [outcome] = await attemptDeliveries(db, clock, settings, [deliveryId], logger, { concurrency: 1 });
  return outcome;
}

/**
 * Claims those of `ids` still due, leased until `lease`; returns the ids won. One id: a conditional UPDATE,
 * atomic alone. More: one transaction, a locking read and one UPDATE of their leases (a worker claiming the
 * same rows at once waits for this commit, then reads the lease and passes them by; on Galera the later
 * commit fails certification and is rerun, R33). Not SKIP LOCKED: Galera's handling of it has been
 * unreliable, and the wait is one short transaction.
 */
async function claim(db: Database, ids: readonly number[], now: Date, lease: Date): Promise<number[]> {
  const due = sql`status = ${"PENDING"} AND next_attempt_at <= ${now} AND (lease_until IS NULL OR lease_until < ${now})`;
  if (ids.length === 1) {
    const { sql: stillDue, params } = due.toNamed("due");
    const claimed = await db.autocommit((manager) =>
      manager
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({ leaseUntil: lease })
        .where("id = :id", { id: ids[0] })
        .andWhere(stillDue, params)
        .execute(),
    );
    return (claimed.affected ?? 0) === 1 ? [ids[0]] : [];
  }
  return db.transaction(async (manager) => {
    const locking = db.kind === "mysql" ? sql`FOR UPDATE` : sql.empty;
    const rows = await runSql<{ id: unknown }>(
      manager,
      sql`SELECT id FROM webhook_deliveries WHERE ${sql.in(sql`id`, ids)} AND ${due} ORDER BY id ${locking}`,
    );
    const won = rows.map((row) => Number(row.id));
    if (won.length) await runSql(manager, sql`UPDATE webhook_deliveries SET lease_until = ${lease} WHERE ${sql.in(sql`id`, won)}`);
    return won;
  });
}

/**
 * R37, a batch at a time (the table queue; `attemptDelivery` is a batch of one): the attempt for many
 * deliveries in a handful of statements instead of a handful each. Claims those of `ids` still due
 * (`claim`; the lease covers the whole batch), reads the deliveries with their webhooks, the creators'
 * grants, the webhooks' Virtual Accounts and the notifications once for all, judges each (the webhook
 * active, its creator's right where it sits, the notification visible to them), POSTs up to `concurrency`
 * at once, and records the delivered ones in one UPDATE per answer status (the rest one by
 * one, as they need their own retry times). Returns each id's outcome, in the order of `ids`.
 */
export async function attemptDeliveries(
  db: Database,
  clock: Clock,
  settings: NotificationSettings,
  ids: readonly number[],
  logger: Logger,
  options: { concurrency: number },
): Promise<AttemptOutcome[]> {
  const outcomes = new Map<number, AttemptOutcome>(ids.map((id) => [id, "skipped"]));
  if (!ids.length) return [];
  const started = clock.now();
  const concurrency = Math.max(1, options.concurrency);
  const lease = new Date(started.getTime() + Math.ceil(ids.length / concurrency) * settings.webhookTimeoutMs + LEASE_MARGIN_MS);
  const claimed = await claim(db, ids, started, lease);
  if (!claimed.length) return ids.map((id) => outcomes.get(id) as AttemptOutcome);

  const { prepared, failures } = await db.exclusive(async () => {
    const manager = db.manager;
    const deliveries = await manager
      .createQueryBuilder(WebhookDelivery, "d")
      .innerJoinAndSelect("d.webhook", "w")
      .where("d.id IN (:...ids)", { ids: claimed })
      .orderBy("d.id")
      .getMany();
    const creatorIds = [...new Set(deliveries.flatMap((d) => (d.webhook?.createdById == null ? [] : [d.webhook.createdById])))];
    const creators = await accessOfUsers(manager, creatorIds);
    const vaIds = [...new Set(deliveries.flatMap((d) => (d.webhook?.virtualAccountId == null ? [] : [d.webhook.virtualAccountId])))];
    const vas = new Map((vaIds.length ? await manager.findBy(VirtualAccount, { id: In(vaIds) }) : []).map((va) => [va.id, va]));
    const messages = new Map(
      (await readNotifications(manager, [...new Set(deliveries.map((d) => d.notificationId))])).map((message) => [message.id, message]),
    );
    const ready: Prepared[] = [];
    const refused: { delivery: WebhookDelivery; reason: string; disable: boolean }[] = [];
    for (const delivery of deliveries) {
      const webhook = delivery.webhook as Webhook;
      if (!webhook.active) {
        refused.push({ delivery, reason: `webhook disabled (${webhook.disabledReason ?? "inactive"})`, disable: false });
        continue;
      }
      const creator = webhook.createdById === null ? undefined : creators.get(webhook.createdById);
      const va = webhook.virtualAccountId === null ? null : (vas.get(webhook.virtualAccountId) ?? null);
      if (!creator?.can("webhooks:manage", webhookPlace(webhook, va))) {
        refused.push({ delivery, reason: "webhook disabled (creator lost access)", disable: true });
        continue;
      }
      const message = messages.get(delivery.notificationId);
      const needs: Capability = message?.topic === "EVENT" ? "events:read" : "licenses:read";
      const visible =
        message !== undefined &&
        message.smartAccountId === webhook.smartAccountId &&
        creator.can(needs, { smartAccountId: message.smartAccountId, path: message.virtualAccountPath });
      if (!visible) refused.push({ delivery, reason: "the webhook's creator may not see this notification", disable: false });
      else ready.push({ delivery, webhook, message: message as NotificationMessage });
    }
    return { prepared: ready, failures: refused };
  });
  for (const { delivery, reason, disable } of failures) {
    await db.transaction(async (manager) => {
      if (disable) {
        await manager.update(Webhook, { id: delivery.webhookId }, { active: false, disabledAt: started, disabledReason: "creator lost access" });
      }
      await fail(manager, delivery, reason);
    });
    if (disable)
      logger.info({ webhook: delivery.webhookId, delivery: delivery.id }, "webhook disabled: its creator may no longer manage webhooks there");
    outcomes.set(delivery.id, "FAILED");
  }

  const answers: { item: Prepared; answer: Answer }[] = [];
  let next = 0;
  const runner = async () => {
    while (next < prepared.length) {
      const item = prepared[next++];
      answers.push({ item, answer: await send(item, settings, started) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, prepared.length) }, runner));

  const finished = clock.now();
  const delivered = new Map<number, number[]>();
  for (const { item, answer } of answers) {
    const { delivery, webhook } = item;
    const attempts = delivery.attempts + 1;
    const ok = answer.status !== null && answer.status >= 200 && answer.status < 300;
    const status: WebhookDelivery["status"] = ok ? "DELIVERED" : attempts >= settings.webhookMaxAttempts ? "FAILED" : "PENDING";
    outcomes.set(delivery.id, status);
    logger[ok ? "debug" : "info"](
      { webhook: webhook.id, delivery: delivery.id, attempts, status, responseStatus: answer.status ?? undefined, error: answer.error ?? undefined },
      "webhook delivery attempted",
    );
    if (ok) {
      delivered.set(answer.status as number, [...(delivered.get(answer.status as number) ?? []), delivery.id]);
      continue;
    }
    await db.autocommit((manager) =>
      manager.update(
        WebhookDelivery,
        { id: delivery.id },
        {
          status,
          attempts,
          lastAttemptAt: started,
          lastResponseStatus: answer.status,
          lastError: answer.error,
          nextAttemptAt: status === "PENDING" ? new Date(finished.getTime() + retryDelayMs(settings, attempts)) : null,
          leaseUntil: null,
        },
      ),
    );
  }
  for (const [responseStatus, deliveredIds] of delivered) {
    await db.autocommit((manager) =>
      manager
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({
          status: "DELIVERED",
          attempts: () => "attempts + 1",
          lastAttemptAt: started,
          lastResponseStatus: responseStatus,
          lastError: null,
          nextAttemptAt: null,
          leaseUntil: null,
        })
        .where("id IN (:...ids)", { ids: deliveredIds })
        .execute(),
    );
  }
  return ids.map((id) => outcomes.get(id) as AttemptOutcome);
}

/** One signed POST of a prepared delivery (R37). */
function send({ delivery, webhook, message }: Prepared, settings: NotificationSettings, started: Date): Promise<Answer> {
  const body = JSON.stringify(publicPayload(message));
  const timestamp = String(Math.floor(started.getTime() / 1000));
  const secret = webhookSecret(settings, webhook.secretSalt);
  return post(
    webhook.url,
    settings,
    {
      "content-type": "application/json",
      "user-agent": "smart-account-graph-webhooks",
      "x-webhook-id": toGlobalId("WebhookDelivery", delivery.id),
      "x-webhook-timestamp": timestamp,
      "x-webhook-signature": signatureOf(secret, timestamp, body),
    },
    body,
  );
}

/** A delivery given up without an attempt (the webhook or its creator no longer stands): nothing was sent, so no attempt counts. */
async function fail(manager: EntityManager, delivery: WebhookDelivery, reason: string): Promise<AttemptOutcome> {
  await manager.update(
    WebhookDelivery,
    { id: delivery.id },
    { status: "FAILED", lastError: reason.slice(0, 200), nextAttemptAt: null, leaseUntil: null },
  );
  return "FAILED";
}

interface Answer {
  status: number | null;
  /** A short reason when it was not a 2xx: never the body, never a header. */
  error: string | null;
}

/**
 * Keep-alive agents, one per receiver origin: a busy receiver is not connected to again for every delivery.
 * Every new socket goes through the pinned lookup and the check of the address it connected to; a socket
 * kept open was checked when it connected. Idle sockets close after a few seconds.
 */
const agents = new Map<string, http.Agent>();
function agentFor(url: URL): http.Agent {
  const key = `${url.protocol}//${url.host}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 16, timeout: 5_000 };
    agent = url.protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/** One POST, no redirects followed, connecting only to addresses the SSRF rules admit (R37). */
function post(rawUrl: string, settings: NotificationSettings, headers: Record<string, string>, body: string): Promise<Answer> {
  let url: URL;
  try {
    url = checkDeliveryTarget(rawUrl, settings);
  } catch (error) {
    return Promise.resolve({ status: null, error: error instanceof TargetRefused ? error.message : "the URL is not valid" });
  }
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, error: answer.error?.slice(0, 200) ?? null });
    };
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      lookup: pinnedLookup(settings),
      agent: agentFor(url),
    });
    const timer = setTimeout(() => {
      settle({ status: null, error: `no answer within ${settings.webhookTimeoutMs} ms` });
      request.destroy();
    }, settings.webhookTimeoutMs);
    request.on("socket", (socket) => {
      // A kept-alive socket was checked when it connected.
      if (!socket.connecting) return;
      // The address actually connected to, whatever resolved it (belt and braces over the pinned lookup).
      socket.once("connect", () => {
        const remote = socket.remoteAddress;
        if (!settings.webhookAllowPrivate && (!remote || isPrivateAddress(remote))) {
          settle({ status: null, error: "target is a loopback, private or link-local address" });
          request.destroy();
        }
      });
    });
    request.on("response", (response) => {
      let read = 0;
      response.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) response.destroy();
      });
      const done = () => {
        const status = response.statusCode ?? null;
        settle({ status, error: status !== null && status >= 200 && status < 300 ? null : `answered HTTP ${status}` });
      };
      response.on("end", done);
      response.on("close", done);
      response.on("error", done);
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      settle({ status: null, error: error instanceof TargetRefused ? error.message : `no answer (${error.code ?? "connection failed"})` });
    });
    request.end(body);
  });
}
