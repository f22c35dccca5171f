import { randomBytes } from "node:crypto";
import net from "node:net";
import { codeOf, startTestServer, TestServer } from "./support/harness";

// R31 rate limits: a cost budget per principal per minute, failed device secrets counted per address,
// in memory by default and shared by every copy of the service through Redis when REDIS_URL is set.

const LIGHT = "query Light { viewer { user { email } smartAccounts(first: 5) { nodes { id name status } } } }";
const LIGHT_COST = 8; // viewer 1 + user 1 + smartAccounts 1 + 5 × account 1

async function post(server: TestServer, query: string, token: string | null, variables: Record<string, unknown> = {}) {
  const response = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as any };
}

const register = (token: string, serial: string) =>
  `mutation { registerProductInstance(input: { token: "${token}", pid: "C9300-24T", serialNumber: "${serial}" }) { credential } }`;
const report = (credential: string) => `mutation { reportUsage(input: { credential: "${credential}", usage: [] }) { id } }`;

describe("R31 rate limits (in memory)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMIT_COST_PER_MINUTE: String(LIGHT_COST * 5), RATE_LIMIT_SECRET_FAILURES: "10" } });
  });
  afterAll(() => server.close());

  it("R31 each principal spends its own budget; past it → 429, Retry-After, RATE_LIMITED with extensions.rateLimit", async () => {
    const alice = await server.token("alice@budget.test");
    for (let i = 0; i < 5; i += 1) {
      const answer = await post(server, LIGHT, alice);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.extensions.cost).toEqual({ requested: LIGHT_COST, limit: 50_000_000 });
    }
    const refused = await post(server, LIGHT, alice);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    const { limit, remaining, resetAt } = refused.body.errors[0].extensions.rateLimit;
    expect({ limit, remaining }).toEqual({ limit: LIGHT_COST * 5, remaining: 0 });
    expect(Date.parse(resetAt)).toBeGreaterThan(Date.now());
    // Another user has a budget of their own.
    expect((await post(server, LIGHT, await server.token("bob@budget.test"))).body.errors).toBeUndefined();
  });

  it("R31 an operation costing more than the whole budget is refused without spending it", async () => {
    const carol = await server.token("carol@budget.test");
    const big = "{ viewer { smartAccounts(first: 100) { nodes { id } } } }";
    const refused = await post(server, big, carol);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    expect((await post(server, LIGHT, carol)).body.errors).toBeUndefined();
  });

  it("R31 after 10 failed device secrets a minute from one address, even a right one is RATE_LIMITED", async () => {
    const acme = await server.build.account("secrets.test");
    const { secret } = await acme.token(acme.defaultVirtualAccount);
    // Failures of either kind count together: registration tokens and device credentials.
    for (let i = 0; i < 5; i += 1) {
      const wrong = await post(server, register(`sat_${randomBytes(16).toString("hex")}`, `WRONG${i}`), null);
      expect(wrong.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNKNOWN" });
      const credential = await post(server, report(`dev_${randomBytes(16).toString("hex")}`), null);
      expect(credential.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNKNOWN" });
    }
    const right = await post(server, register(secret, "RIGHT1"), null);
    expect(right.status).toBe(429);
    expect(right.body.errors[0].extensions.code).toBe("RATE_LIMITED");
    expect(Number(right.retryAfter)).toBeGreaterThanOrEqual(1);
    // Nothing was registered with the right token while the address was refused.
    const devices = await server.gql('{ smartAccount(domain: "secrets.test") { productInstances { totalCount } } }', {}, "admin@secrets.test");
    expect(devices.data?.smartAccount ?? null).toBeNull(); // no role: not visible (and nothing to count)
    expect(await server.db.manager.query("SELECT COUNT(*) AS n FROM product_instances WHERE serial_number = 'RIGHT1'")).toEqual([{ n: 0 }]);
  });
});

/** Redis on REDIS_URL (CI starts one), or the machine's default; suites skip only when none answers. */
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
async function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

describe("R31 rate limits shared through Redis (REDIS_URL)", () => {
  let servers: TestServer[] = [];
  let available = false;
  beforeAll(async () => {
    available = await redisAnswers(REDIS_URL);
    if (!available) {
      console.warn(`R31 Redis tests skipped: nothing answers on ${REDIS_URL} (CI starts Redis).`);
      return;
    }
    // Two copies of the service with one Redis, each key prefix fresh for this run.
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: `sag-test-${randomBytes(6).toString("hex")}`,
      RATE_LIMIT_COST_PER_MINUTE: String(LIGHT_COST * 4),
      RATE_LIMIT_SECRET_FAILURES: "10",
    };
    const first = await startTestServer({ env });
    servers = [first, await startTestServer({ env })];
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it("R31 a budget spent on one copy of the service is spent on every copy", async () => {
    if (!available) return;
    const [a, b] = servers;
    // Each copy has its own database in the suite, so the same email is user 1 in both: one principal.
    const dana = await a.token("dana@shared.test");
    expect((await post(a, LIGHT, dana)).body.errors).toBeUndefined();
    expect((await post(b, LIGHT, dana)).body.errors).toBeUndefined();
    expect((await post(a, LIGHT, dana)).body.errors).toBeUndefined();
    expect((await post(b, LIGHT, dana)).body.errors).toBeUndefined();
    const refused = await post(a, LIGHT, dana);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.rateLimit).toMatchObject({ limit: LIGHT_COST * 4, remaining: 0 });
    expect((await post(b, LIGHT, dana)).status).toBe(429);
  });

  it("R31 failed device secrets on one copy count on every copy", async () => {
    if (!available) return;
    const [a, b] = servers;
    for (let i = 0; i < 10; i += 1) {
      const server = i % 2 ? a : b;
      const wrong = await post(server, report(`dev_${randomBytes(16).toString("hex")}`), null);
      expect(codeOf({ ...wrong, data: null, errors: wrong.body.errors, statements: 0 })).toBe("UNAUTHENTICATED");
    }
    for (const server of [a, b]) expect((await post(server, report(`dev_${randomBytes(16).toString("hex")}`), null)).status).toBe(429);
  });
});
