import { startTestServer, TestServer } from "./support/harness";

describe("the service", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it("answers /healthz and /readyz", async () => {
    const base = server.url.replace("/graphql", "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("R1 creates the user on first sight of an email", async () => {
    const result = await server.gql("{ viewer { user { email name } } }", {}, "New.Person@Example.com");
    expect(result.errors).toBeUndefined();
    expect(result.data.viewer.user.email).toBe("new.person@example.com");
  });
});
