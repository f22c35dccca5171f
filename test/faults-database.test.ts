/**
 * R33 faults of the database itself, on a MariaDB server of the suite's own (test/support/own-mariadb.ts),
 * never the shared one: frozen (SIGSTOP: TCP connects, nothing answers) and stopped (killed). While it is
 * down, /readyz answers 503 and operations fail with SERVICE_UNAVAILABLE (HTTP 503), each within 2 s; when
 * it returns, the same server process recovers by itself.
 */
import { Role } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { onMysql, OwnMariaDb, startOwnMariaDb } from "./support/own-mariadb";

const WITHIN_MS = 2000;
const ADMIN = "admin@faults.test";
const READ = `{ viewer { user { email } smartAccounts(first: 5) { totalCount } } }`;
const RENAME = `mutation($id: ID!, $name: String!) { updateSmartAccount(input: { smartAccountId: $id, name: $name }) { name } }`;

const suite = onMysql() ? describe : describe.skip;
if (!onMysql()) console.info("faults-database: skipped, these run with DATABASE_URL=mysql://… (they start their own mariadbd)");

suite("R33 a database that does not answer", () => {
  let own: OwnMariaDb;
  let server: TestServer;
  let base: string;
  let token: string;
  let accountId: string;
  const shared = process.env.DATABASE_URL;

  beforeAll(async () => {
    own = await startOwnMariaDb();
    process.env.DATABASE_URL = own.url("mysql");
    try {
      server = await startTestServer();
    } finally {
      process.env.DATABASE_URL = shared;
    }
    base = server.url.replace("/graphql", "");
    const account = await server.build.account("faults.test");
    await account.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
    accountId = gid("SmartAccount", account.id);
    token = await server.token(ADMIN);
  }, 60_000);

  afterAll(async () => {
    own?.thaw();
    await server?.close().catch(() => undefined);
    await own?.destroy();
  });

  /** One request with its time; never waits more than 10 s (a hang fails the test, not the suite). */
  async function timed(path: string, body?: unknown) {
    const started = Date.now();
    const response = await fetch(`${base}${path}`, {
      method: body ? "POST" : "GET",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as { data?: any; errors?: { extensions: { code: string } }[]; status?: string };
    return { status: response.status, json, ms: Date.now() - started };
  }

  async function expectAnswering() {
    const ready = await timed("/readyz");
    expect(ready.status).toBe(200);
    const read = await timed("/graphql", { query: READ });
    expect(read.json.errors).toBeUndefined();
    expect(read.json.data.viewer.smartAccounts.totalCount).toBe(1);
    const write = await timed("/graphql", { query: RENAME, variables: { id: accountId, name: `Faults ${Date.now()}` } });
    expect(write.json.errors).toBeUndefined();
  }

  async function expectUnavailable() {
    // Reads and a write at once, each answered 503 SERVICE_UNAVAILABLE within 2 s (no /readyz asked yet).
    const operations = await Promise.all([
      timed("/graphql", { query: READ }),
      timed("/graphql", { query: READ }),
      timed("/graphql", { query: RENAME, variables: { id: accountId, name: "Never" } }),
    ]);
    for (const operation of operations) {
      expect(operation.status).toBe(503);
      expect(operation.json.errors?.[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
      expect(operation.ms).toBeLessThan(WITHIN_MS);
    }
    const ready = await timed("/readyz");
    expect(ready.status).toBe(503);
    expect(ready.json.status).toBe("unavailable");
    expect(ready.ms).toBeLessThan(WITHIN_MS);
    // And again while still down: no request waits longer the second time.
    const again = await timed("/graphql", { query: READ });
    expect(again.status).toBe(503);
    expect(again.ms).toBeLessThan(WITHIN_MS);
  }

  /** The first operations after the database returns may meet the outage's last moments; then all pass. */
  async function recovers(withinMs: number) {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const ready = await timed("/readyz");
      const read = await timed("/graphql", { query: READ });
      if (ready.status === 200 && !read.json.errors) break;
      if (Date.now() > deadline) throw new Error(`not recovered after ${withinMs} ms: readyz ${ready.status}, ${JSON.stringify(read.json.errors)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await expectAnswering();
  }

  it("R33 frozen (SIGSTOP): /readyz 503 and SERVICE_UNAVAILABLE within 2 s; after SIGCONT it works again without restart", async () => {
    await expectAnswering();
    own.freeze();
    try {
      await expectUnavailable();
    } finally {
      own.thaw();
    }
    await recovers(3000);
  });

  it("R33 stopped (killed): /readyz 503 and SERVICE_UNAVAILABLE within 2 s; restarted on the same port and data, it recovers by itself", async () => {
    await expectAnswering();
    await own.kill();
    await expectUnavailable();
    await own.start();
    await recovers(5000);
  });

  it("R33 frozen in the middle of a transaction: the write fails whole, and the rows are as before", async () => {
    const before = await timed("/graphql", { query: `{ viewer { smartAccounts(first: 1) { nodes { name } } } }` });
    const name = before.json.data.viewer.smartAccounts.nodes[0].name;
    // Freeze while the write is on its way: whichever statement it is at, nothing of it may be left.
    const write = timed("/graphql", { query: RENAME, variables: { id: accountId, name: "Half written" } });
    setTimeout(() => own.freeze(), 5);
    const result = await write;
    own.thaw();
    if (result.json.errors) {
      expect(result.status).toBe(503);
      expect(result.json.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
      await recovers(3000);
      const after = await timed("/graphql", { query: `{ viewer { smartAccounts(first: 1) { nodes { name } } } }` });
      // expectAnswering() inside recovers() renamed it again: only the failed name must never show.
      expect(after.json.data.viewer.smartAccounts.nodes[0].name).not.toBe("Half written");
      expect(name).not.toBe("Half written");
    } else {
      // The write won the race (committed before the freeze): it is whole.
      expect(result.json.data.updateSmartAccount.name).toBe("Half written");
    }
  });
});
