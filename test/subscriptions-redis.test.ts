/**
 * R36 and §6 across copies of the service: two server processes on ONE MariaDB database, sharing a Redis
 * (REDIS_URL on a database index of this suite's own, and a REDIS_KEY_PREFIX of its own, so the channel is
 * nobody else's). A notification written on one copy reaches subscribers connected to the other, once.
 * MySQL/MariaDB only: two processes cannot share an in-memory SQLite.
 */
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import Redis from "ioredis";
import { Role } from "../entities";
import { startTestServer, TEST_SECRET, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { onMysql } from "./support/own-mariadb";
import { EVENTS, subscribe, Subscriber } from "./support/subscriptions";

const REDIS_URL = "redis://127.0.0.1:6379/7";
const RENAME = `mutation($id: ID!, $name: String!) { updateVirtualAccount(input: { id: $id, name: $name }) { id } }`;

const suite = onMysql() ? describe : describe.skip;

if (!onMysql()) {
  describe("R36 across copies of the service", () => {
    it.skip("skipped: runs with DATABASE_URL=mysql://… (two processes cannot share an in-memory SQLite)", () => {});
  });
}

/** The other copy: test/support/copy-server.ts on the same database and Redis. */
async function startCopy(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["-r", "@swc-node/register", "test/support/copy-server.ts"], {
    cwd: path.resolve(__dirname, ".."),
    env: { ...process.env, JWT_SECRET: TEST_SECRET, SEED_DEMO: "0", WORKER: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the copy did not start:\n${output}`)), 45_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    void exited.then((code) => reject(new Error(`the copy exited with ${code} before listening:\n${output}`)));
  });
  return { url: `http://127.0.0.1:${port}/graphql`, child, exited };
}

suite("R36 across copies of the service (Redis bus)", () => {
  const prefix = `sag-subs-test-${process.pid}-${randomBytes(3).toString("hex")}`;
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix };
  let server: TestServer;
  let copy: Awaited<ReturnType<typeof startCopy>>;
  const open: Subscriber[] = [];
  const ADMIN = "admin@copies.test";
  let account: { sa: string; us: string; emea: string };

  beforeAll(async () => {
    server = await startTestServer({ env: { ...env, WORKER: "0" } });
    await server.app.notifications.bus.ready();
    const built = await server.build.account("copies.test");
    await built.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
    const us = await built.virtualAccount("US");
    const emea = await built.virtualAccount("EMEA");
    account = { sa: gid("SmartAccount", built.id), us: gid("VirtualAccount", us.id), emea: gid("VirtualAccount", emea.id) };
    const [{ name }] = (await server.db.dataSource.query("SELECT DATABASE() AS name")) as { name: string }[];
    const url = new URL((process.env.DATABASE_URL as string).replace(/^mariadb:/, "mysql:"));
    url.pathname = `/${name}`;
    copy = await startCopy({ ...env, DATABASE_URL: url.toString() });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.splice(0).map((stream) => stream.close()));
    if (copy && copy.child.exitCode === null) {
      process.kill(copy.child.pid as number, "SIGTERM");
      expect(await copy.exited).toBe(0);
    }
    await server?.close();
    // This suite's keys only (its prefix), on its own database index.
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const rename = async (url: string, id: string, name: string) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(ADMIN)}` },
      body: JSON.stringify({ query: RENAME, variables: { id, name } }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    expect(body.errors).toBeUndefined();
  };

  /** A stream on `url` known to listen: a write on that same copy has come back through Redis. */
  async function listeningOn(url: string, probeName: string): Promise<Subscriber> {
    const stream = subscribe(url, `Bearer ${await server.token(ADMIN)}`, EVENTS, { sa: account.sa, va: account.emea });
    open.push(stream);
    for (let attempt = 0; !stream.heard.data.length; attempt += 1) {
      if (attempt >= 50) throw new Error(`the stream on ${url} never heard its probe`);
      await rename(url, account.emea, `${probeName} ${attempt}`);
      await stream.waitFor((heard) => heard.data.length > 0, "the probe", 200).catch(() => undefined);
    }
    return stream;
  }

  it("R36 §6 a mutation sent to one copy reaches a subscriber connected to the other, once", async () => {
    const onCopy = await listeningOn(copy.url, "probe-copy");
    const onServer = await listeningOn(server.url, "probe-server");

    // Sent to the test's server; the subscriber sits on the other process.
    await rename(server.url, account.emea, "From the server");
    await onCopy.waitFor((heard) => heard.data.some((d) => d.events.virtualAccount?.name === "From the server"), "the server's event on the copy");
    // Sent to the other process; the subscriber sits on the test's server.
    await rename(copy.url, account.emea, "From the copy");
    await onServer.waitFor((heard) => heard.data.some((d) => d.events.virtualAccount?.name === "From the copy"), "the copy's event on the server");
    await onCopy.waitFor((heard) => heard.data.some((d) => d.events.virtualAccount?.name === "From the copy"), "the copy's own event");
    await onServer.waitFor((heard) => heard.data.some((d) => d.events.virtualAccount?.name === "From the server"), "the server's own event");

    // A last write, heard by both after the others: whatever duplicate of them there were has arrived by then.
    await rename(server.url, account.emea, "Sentinel");
    for (const stream of [onCopy, onServer]) {
      await stream.waitFor((heard) => heard.data.some((d) => d.events.virtualAccount?.name === "Sentinel"), "the sentinel");
    }
    // Each copy heard each of the two writes exactly once (every copy hears every message once, itself included).
    const fromWrites = (stream: Subscriber) =>
      stream.heard.data.map((d) => d.events.virtualAccount?.name as string).filter((name) => name.startsWith("From "));
    expect(fromWrites(onCopy).sort()).toEqual(["From the copy", "From the server"]);
    expect(fromWrites(onServer).sort()).toEqual(["From the copy", "From the server"]);
    expect([...onCopy.heard.errors, ...onServer.heard.errors]).toEqual([]);
  });
});
