/**
 * R33 on SQLite, where requests take turns on the one connection (src/db/turns.ts): a request whose
 * client goes away while it waits leaves the line and never runs; one that holds the turn gives it up
 * as soon as the transaction it is in ends; every wait is bounded (DB_QUEUE_TIMEOUT_MS), after which the
 * request is answered 503 SERVICE_UNAVAILABLE.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Role, SmartAccount } from "../entities";
import { AbandonedError } from "../src/db/turns";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { onMysql } from "./support/own-mariadb";

const QUEUE_TIMEOUT_MS = 600;
const ADMIN = "admin@queue.test";
const RENAME = `mutation($id: ID!, $name: String!) { updateSmartAccount(input: { smartAccountId: $id, name: $name }) { name } }`;

const suite = onMysql() ? describe.skip : describe;
if (onMysql()) console.info("faults-sqlite-queue: skipped, the SQLite queue exists only on SQLite (run without DATABASE_URL)");

suite("R33 the SQLite queue", () => {
  let server: TestServer;
  let accountId: number;
  let token: string;

  beforeAll(async () => {
    process.env.DB_QUEUE_TIMEOUT_MS = String(QUEUE_TIMEOUT_MS);
    try {
      server = await startTestServer();
    } finally {
      delete process.env.DB_QUEUE_TIMEOUT_MS;
    }
    const account = await server.build.account("queue.test", { name: "Queue" });
    await account.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
    accountId = account.id;
    token = await server.token(ADMIN);
  });
  afterAll(() => server.close());

  const rename = (name: string, signal?: AbortSignal) =>
    fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: RENAME, variables: { id: gid("SmartAccount", accountId), name } }),
      signal: signal ?? AbortSignal.timeout(10_000),
    });

  const nameNow = async () => (await server.db.manager.findOneByOrFail(SmartAccount, { id: accountId })).name;

  /** Holds the queue (as a slow request would) until the returned function is called. */
  function holdQueue(): { release(): void; held: Promise<void> } {
    let release!: () => void;
    const held = server.db.exclusive(() => new Promise<void>((resolve) => (release = resolve)));
    return { release: () => release(), held };
  }

  it("R33 a queued request whose client has gone never takes its turn, and the next request is answered", async () => {
    const queue = holdQueue();
    try {
      const client = new AbortController();
      const abandoned = rename("Abandoned", client.signal).then(
        () => "answered",
        (error: Error) => error.name,
      );
      await sleep(150); // it reaches the queue and waits there
      client.abort();
      expect(await abandoned).toBe("AbortError");
      await sleep(50);
    } finally {
      queue.release();
    }
    await queue.held;

    const started = Date.now();
    const next = await rename("Answered");
    expect(next.status).toBe(200);
    expect(((await next.json()) as any).data.updateSmartAccount.name).toBe("Answered");
    expect(Date.now() - started).toBeLessThan(1000);
    // The abandoned mutation never ran: no rename, no event of it.
    const events: { n: unknown }[] = await server.db.dataSource.query("SELECT COUNT(*) AS n FROM events WHERE message LIKE ?", ['%"Abandoned"%']);
    expect(Number(events[0].n)).toBe(0);
    expect(await nameNow()).toBe("Answered");
  });

  it("R33 a request waits for its turn at most DB_QUEUE_TIMEOUT_MS, then gets SERVICE_UNAVAILABLE (HTTP 503) and changes nothing", async () => {
    const queue = holdQueue();
    const started = Date.now();
    const response = await rename("Too late").finally(() => queue.release());
    const waited = Date.now() - started;
    await queue.held;
    expect(response.status).toBe(503);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
    expect(waited).toBeGreaterThanOrEqual(QUEUE_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(QUEUE_TIMEOUT_MS + 1000);
    await sleep(50);
    expect(await nameNow()).not.toBe("Too late");
    // The queue still works afterwards.
    expect((await rename("After the wait")).status).toBe(200);
  });

  it("R33 a turn whose client goes away ends when its transaction ends, never inside it; its later work is refused", async () => {
    const db = server.db;
    const client = new AbortController();
    const order: string[] = [];
    let finishTransaction!: () => void;
    let inTransaction!: () => void;
    const entered = new Promise<void>((resolve) => (inTransaction = resolve));
    const holder = db
      .exclusive(
        async () => {
          await db.transaction(async () => {
            inTransaction();
            await new Promise<void>((resolve) => (finishTransaction = resolve));
            order.push("holder's transaction ends");
          });
          return db.transaction(async () => {
            order.push("holder's second transaction ran");
          });
        },
        { signal: client.signal },
      )
      .catch((error: unknown) => error);
    await entered;
    const next = db.exclusive(async () => {
      order.push("next turn");
    });
    client.abort();
    await sleep(50);
    expect(order).toEqual([]); // not while the holder is inside its transaction
    finishTransaction();
    await next;
    expect(await holder).toBeInstanceOf(AbandonedError);
    expect(order).toEqual(["holder's transaction ends", "next turn"]);
  });
});
