import fs from "node:fs";
import path from "node:path";
import { Kind, parse, print } from "graphql";
import { codeOf, GqlResult, startTestServer, TestServer } from "./support/harness";

// R30 operation limits, R1 "nothing runs before it is allowed", and R3's request errors, on both
// executors (graphql-jit by default, graphql-js with GRAPHQL_JIT=0).

const REFERENCE = parse(fs.readFileSync(path.join(__dirname, "..", "bench", "queries.graphql"), "utf8"));
const operation = (name: string): string => {
  const definition = REFERENCE.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
  if (!definition) throw new Error(`bench/queries.graphql has no ${name}`);
  return print(definition);
};

/** `levels` fragments, each selecting the one below twice under two names: 2^levels objects from a short document. */
function doublingDocument(levels: number): string {
  const fragments = ["fragment V0 on VirtualAccount { id name }"];
  for (let level = 1; level <= levels; level += 1) {
    fragments.push(`fragment V${level} on VirtualAccount { parent { ...V${level - 1} } twin: parent { ...V${level - 1} } }`);
  }
  return `query Doubling { node(id: "x") { ... on VirtualAccount { ...V${levels} } } }\n${fragments.join("\n")}`;
}

for (const executor of ["graphql-jit", "graphql-js"] as const) {
  describe(`R30 operation limits (${executor})`, () => {
    let server: TestServer;
    const admin = "admin@limits.test";
    let baseline: number;

    beforeAll(async () => {
      server = await startTestServer({ env: executor === "graphql-js" ? { GRAPHQL_JIT: "0" } : {} });
      const acme = await server.build.account("limits.test");
      await acme.grant(admin, "SMART_ACCOUNT_ADMIN" as never);
      // What an authenticated request costs in statements before its operation runs (authentication).
      baseline = (await server.gql("{ __typename }", {}, admin)).statements;
    });
    afterAll(() => server.close());

    const expectTooComplex = (result: GqlResult) => {
      expect(result.status).toBe(400);
      expect(result.data ?? null).toBeNull();
      expect(codeOf(result)).toBe("QUERY_TOO_COMPLEX");
      // Refused before a single statement of the operation reached the database.
      expect(result.statements).toBe(baseline);
    };

    it("R30 nodes(ids:) takes at most 500 ids: 500 run, 501 (literal or variable) → QUERY_TOO_COMPLEX before any statement", async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `missing-${i}`);
      const ok = await server.gql(`query Many($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids(500) }, admin);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.nodes).toHaveLength(500);
      const byVariable = await server.gql(`query TooMany($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids(501) }, admin);
      expectTooComplex(byVariable);
      expect(byVariable.errors![0].extensions.cost).toEqual({ requested: 501, limit: 500 });
      const literal = `query TooManyLiteral { nodes(ids: [${ids(501)
        .map((id) => JSON.stringify(id))
        .join(", ")}]) { id } }`;
      expectTooComplex(await server.gql(literal, {}, admin));
    });

    it("R30 every reference operation of the benchmark passes, and every response reports its cost", async () => {
      for (const name of ["Dashboard", "Tree", "Entitlements", "Devices", "Light"]) {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(admin)}` },
          body: JSON.stringify({ query: operation(name), variables: { domain: "limits.test" } }),
        });
        const body = (await response.json()) as { errors?: unknown; extensions: { cost: { requested: number } } };
        expect({ name, errors: body.errors }).toEqual({ name, errors: undefined });
        expect(body.extensions.cost).toEqual({ requested: expect.any(Number), limit: 50_000_000 });
        expect(body.extensions.cost.requested).toBeGreaterThan(0);
      }
    });

    it("R30 the cost is priced from the operation and its variables: first × what a connection selects", async () => {
      const query = 'query Page($n: Int) { smartAccount(domain: "limits.test") { licenses(first: $n) { nodes { id product { sku } } } } }';
      const cost = async (n: number) => {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(admin)}` },
          body: JSON.stringify({ query, variables: { n } }),
        });
        return ((await response.json()) as any).extensions.cost.requested;
      };
      // smartAccount 1 + licenses 1 + n × (license 1 + product 1)
      expect(await cost(10)).toBe(2 + 10 * 2);
      expect(await cost(500)).toBe(2 + 500 * 2);
    });

    it("R30 an operation ten times the reference Dashboard → QUERY_TOO_COMPLEX with extensions.cost, before any SQL", async () => {
      const tenTimes = operation("Dashboard").replace("smartAccounts(first: 10)", "smartAccounts(first: 100)");
      const result = await server.gql(tenTimes, {}, admin);
      expectTooComplex(result);
      const cost = result.errors![0].extensions.cost as { requested: number; limit: number };
      expect(cost.limit).toBe(50_000_000);
      expect(cost.requested).toBeGreaterThan(cost.limit);
    });

    it("R30 connections nested three deep (500³ Virtual Accounts) → QUERY_TOO_COMPLEX", async () => {
      const nested = `{ smartAccount(domain: "limits.test") { allVirtualAccounts(first: 500) { nodes { smartAccount {
        allVirtualAccounts(first: 500) { nodes { smartAccount { allVirtualAccounts(first: 500) { nodes { id name } } } } } } } } } }`;
      expectTooComplex(await server.gql(nested, {}, admin));
    });

    it("R30 a fragment-doubling document is refused before it is compiled or executed, at any size", async () => {
      // 8,192 Virtual Accounts from about 1 KB; then 2^40 from 2.5 KB, which would never finish compiling.
      for (const levels of [13, 36]) {
        const document = doublingDocument(levels);
        expect(document.length).toBeLessThan(3000);
        const result = await server.gql(document, {}, admin);
        expectTooComplex(result);
        // Its aliases are counted as expanded, like its fields and its cost.
        expect(result.errors![0].message).toMatch(/Aliases limit of 30 exceeded|fields once its fragments are expanded/);
      }
    });

    it("R30 a document too wide to compare or compile is refused, whatever its cost", async () => {
      // graphql-js's own validation budget, or the limit on expanded fields (MAX_QUERY_FIELDS) behind it.
      const wide = `{ viewer { user { ${"email ".repeat(2100)} } } }`;
      const result = await server.gql(wide, {}, admin);
      expectTooComplex(result);
      expect(result.errors![0].message).toMatch(/Validation aborted|fields once its fragments are expanded/);
    });

    it("R30 depth, aliases, repeated directives and tokens over their limits → QUERY_TOO_COMPLEX", async () => {
      const deep = `{ viewer { user { email } } smartAccount(domain: "limits.test") { ${"virtualAccounts(first: 1) { nodes { children(first: 1) { nodes { ".repeat(4)} id ${"} } } }".repeat(4)} } }`;
      expectTooComplex(await server.gql(deep, {}, admin));
      const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `a${i}: viewer { user { email } }`).join(" ")} }`;
      expectTooComplex(await server.gql(aliases, {}, admin));
      const directives = `{ viewer { user { email ${"@include(if: true) ".repeat(51)} } } }`;
      expectTooComplex(await server.gql(directives, {}, admin));
      const tokens = `{ viewer { user { ${"email ".repeat(5001)} } } }`;
      const result = await server.gql(tokens, {}, admin);
      expect(codeOf(result)).toBe("QUERY_TOO_COMPLEX");
      expect(result.status).toBe(400);
    });

    it("R30 within the limits an aliased operation still runs (30 aliases)", async () => {
      const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { user { email } }`).join(" ")} }`;
      const result = await server.gql(aliases, {}, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.a29.user.email).toBe(admin);
    });

    it("R30 nodes(ids:) costs its id count", async () => {
      const ids = Array.from({ length: 400 }, (_, i) => `x${i}`);
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(admin)}` },
        body: JSON.stringify({ query: "query Many($ids: [ID!]!) { nodes(ids: $ids) { id } }", variables: { ids } }),
      });
      expect(((await response.json()) as any).extensions.cost.requested).toBe(400);
    });

    it("R1 an anonymous operation other than the device mutations is UNAUTHENTICATED before it runs (no statement)", async () => {
      for (const query of [operation("Dashboard"), operation("Light"), 'mutation { requestAccess(input: { domain: "limits.test" }) { id } }']) {
        const result = await server.gql(query, {});
        expect({ query, status: result.status }).toEqual({ query, status: 401 });
        // Refused before execution: the answer has no data at all (not even a null field), so nothing was compiled or run.
        expect(result.data).toBeUndefined();
        expect(result.errors!.map((error) => error.extensions.code)).toEqual(["UNAUTHENTICATED"]);
        expect(result.statements).toBe(0);
      }
      // The device mutations still reach their resolvers, which answer with their own reason (R24).
      const device = await server.gql(
        'mutation { registerProductInstance(input: { token: "sat_unknown", pid: "C9300", serialNumber: "X1" }) { credential } }',
        {},
      );
      expect(device.errors![0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "UNKNOWN" });
    });

    it("R3 a variable that does not fit its type → BAD_USER_INPUT naming the variable", async () => {
      const query = 'query Page($n: Int) { smartAccount(domain: "limits.test") { licenses(first: $n) { totalCount } } }';
      for (const n of ["abc", 2 ** 31, 1.5, { nested: true }]) {
        const result = await server.gql(query, { n }, admin);
        expect(result.status).toBe(400);
        expect(result.errors).toHaveLength(1);
        expect(result.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "n" });
        expect(result.errors![0].message).toMatch(/\$n/);
      }
      const missing = await server.gql("query Need($domain: String!) { smartAccount(domain: $domain) { id } }", {}, admin);
      expect(missing.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "domain" });
    });

    it("R3 deeply nested variables → BAD_USER_INPUT, not an internal error", async () => {
      const value = `${'{"domain":'.repeat(3000)}"leaf"${"}".repeat(3000)}`;
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(admin)}` },
        body: `{"query":"mutation Deep($input: RequestAccessInput!) { requestAccess(input: $input) { id } }","variables":{"input":${value}}}`,
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input" });
    });

    it("R3 operationName naming no operation, or a subscription over HTTP → 400 with a code", async () => {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await server.token(admin)}` },
        body: JSON.stringify({ query: "query A { __typename } query B { __typename }", operationName: "C" }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as any).errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "operationName" });
      const subscription = await server.gql("subscription Live { events { id } }", {}, admin);
      expect(subscription.status).toBe(400);
      expect(["GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"]).toContain(codeOf(subscription));
    });

    it("R3 a body that is not JSON → 400 with a JSON error and a code, no HTML, no stack", async () => {
      const response = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      const text = await response.text();
      expect(text).not.toMatch(/<html|at .*\.js|node_modules/i);
      expect(JSON.parse(text).errors[0].extensions.code).toBe("BAD_REQUEST");
    });

    it("R3 a path that serves nothing → a JSON 404, not an HTML page", async () => {
      const response = await fetch(server.url.replace("/graphql", "/nothing-here"));
      expect(response.status).toBe(404);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe("NOT_FOUND");
    });

    it("R32 a body over MAX_BODY_BYTES → 413 with a JSON error", async () => {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(1_100_000) } }),
      });
      expect(response.status).toBe(413);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
    });
  });
}
