/**
 * §6 and issue #16: automatic persisted queries (APQ). A client sends a query's SHA-256; the server answers
 * PERSISTED_QUERY_NOT_FOUND until the client has sent the query once with its hash. With REDIS_URL every copy
 * shares what was registered (src/graphql/persisted-queries.ts): a hash registered with one copy is answered
 * by another. A persisted query is parsed, validated and limited (R30) like one sent in full, and one refused
 * is never stored.
 *
 * The second copy is test/support/copy-server.ts, its own process: on MySQL/MariaDB on this suite's database;
 * on SQLite on an in-memory database of its own (what is shared here is Redis, not the database).
 */
import { ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import Redis from "ioredis";
import { RedisPersistedQueries } from "../src/graphql/persisted-queries";
import { createLogger } from "../src/logging";
import { startTestServer, TEST_SECRET, TestServer } from "./support/harness";

const REDIS_URL = `${(process.env.REDIS_URL ?? "redis://127.0.0.1:6379").replace(/\/\d*$/, "")}/5`;
const WHO = "query Who { viewer { user { email } } }";
const sha = (query: string) => createHash("sha256").update(query).digest("hex");

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function send(url: string, body: Record<string, unknown>, token: string | null): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Answer["body"] };
}

const persisted = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });
const codeOf = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

describe("§6 automatic persisted queries in one copy (in its memory)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_QUERY_DEPTH: "4" } });
  });
  afterAll(() => server.close());

  it("an unknown hash is PERSISTED_QUERY_NOT_FOUND; once registered, the hash alone is answered", async () => {
    const token = await server.token("apq@one.test");
    const query = `${WHO} # ${randomBytes(4).toString("hex")}`;
    const unknown = await send(server.url, persisted(sha(query)), token);
    expect(codeOf(unknown)).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(unknown.body.data).toBeUndefined();
    const registered = await send(server.url, { query, ...persisted(sha(query)) }, token);
    expect(registered.body).toMatchObject({ data: { viewer: { user: { email: "apq@one.test" } } } });
    const byHash = await send(server.url, persisted(sha(query)), token);
    expect(byHash.body.errors).toBeUndefined();
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it("a hash that is not the query's is refused (400) and registers nothing", async () => {
    const token = await server.token("apq@one.test");
    const query = `${WHO} # ${randomBytes(4).toString("hex")}`;
    const wrong = sha(`${query} `);
    const refused = await send(server.url, { query, ...persisted(wrong) }, token);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0].message).toMatch(/sha does not match/);
    expect(codeOf(refused)).toBe("BAD_REQUEST");
    expect(codeOf(await send(server.url, persisted(wrong), token))).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect(codeOf(await send(server.url, persisted(sha(query)), token))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("R30: a query past the limits is refused when registered and is not stored", async () => {
    const token = await server.token("apq@one.test");
    const deep = "{ viewer { smartAccounts(first: 1) { nodes { virtualAccounts(first: 1) { nodes { children(first: 1) { nodes { name } } } } } } } }";
    const refused = await send(server.url, { query: deep, ...persisted(sha(deep)) }, token);
    expect(codeOf(refused)).toBe("QUERY_TOO_COMPLEX");
    expect(codeOf(await send(server.url, persisted(sha(deep)), token))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("R1: a persisted query answers no one without credentials", async () => {
    const query = `{ viewer { user { email } } } # ${randomBytes(4).toString("hex")}`;
    await send(server.url, { query, ...persisted(sha(query)) }, await server.token("apq@one.test"));
    const anonymous = await send(server.url, persisted(sha(query)), null);
    expect(codeOf(anonymous)).toBe("UNAUTHENTICATED");
    expect(anonymous.body.data?.viewer ?? null).toBeNull();
  });
});

/** The other copy: test/support/copy-server.ts with this suite's Redis. */
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

describe("§6 automatic persisted queries shared by copies through Redis (REDIS_URL)", () => {
  const prefix = `sag-apq-test-${process.pid}-${randomBytes(3).toString("hex")}`;
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, PERSISTED_QUERY_TTL_S: "600" };
  let server: TestServer;
  let copy: Awaited<ReturnType<typeof startCopy>>;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    server = await startTestServer({ env, copies: { one: "this suite runs its own second copy" } });
    let databaseUrl = "sqlite::memory:";
    if (server.kind === "mysql") {
      const [{ name }] = (await server.db.dataSource.query("SELECT DATABASE() AS name")) as { name: string }[];
      const url = new URL((process.env.DATABASE_URL as string).replace(/^mariadb:/, "mysql:"));
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
    }
    copy = await startCopy({ ...env, DATABASE_URL: databaseUrl });
  }, 60_000);

  afterAll(async () => {
    if (copy && copy.child.exitCode === null) {
      process.kill(copy.child.pid as number, "SIGTERM");
      await copy.exited;
    }
    await server?.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** Apollo stores a registration without waiting for it: the copies agree once it is in Redis. */
  async function stored(hash: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const [key] = await redis.keys(`${prefix}:pq:*${hash}`);
      if (key) return key;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${hash} never reached Redis`);
  }

  it("a hash registered with one copy is answered by the other, and the entry expires", async () => {
    const token = await server.token("apq@copies.test");
    const query = `${WHO} # ${randomBytes(4).toString("hex")}`;
    expect(codeOf(await send(copy.url, persisted(sha(query)), token))).toBe("PERSISTED_QUERY_NOT_FOUND");
    const registered = await send(server.url, { query, ...persisted(sha(query)) }, token);
    expect(registered.body).toMatchObject({ data: { viewer: { user: { email: "apq@copies.test" } } } });
    const key = await stored(sha(query));
    expect(await redis.get(key)).toBe(query);
    const ttl = await redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    const other = await send(copy.url, persisted(sha(query)), token);
    expect(other.body.errors).toBeUndefined();
    expect(other.body.data).toEqual(registered.body.data);
  });

  it("the other way round, and a refused registration reaches neither copy", async () => {
    const token = await server.token("apq@copies.test");
    const query = `{ viewer { user { email } } } # ${randomBytes(4).toString("hex")}`;
    await send(copy.url, { query, ...persisted(sha(query)) }, token);
    await stored(sha(query));
    expect((await send(server.url, persisted(sha(query)), token)).body).toMatchObject({ data: { viewer: { user: { email: "apq@copies.test" } } } });
    const wrong = sha(`${query} `);
    expect((await send(copy.url, { query, ...persisted(wrong) }, token)).status).toBe(400);
    expect(await redis.keys(`${prefix}:pq:*${wrong}`)).toEqual([]);
    expect(codeOf(await send(server.url, persisted(wrong), token))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("Redis away: a lookup answers not found (the client sends the query again) and a registration is dropped", async () => {
    // Nothing listens on port 1: every command fails after the connection's own timeouts.
    const away = new RedisPersistedQueries(
      { redisUrl: "redis://127.0.0.1:1", keyPrefix: prefix, ttlSeconds: 600 },
      createLogger({ level: "silent" }),
    );
    try {
      await expect(away.set("apq:abc", WHO)).resolves.toBeUndefined();
      await expect(away.get("apq:abc")).resolves.toBeUndefined();
    } finally {
      await away.close();
    }
  });
});
