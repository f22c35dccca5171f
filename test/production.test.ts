import { Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { signToken } from "../src/auth/identity";
import { DEV_JWT_SECRET, loadConfig } from "../src/config";
import { createLogger } from "../src/logging";
import { codeOf, startTestServer, TEST_SECRET, TestServer } from "./support/harness";

// R32 production defaults and logs, R1 (amended) token lifetimes.

const STRONG = randomBytes(32).toString("hex");
const production = (env: Record<string, string>) => loadConfig({ NODE_ENV: "production", ...env } as NodeJS.ProcessEnv);

describe("R32 production refuses to start on an unsafe configuration", () => {
  it("R32 no key, a JWT_SECRET under 32 bytes, or a secret that ships in the repository → refuses", () => {
    expect(() => production({})).toThrow(/JWT_SECRET or JWT_JWKS_URL/);
    expect(() => production({ JWT_SECRET: "a" })).toThrow(/at least 32 bytes/);
    expect(() => production({ JWT_SECRET: "x".repeat(31) })).toThrow(/at least 32 bytes/);
    expect(() => production({ JWT_SECRET: DEV_JWT_SECRET })).toThrow(/ships in the repository/);
    expect(() => production({ JWT_SECRET: "change-me-in-docker-compose-change-me-in-docker" })).not.toThrow();
    expect(() => production({ JWT_SECRET: STRONG, CORS_ORIGINS: "*" })).toThrow(/CORS_ORIGINS/);
    expect(() => production({ JWT_SECRET: STRONG })).not.toThrow();
  });

  it("R32 the compose file ships no default key and no demo by default", () => {
    const compose = readFileSync(join(__dirname, "..", "docker-compose.yml"), "utf8");
    expect(compose).toMatch(/JWT_SECRET: \$\{JWT_SECRET:\?/); // required, no fallback value
    expect(compose).toMatch(/SEED_DEMO: \$\{SEED_DEMO:-0\}/);
    // And the placeholder it once shipped is refused should it come back.
    expect(() => production({ JWT_SECRET: "change-me-in-docker-compose" })).toThrow();
  });

  it("R32 production turns introspection, the explorer and the demo off unless asked", () => {
    const config = production({ JWT_SECRET: STRONG });
    expect({ introspection: config.introspection, explorer: config.explorer, seedDemo: config.seedDemo, maxBodyBytes: config.maxBodyBytes }).toEqual({
      introspection: false,
      explorer: false,
      seedDemo: false,
      maxBodyBytes: 1_048_576,
    });
    const asked = production({ JWT_SECRET: STRONG, GRAPHQL_INTROSPECTION: "1", GRAPHQL_EXPLORER: "1", SEED_DEMO: "1" });
    expect([asked.introspection, asked.explorer, asked.seedDemo]).toEqual([true, true, true]);
    const development = loadConfig({} as NodeJS.ProcessEnv);
    expect([development.introspection, development.explorer, development.seedDemo]).toEqual([true, true, true]);
  });

  it("R30/R31 limits are configuration, checked when read", () => {
    expect(() => loadConfig({ MAX_QUERY_COST: "lots" } as NodeJS.ProcessEnv)).toThrow(/MAX_QUERY_COST/);
    expect(loadConfig({ MAX_QUERY_DEPTH: "20", RATE_LIMIT_COST_PER_MINUTE: "1_000" } as NodeJS.ProcessEnv)).toMatchObject({
      limits: { maxDepth: 20 },
      rateLimits: { costPerMinute: 1000 },
    });
  });
});

describe("R32 a production server", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: "production", JWT_SECRET: TEST_SECRET.padEnd(40, "-") } });
  });
  afterAll(() => server.close());

  it("R32 introspection is off, also for signed-in users", async () => {
    const token = await signToken(TEST_SECRET.padEnd(40, "-"), { email: "admin@prod.test" }, { expiresIn: "1h" });
    const result = await server.gql("{ __schema { types { name } } }", {}, `raw:${token}`);
    expect(result.status).toBe(400);
    expect(codeOf(result)).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("R32 no landing page or explorer is served", async () => {
    const page = await fetch(server.url, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toMatch(/<html|<script|cdn\./i);
  });
});

describe("R1 token lifetimes", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { JWT_MAX_TTL: "24h" } });
  });
  afterAll(() => server.close());

  const sign = async (claims: Record<string, unknown>) => {
    const { SignJWT } = await import("jose");
    return new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject("user:x").sign(new TextEncoder().encode(TEST_SECRET));
  };
  const now = () => Math.floor(Date.now() / 1000);

  it("R1 a token without exp is refused", async () => {
    const token = await sign({ email: "noexp@acme.com", iat: now() });
    expect(codeOf(await server.gql("{ viewer { user { email } } }", {}, `raw:${token}`))).toBe("UNAUTHENTICATED");
  });

  it("R1 a token living longer than JWT_MAX_TTL is refused; one within it is accepted", async () => {
    const century = await sign({ email: "long@acme.com", iat: now(), exp: now() + 100 * 365 * 86400 });
    expect(codeOf(await server.gql("{ viewer { user { email } } }", {}, `raw:${century}`))).toBe("UNAUTHENTICATED");
    const day = await sign({ email: "day@acme.com", iat: now(), exp: now() + 24 * 3600 });
    expect((await server.gql("{ viewer { user { email } } }", {}, `raw:${day}`)).data.viewer.user.email).toBe("day@acme.com");
    // Without iat, the lifetime counts from now.
    const noIat = await sign({ email: "noiat@acme.com", exp: now() + 48 * 3600 });
    expect(codeOf(await server.gql("{ viewer { user { email } } }", {}, `raw:${noIat}`))).toBe("UNAUTHENTICATED");
  });
});

describe("R32 logs", () => {
  let server: TestServer;
  const lines: string[] = [];
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    server = await startTestServer({ logger: createLogger({ level: "info", destination }) });
  });
  afterAll(() => server.close());

  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    return { response, body: (await response.json()) as any };
  };

  it("R32 one JSON line per request with its id (taken from x-request-id or made, and echoed), status, duration, operation and principal", async () => {
    const token = await server.token("logs@acme.com");
    const { response } = await post(
      { query: "query WhoAmI { viewer { user { email } } }" },
      { authorization: `Bearer ${token}`, "x-request-id": "req-from-client-1" },
    );
    expect(response.headers.get("x-request-id")).toBe("req-from-client-1");
    const made = await post({ query: "query Other { __typename }" }, { authorization: `Bearer ${token}` });
    expect(made.response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const entry = lines.map((line) => JSON.parse(line)).find((line) => line.reqId === "req-from-client-1" && line.msg === "request");
    expect(entry).toMatchObject({
      method: "POST",
      status: 200,
      operation: "WhoAmI",
      principal: expect.stringMatching(/^user:\d+$/),
      ms: expect.any(Number),
    });
    expect(lines.every((line) => typeof JSON.parse(line) === "object")).toBe(true);
  });

  it("R32 no log line holds a bearer token, a registration token, a device credential, variable values or SQL parameter values", async () => {
    const acme = await server.build.account("logs.test");
    const { secret } = await acme.token(acme.defaultVirtualAccount);
    const va = await acme.virtualAccount("Ops");
    const { credential } = await acme.device(va, "C9300-24T", "LOGS1");
    const bearer = await server.token("admin@logs.test");
    const sqlSecret = `sql-parameter-${randomBytes(8).toString("hex")}`;
    const register = "mutation Register($input: RegisterProductInstanceInput!) { registerProductInstance(input: $input) { credential } }";
    const report = "mutation Report($input: ReportUsageInput!) { reportUsage(input: $input) { id } }";

    // A registration with one unexpected input field (failed validation of its variables).
    expect(
      (await post({ query: register, variables: { input: { token: secret, pid: "C9300-24T", serialNumber: "X2", unexpected: 1 } } })).body.errors[0]
        .extensions.code,
    ).toBe("BAD_USER_INPUT");
    // A usage report missing a field.
    expect((await post({ query: report, variables: { input: { credential } } })).body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    // A wrong credential that looks like a right one; a bearer token on a refused operation.
    await post({ query: report, variables: { input: { credential: `${credential}x`, usage: [] } } });
    await post({ query: "query Broken { viewer { nope } }" }, { authorization: `Bearer ${bearer}` });
    await post({ query: "{ viewer { user { email } } }" }, { authorization: `Bearer ${bearer}x` });
    // A statement that fails, with a parameter.
    await server.db.dataSource.query("SELECT * FROM no_such_table WHERE secret = ?", [sqlSecret]).catch(() => undefined);
    // A duplicate key names its value in the driver's message.
    await expect(
      server.db.dataSource.query("INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)", ["admin@logs.test", sqlSecret, new Date()]),
    ).rejects.toThrow();
    // Request lines are written when the response has finished: wait until the last one is there.
    for (let i = 0; i < 50 && lines.filter((line) => line.includes('"msg":"request"')).length < 6; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));

    const log = lines.join("\n");
    expect(log).toMatch(/statement failed/);
    const secrets = { secret, credential, bearer, sqlSecret, email: "admin@logs.test" };
    const leaked = Object.entries(secrets).filter(([, value]) => log.includes(value));
    expect({
      leaked: leaked.map(([name]) => name),
      lines: leaked.length ? lines.filter((line) => leaked.some(([, value]) => line.includes(value))) : [],
    }).toEqual({ leaked: [], lines: [] });
  });
});
