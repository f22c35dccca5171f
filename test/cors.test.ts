import { startTestServer, TestServer } from "./support/harness";

// §6: a browser is a first-class client. CORS per CORS_ORIGINS; outside production any localhost page.

const preflight = (server: TestServer, origin: string) =>
  fetch(server.url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, apollo-require-preflight",
    },
  });

describe("§6 CORS in development (no CORS_ORIGINS)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("§6 a page on any localhost port gets its preflight answered with the headers a GraphQL client sends", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:3000"]) {
      const response = await preflight(server, origin);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-headers")).toMatch(/authorization/);
      expect(response.headers.get("access-control-allow-headers")).toMatch(/content-type/);
      expect(response.headers.get("access-control-allow-methods")).toMatch(/POST/);
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    }
  });

  it("§6 the answer to a cross-origin POST names the origin and exposes the request id", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        origin: "http://localhost:5173",
        "content-type": "application/json",
        authorization: `Bearer ${await server.token("cors@acme.com")}`,
      },
      body: JSON.stringify({ query: "{ viewer { user { email } } }" }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(response.headers.get("access-control-expose-headers")).toMatch(/x-request-id/);
  });

  it("§6 a page from anywhere else gets no CORS headers", async () => {
    const response = await preflight(server, "https://evil.example");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("§6 CSRF prevention still refuses a simple cross-site GET without a preflight header", async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent("{ __typename }")}`, { headers: { origin: "https://evil.example" } });
    expect(response.status).toBe(400);
  });
});

describe("§6 CORS in production (CORS_ORIGINS listed)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { NODE_ENV: "production", JWT_SECRET: "x".repeat(40), CORS_ORIGINS: "https://app.example.com" } });
  });
  afterAll(() => server.close());

  it("§6 only the listed origins; localhost is not allowed by default in production", async () => {
    expect((await preflight(server, "https://app.example.com")).headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect((await preflight(server, "http://localhost:5173")).headers.get("access-control-allow-origin")).toBeNull();
  });
});
