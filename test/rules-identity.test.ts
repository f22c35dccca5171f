import { SignJWT } from "jose";
import { AccessRequestStatus, Role } from "../entities";
import { createTokenVerifier } from "../src/auth/identity";
import { codeOf, GqlResult, startTestServer, TEST_SECRET, TestServer } from "./support/harness";
import { countRows, eventCount, snapshot } from "./support/db-counts";
import { gid } from "./support/ids";

/** Rules R1 (authentication), R3 (errors), R5 (ids and paging), R6 (input). */

const key = (secret: string) => new TextEncoder().encode(secret);
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, options: { secret?: string; exp?: number; sub?: string | null } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setIssuedAt();
  if (options.sub !== null) jwt = jwt.setSubject(options.sub ?? "user:someone");
  jwt = jwt.setExpirationTime(options.exp ?? nowSeconds() + 3600);
  return jwt.sign(key(options.secret ?? TEST_SECRET));
}

/** Every operation of the API, each with arguments that pass validation. */
const OPERATIONS: Record<string, string> = {
  viewer: "{ viewer { user { id email } } }",
  node: `{ node(id: "${gid("SmartAccount", 1)}") { id } }`,
  nodes: `{ nodes(ids: ["${gid("SmartAccount", 1)}"]) { id } }`,
  smartAccount: `{ smartAccount(domain: "acme.com") { id } }`,
  products: "{ products { totalCount } }",
  grantRole: `mutation { grantRole(input: { smartAccountId: "${gid("SmartAccount", 1)}", email: "a@b.com", role: SMART_ACCOUNT_USER }) { id } }`,
  revokeRole: `mutation { revokeRole(id: "${gid("RoleAssignment", 1)}") }`,
  requestAccess: `mutation { requestAccess(input: { domain: "acme.com" }) { id } }`,
  decideAccessRequest: `mutation { decideAccessRequest(input: { id: "${gid("AccessRequest", 1)}", approve: false }) { id } }`,
  requestSmartAccount: `mutation { requestSmartAccount(input: { name: "X", domain: "unauth.com", type: CUSTOMER, approverEmail: "a@unauth.com" }) { id } }`,
  approveDomainPrefix: `mutation { approveDomainPrefix(smartAccountId: "${gid("SmartAccount", 1)}") { id } }`,
  activateSmartAccount: `mutation { activateSmartAccount(smartAccountId: "${gid("SmartAccount", 1)}") { id } }`,
  updateSmartAccount: `mutation { updateSmartAccount(input: { smartAccountId: "${gid("SmartAccount", 1)}", name: "Y" }) { id } }`,
  createVirtualAccount: `mutation { createVirtualAccount(input: { smartAccountId: "${gid("SmartAccount", 1)}", name: "Z" }) { id } }`,
  updateVirtualAccount: `mutation { updateVirtualAccount(input: { id: "${gid("VirtualAccount", 1)}", name: "W" }) { id } }`,
  deleteVirtualAccount: `mutation { deleteVirtualAccount(id: "${gid("VirtualAccount", 2)}") }`,
};

describe("rules R1, R3, R5, R6: identity, errors, ids and paging, input", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    // Something for the unauthenticated calls to (not) touch: account 1 with its Default VA and a second VA.
    const acme = await server.build.account("acme.com");
    await acme.virtualAccount("Spare");
    await acme.grant("admin@acme.com", Role.SMART_ACCOUNT_ADMIN);
  });
  afterAll(() => server.close());

  /** Runs every operation as `as` and expects UNAUTHENTICATED everywhere, with nothing written. */
  async function expectEveryOperationUnauthenticated(as: string | null) {
    const before = await snapshot(server);
    for (const [name, query] of Object.entries(OPERATIONS)) {
      const result = await server.gql(query, {}, as);
      expect({ name, code: codeOf(result) }).toEqual({ name, code: "UNAUTHENTICATED" });
      expect({ name, data: result.data?.[name] ?? null }).toEqual({ name, data: null });
    }
    expect(await snapshot(server)).toEqual(before);
  }

  describe("R1 authentication", () => {
    it("R1 a missing token → UNAUTHENTICATED on every operation", async () => {
      await expectEveryOperationUnauthenticated(null);
    });

    it("R1 an expired token → UNAUTHENTICATED on every operation", async () => {
      const expired = await sign({ email: "admin@acme.com" }, { exp: nowSeconds() - 60 });
      await expectEveryOperationUnauthenticated(`raw:${expired}`);
    });

    it("R1 a token the server remembers as verified is still refused from its exp on", async () => {
      const verify = createTokenVerifier({ secret: TEST_SECRET, jwksUrl: null, issuer: null, audience: null, maxTtlSeconds: 86400 });
      const issued = nowSeconds();
      const token = await sign({ email: "Brief@acme.com" }, { exp: issued + 5 });
      jest.useFakeTimers({
        doNotFake: ["nextTick", "queueMicrotask", "setImmediate", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "clearImmediate"],
      });
      try {
        jest.setSystemTime(issued * 1000);
        expect((await verify(token)).email).toBe("brief@acme.com");
        jest.setSystemTime(issued * 1000 + 4_900);
        expect((await verify(token)).email).toBe("brief@acme.com");
        jest.setSystemTime((issued + 5) * 1000);
        await expect(verify(token)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
        // and a refused token is not remembered either
        jest.setSystemTime(issued * 1000);
        const wrong = await sign({ email: "brief@acme.com" }, { secret: "not-the-secret", exp: issued + 5 });
        await expect(verify(wrong)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
        await expect(verify(wrong)).rejects.toMatchObject({ extensions: { code: "UNAUTHENTICATED" } });
      } finally {
        jest.useRealTimers();
      }
    });

    it("R1 a badly signed token → UNAUTHENTICATED on every operation", async () => {
      const wrongSecret = await sign({ email: "admin@acme.com" }, { secret: "not-the-secret" });
      await expectEveryOperationUnauthenticated(`raw:${wrongSecret}`);
    });

    it("R1 a tampered or unsigned token → UNAUTHENTICATED", async () => {
      const good = await server.token("someone@acme.com");
      const [header, , signature] = good.split(".");
      const forgedPayload = Buffer.from(JSON.stringify({ sub: "x", email: "admin@acme.com", exp: nowSeconds() + 3600 })).toString("base64url");
      const tampered = `${header}.${forgedPayload}.${signature}`;
      const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${forgedPayload}.`;
      for (const token of [tampered, none, "not-a-jwt"]) {
        const result = await server.gql(OPERATIONS.viewer, {}, `raw:${token}`);
        expect(codeOf(result)).toBe("UNAUTHENTICATED");
        const mutation = await server.gql(OPERATIONS.createVirtualAccount, {}, `raw:${token}`);
        expect(codeOf(mutation)).toBe("UNAUTHENTICATED");
      }
    });

    it("R1 a token without an email claim → UNAUTHENTICATED on every operation", async () => {
      const noEmail = await sign({ name: "Nobody" });
      await expectEveryOperationUnauthenticated(`raw:${noEmail}`);
    });

    it("R1 a token without a sub claim, or with an invalid email → UNAUTHENTICATED", async () => {
      const noSub = await sign({ email: "admin@acme.com" }, { sub: null });
      expect(codeOf(await server.gql(OPERATIONS.viewer, {}, `raw:${noSub}`))).toBe("UNAUTHENTICATED");
      const badEmail = await sign({ email: "not an email" });
      expect(codeOf(await server.gql(OPERATIONS.viewer, {}, `raw:${badEmail}`))).toBe("UNAUTHENTICATED");
    });

    it("R1 a valid token creates the user on first sight of the email, once", async () => {
      expect(await countRows(server, "users", "email = ?", ["first.sight@newco.com"])).toBe(0);
      const first = await server.gql("{ viewer { user { id email name } } }", {}, "First.Sight@NewCo.com");
      expect(first.errors).toBeUndefined();
      expect(first.data.viewer.user).toMatchObject({ email: "first.sight@newco.com", name: null });
      expect(await countRows(server, "users", "email = ?", ["first.sight@newco.com"])).toBe(1);
      const again = await server.gql("{ viewer { user { id email } } }", {}, "first.sight@newco.com");
      expect(again.data.viewer.user.id).toBe(first.data.viewer.user.id);
      expect(await countRows(server, "users", "email = ?", ["first.sight@newco.com"])).toBe(1);
    });

    it("R1 the optional name claim becomes the user's name", async () => {
      const token = await sign({ email: "named@newco.com", name: "Ada Lovelace" });
      const result = await server.gql("{ viewer { user { email name } } }", {}, `raw:${token}`);
      expect(result.errors).toBeUndefined();
      expect(result.data.viewer.user).toEqual({ email: "named@newco.com", name: "Ada Lovelace" });
      const rows = await server.db.dataSource.query("SELECT name FROM users WHERE email = ?", ["named@newco.com"]);
      expect(rows[0].name).toBe("Ada Lovelace");
    });
  });

  describe("R3 errors", () => {
    it("R3 a document that does not parse → GRAPHQL_PARSE_FAILED", async () => {
      const result = await server.gql("{ viewer { user { email } ", {}, "admin@acme.com");
      expect(codeOf(result)).toBe("GRAPHQL_PARSE_FAILED");
      expect(result.data ?? null).toBeNull();
    });

    it("R3 a document that does not validate → GRAPHQL_VALIDATION_FAILED", async () => {
      const unknownField = await server.gql("{ viewer { user { shoeSize } } }", {}, "admin@acme.com");
      expect(codeOf(unknownField)).toBe("GRAPHQL_VALIDATION_FAILED");
      const missingArgument = await server.gql("mutation { deleteVirtualAccount }", {}, "admin@acme.com");
      expect(codeOf(missingArgument)).toBe("GRAPHQL_VALIDATION_FAILED");
    });

    it("R3 BAD_USER_INPUT carries extensions.field naming the offending input path", async () => {
      const acme = await server.build.account("r3-field.com");
      await acme.grant("admin@r3-field.com", Role.SMART_ACCOUNT_ADMIN);
      const before = await eventCount(server);
      const result = await server.gql(
        `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id } }`,
        { input: { smartAccountId: gid("SmartAccount", acme.id), name: "   " } },
        "admin@r3-field.com",
      );
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("input.name");
      const badId = await server.gql(
        `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id } }`,
        { input: { smartAccountId: gid("VirtualAccount", acme.defaultVirtualAccount.id), name: "Ok" } },
        "admin@r3-field.com",
      );
      expect(codeOf(badId)).toBe("BAD_USER_INPUT");
      expect(badId.errors![0].extensions.field).toBe("input.smartAccountId");
      expect(await eventCount(server)).toBe(before);
    });

    it("R3 an object that does not exist → NOT_FOUND; one the viewer may not act on → FORBIDDEN", async () => {
      const acme = await server.build.account("r3-codes.com");
      await acme.grant("user@r3-codes.com", Role.SMART_ACCOUNT_USER);
      const missing = await server.gql(
        `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { id } }`,
        { id: gid("SmartAccount", 999999) },
        "user@r3-codes.com",
      );
      expect(codeOf(missing)).toBe("NOT_FOUND");
      const forbidden = await server.gql(
        `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id } }`,
        { input: { smartAccountId: gid("SmartAccount", acme.id), name: "Nope" } },
        "user@r3-codes.com",
      );
      expect(codeOf(forbidden)).toBe("FORBIDDEN");
    });

    it("R3 a request the object's state does not allow → CONFLICT, and nothing changes", async () => {
      const acme = await server.build.account("r3-conflict.com");
      await acme.grant("admin@r3-conflict.com", Role.SMART_ACCOUNT_ADMIN);
      const before = await snapshot(server);
      const result = await server.gql(
        `mutation($id: ID!) { deleteVirtualAccount(id: $id) }`,
        { id: gid("VirtualAccount", acme.defaultVirtualAccount.id) },
        "admin@r3-conflict.com",
      );
      expect(codeOf(result)).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe("R5 ids and paging", () => {
    it("R5 node(id:) round-trips User, SmartAccount, VirtualAccount, RoleAssignment, AccessRequest and Event", async () => {
      const acme = await server.build.account("r5-nodes.com");
      await acme.grant("admin@r5-nodes.com", Role.SMART_ACCOUNT_ADMIN);
      const asker = "asker@elsewhere.com";
      const asked = await server.gql(`mutation { requestAccess(input: { domain: "r5-nodes.com" }) { id } }`, {}, asker);
      expect(asked.errors).toBeUndefined();

      const listing = await server.gql(
        `{ viewer { user { id } }
           smartAccount(domain: "r5-nodes.com") {
             id
             allVirtualAccounts { nodes { id } }
             roleAssignments { nodes { id } }
             accessRequests { nodes { id } }
             events { nodes { id } }
           } }`,
        {},
        "admin@r5-nodes.com",
      );
      expect(listing.errors).toBeUndefined();
      const account = listing.data.smartAccount;
      const ids: [string, string][] = [
        ["User", listing.data.viewer.user.id],
        ["SmartAccount", account.id],
        ["VirtualAccount", account.allVirtualAccounts.nodes[0].id],
        ["RoleAssignment", account.roleAssignments.nodes[0].id],
        ["AccessRequest", account.accessRequests.nodes[0].id],
        ["Event", account.events.nodes[0].id],
      ];
      expect(asked.data.requestAccess.id).toBe(account.accessRequests.nodes[0].id);
      for (const [type, id] of ids) {
        const result = await server.gql(`query($id: ID!) { node(id: $id) { __typename id } }`, { id }, "admin@r5-nodes.com");
        expect(result.errors).toBeUndefined();
        expect(result.data.node).toEqual({ __typename: type, id });
      }
      const many = await server.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: ids.map(([, id]) => id) }, "admin@r5-nodes.com");
      expect(many.data.nodes.map((node: { id: string }) => node.id)).toEqual(ids.map(([, id]) => id));
    });

    it("R5 a garbage or unknown id → node is null, no error", async () => {
      const garbage = [
        "garbage",
        "!!!",
        "",
        Buffer.from("Spaceship:1").toString("base64url"),
        Buffer.from("SmartAccount:abc").toString("base64url"),
        Buffer.from("SmartAccount:-1").toString("base64url"),
        gid("SmartAccount", 987654),
      ];
      for (const id of garbage) {
        const result = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, "admin@acme.com");
        expect({ id, errors: result.errors, node: result.data.node }).toEqual({ id, errors: undefined, node: null });
      }
    });

    it("R5 first 0 or 501 → BAD_USER_INPUT naming first; 1 and 500 are accepted", async () => {
      for (const first of [0, 501, -1]) {
        const result = await server.gql(
          `query($first: Int) { smartAccount(domain: "acme.com") { allVirtualAccounts(first: $first) { totalCount } } }`,
          { first },
          "admin@acme.com",
        );
        expect(codeOf(result)).toBe("BAD_USER_INPUT");
        expect(result.errors![0].extensions.field).toBe("first");
        const viewerList = await server.gql(
          `query($first: Int) { viewer { smartAccounts(first: $first) { totalCount } } }`,
          { first },
          "admin@acme.com",
        );
        expect(codeOf(viewerList)).toBe("BAD_USER_INPUT");
        expect(viewerList.errors![0].extensions.field).toBe("first");
      }
      for (const first of [1, 500]) {
        const result = await server.gql(
          `query($first: Int) { smartAccount(domain: "acme.com") { allVirtualAccounts(first: $first) { nodes { id } totalCount } } }`,
          { first },
          "admin@acme.com",
        );
        expect(result.errors).toBeUndefined();
        expect(result.data.smartAccount.allVirtualAccounts.nodes.length).toBe(Math.min(first, 2));
        expect(result.data.smartAccount.allVirtualAccounts.totalCount).toBe(2);
      }
    });

    it("R5 first defaults to 50", async () => {
      const big = await server.build.account("r5-default.com");
      await big.grant("admin@r5-default.com", Role.SMART_ACCOUNT_ADMIN);
      for (let i = 1; i <= 54; i++) await big.virtualAccount(`VA ${String(i).padStart(2, "0")}`);
      const result = await server.gql(
        `{ smartAccount(domain: "r5-default.com") { allVirtualAccounts { nodes { id } totalCount pageInfo { hasNextPage } } } }`,
        {},
        "admin@r5-default.com",
      );
      expect(result.errors).toBeUndefined();
      const page = result.data.smartAccount.allVirtualAccounts;
      expect(page.nodes).toHaveLength(50);
      expect(page.totalCount).toBe(55);
      expect(page.pageInfo.hasNextPage).toBe(true);
    });

    it("R5 paging allVirtualAccounts(first: 2, after:) visits every Virtual Account once, in a stable order", async () => {
      const acme = await server.build.account("r5-paging.com");
      await acme.grant("admin@r5-paging.com", Role.SMART_ACCOUNT_ADMIN);
      // Built out of tree order on purpose: a late child under an early parent.
      const [us, finance] = await acme.chain("US", "Finance");
      const emea = await acme.virtualAccount("EMEA");
      await acme.virtualAccount("Sacramento", finance);
      await acme.virtualAccount("Paris", emea);
      await acme.virtualAccount("Austin", us);
      const all = 7;

      const query = `query($after: String) { smartAccount(domain: "r5-paging.com") {
          allVirtualAccounts(first: 2, after: $after) {
            edges { cursor node { id parent { id } } }
            pageInfo { hasNextPage hasPreviousPage endCursor }
            totalCount } } }`;
      const walk = async () => {
        const seen: { id: string; parent: { id: string } | null }[] = [];
        let after: string | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const result: GqlResult = await server.gql(query, { after }, "admin@r5-paging.com");
          expect(result.errors).toBeUndefined();
          const connection: any = result.data.smartAccount.allVirtualAccounts;
          expect(connection.totalCount).toBe(all);
          expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
          seen.push(...connection.edges.map((edge: { node: { id: string; parent: { id: string } | null } }) => edge.node));
          expect(connection.pageInfo.hasNextPage).toBe(seen.length < all);
          expect(connection.edges.length).toBe(Math.min(2, all - (seen.length - connection.edges.length)));
          if (!connection.pageInfo.hasNextPage) break;
          expect(connection.pageInfo.endCursor).toBe(connection.edges[connection.edges.length - 1].cursor);
          after = connection.pageInfo.endCursor;
        }
        return seen;
      };
      const first = await walk();
      const ids = first.map((node) => node.id);
      expect(ids).toHaveLength(all);
      expect(new Set(ids).size).toBe(all);
      const onePage = await server.gql(
        `{ smartAccount(domain: "r5-paging.com") { allVirtualAccounts(first: 500) { nodes { id } } } }`,
        {},
        "admin@r5-paging.com",
      );
      expect(onePage.data.smartAccount.allVirtualAccounts.nodes.map((node: { id: string }) => node.id)).toEqual(ids);
      // each parent before its children
      for (const [index, node] of first.entries()) {
        if (node.parent) expect(ids.indexOf(node.parent.id)).toBeLessThan(index);
      }
      expect((await walk()).map((node) => node.id)).toEqual(ids);
    });

    it("R5 paging viewer.smartAccounts(first: 2, after:) visits each of the viewer's accounts once, by name whatever the case, then id", async () => {
      const viewer = "partner@r5-viewer.com";
      // Names in mixed case, one repeated, granted out of name order; one account the viewer holds no role in.
      const names = ["delta", "Bravo", "alpha", "Charlie", "bravo", "Alpha"];
      const ids: Record<string, number[]> = {};
      for (const [index, name] of names.entries()) {
        const account = await server.build.account(`r5-viewer-${index}.com`, { name });
        await account.grant(viewer, index % 2 ? Role.SMART_ACCOUNT_VIEWER : Role.SMART_ACCOUNT_USER);
        // a second role in the same account: still listed once
        if (index === 0) await account.grant(viewer, Role.SMART_ACCOUNT_ADMIN);
        (ids[name.toLowerCase()] ??= []).push(account.id);
      }
      const other = await server.build.account("r5-viewer-other.com", { name: "Aardvark" });
      await other.grant("someone@r5-viewer.com", Role.SMART_ACCOUNT_ADMIN);

      const query = `query($after: String) { viewer { smartAccounts(first: 2, after: $after) {
          edges { cursor node { id name } }
          pageInfo { hasNextPage hasPreviousPage endCursor }
          totalCount } } }`;
      const seen: { id: string; name: string }[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 5; pages++) {
        const result: GqlResult = await server.gql(query, { after }, viewer);
        expect(result.errors).toBeUndefined();
        const connection: any = result.data.viewer.smartAccounts;
        expect(connection.totalCount).toBe(names.length);
        expect(connection.pageInfo.hasPreviousPage).toBe(after !== null);
        seen.push(...connection.edges.map((edge: { node: { id: string; name: string } }) => edge.node));
        expect(connection.pageInfo.hasNextPage).toBe(seen.length < names.length);
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      // alphabetical with case set aside (the same on every database), equal names by id
      expect(seen.map((account) => account.name.toLowerCase())).toEqual(["alpha", "alpha", "bravo", "bravo", "charlie", "delta"]);
      const expectedIds = ["alpha", "bravo", "charlie", "delta"].flatMap((name) => ids[name].sort((a, b) => a - b));
      expect(seen.map((account) => account.id)).toEqual(expectedIds.map((id) => gid("SmartAccount", id)));

      const whole = await server.gql(`{ viewer { smartAccounts(first: 500) { nodes { id } } } }`, {}, viewer);
      expect(whole.data.viewer.smartAccounts.nodes.map((node: { id: string }) => node.id)).toEqual(seen.map((account) => account.id));
      const past = await server.gql(query, { after: after }, viewer);
      expect(past.data.viewer.smartAccounts).toMatchObject({ totalCount: names.length, pageInfo: { hasNextPage: false } });
    });

    it("R5 a cursor from another connection → BAD_USER_INPUT", async () => {
      const acme = await server.build.account("r5-cursor.com");
      await acme.grant("admin@r5-cursor.com", Role.SMART_ACCOUNT_ADMIN);
      const [us] = await acme.chain("US", "Finance");
      await acme.virtualAccount("Tax", us);
      const listing = await server.gql(
        `{ smartAccount(domain: "r5-cursor.com") { allVirtualAccounts(first: 1) { pageInfo { endCursor } } } }`,
        {},
        "admin@r5-cursor.com",
      );
      const cursor = listing.data.smartAccount.allVirtualAccounts.pageInfo.endCursor;
      expect(typeof cursor).toBe("string");
      const result = await server.gql(
        `query($id: ID!, $after: String) { node(id: $id) { ... on VirtualAccount { children(first: 1, after: $after) { totalCount } } } }`,
        { id: gid("VirtualAccount", us.id), after: cursor },
        "admin@r5-cursor.com",
      );
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("after");
      // and the other way round: a children cursor given to allVirtualAccounts
      const children = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on VirtualAccount { children(first: 1) { pageInfo { endCursor } } } } }`,
        { id: gid("VirtualAccount", us.id) },
        "admin@r5-cursor.com",
      );
      const childCursor = children.data.node.children.pageInfo.endCursor;
      const reverse = await server.gql(
        `query($after: String) { smartAccount(domain: "r5-cursor.com") { allVirtualAccounts(after: $after) { totalCount } } }`,
        { after: childCursor },
        "admin@r5-cursor.com",
      );
      expect(codeOf(reverse)).toBe("BAD_USER_INPUT");
      // while its own connection accepts it
      const own = await server.gql(
        `query($id: ID!, $after: String) { node(id: $id) { ... on VirtualAccount { children(first: 1, after: $after) { nodes { name } } } } }`,
        { id: gid("VirtualAccount", us.id), after: childCursor },
        "admin@r5-cursor.com",
      );
      expect(own.errors).toBeUndefined();
      expect(own.data.node.children.nodes).toEqual([{ name: "Tax" }]);
    });

    it("R5 a malformed cursor → BAD_USER_INPUT", async () => {
      const malformed = [
        "not-a-cursor",
        "%%%",
        Buffer.from("[]").toString("base64url"),
        Buffer.from(JSON.stringify(["SmartAccount.allVirtualAccounts"])).toString("base64url"),
        Buffer.from(JSON.stringify(["SmartAccount.allVirtualAccounts", { x: 1 }])).toString("base64url"),
        Buffer.from(JSON.stringify(["SmartAccount.allVirtualAccounts", "a", "b", "c"])).toString("base64url"),
      ];
      for (const after of malformed) {
        const result = await server.gql(
          `query($after: String) { smartAccount(domain: "acme.com") { allVirtualAccounts(after: $after) { totalCount } } }`,
          { after },
          "admin@acme.com",
        );
        expect({ after, code: codeOf(result) }).toEqual({ after, code: "BAD_USER_INPUT" });
      }
    });
  });

  describe("R6 input", () => {
    const create = `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id name description } }`;
    let accountId: string;
    beforeAll(async () => {
      const acme = await server.build.account("r6-input.com");
      await acme.grant("admin@r6-input.com", Role.SMART_ACCOUNT_ADMIN);
      accountId = gid("SmartAccount", acme.id);
    });
    const as = "admin@r6-input.com";

    it("R6 strings are trimmed", async () => {
      const result = await server.gql(create, { input: { smartAccountId: accountId, name: "  \tTrimmed  ", description: "  a description \n" } }, as);
      expect(result.errors).toBeUndefined();
      expect(result.data.createVirtualAccount).toMatchObject({ name: "Trimmed", description: "a description" });
      const dup = await server.gql(create, { input: { smartAccountId: accountId, name: "Trimmed   " } }, as);
      expect(codeOf(dup)).toBe("CONFLICT");
      const asked = await server.gql(
        `mutation { requestAccess(input: { domain: "  r6-input.com  ", message: "  please  " }) { message } }`,
        {},
        "trim@elsewhere.com",
      );
      expect(asked.errors).toBeUndefined();
      expect(asked.data.requestAccess.message).toBe("please");
    });

    it("R6 names are 1–100 characters after trimming; otherwise BAD_USER_INPUT naming the field", async () => {
      const hundred = "n".repeat(100);
      const ok = await server.gql(create, { input: { smartAccountId: accountId, name: `  ${hundred}  ` } }, as);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.createVirtualAccount.name).toBe(hundred);
      const before = await snapshot(server);
      for (const name of ["", "   ", "m".repeat(101)]) {
        const result = await server.gql(create, { input: { smartAccountId: accountId, name } }, as);
        expect(codeOf(result)).toBe("BAD_USER_INPUT");
        expect(result.errors![0].extensions.field).toBe("input.name");
      }
      const rename = await server.gql(
        `mutation($input: UpdateSmartAccountInput!) { updateSmartAccount(input: $input) { name } }`,
        { input: { smartAccountId: accountId, name: "s".repeat(101) } },
        as,
      );
      expect(codeOf(rename)).toBe("BAD_USER_INPUT");
      expect(rename.errors![0].extensions.field).toBe("input.name");
      expect(await snapshot(server)).toEqual(before);
    });

    it("R6 descriptions are at most 500 characters", async () => {
      const ok = await server.gql(create, { input: { smartAccountId: accountId, name: "Described", description: "d".repeat(500) } }, as);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.createVirtualAccount.description).toHaveLength(500);
      const before = await snapshot(server);
      const result = await server.gql(create, { input: { smartAccountId: accountId, name: "Too long", description: "d".repeat(501) } }, as);
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("input.description");
      expect(await snapshot(server)).toEqual(before);
    });

    it("R6 messages are at most 1000 characters", async () => {
      const request = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id message } }`;
      const before = await snapshot(server);
      const tooLong = await server.gql(request, { input: { domain: "r6-input.com", message: "m".repeat(1001) } }, "long@elsewhere.com");
      expect(codeOf(tooLong)).toBe("BAD_USER_INPUT");
      expect(tooLong.errors![0].extensions.field).toBe("input.message");
      const after = await snapshot(server);
      // the viewer's own user row is created by the token (R1); nothing else may change
      expect({ ...after, users: before.users }).toEqual(before);
      const ok = await server.gql(request, { input: { domain: "r6-input.com", message: "m".repeat(1000) } }, "long@elsewhere.com");
      expect(ok.errors).toBeUndefined();
      expect(ok.data.requestAccess.message).toHaveLength(1000);
    });

    it("R6 emails and domains are lower-cased", async () => {
      const granted = await server.gql(
        `mutation($input: GrantRoleInput!) { grantRole(input: $input) { user { email } } }`,
        { input: { smartAccountId: accountId, email: "  Mixed.Case@R6-Input.COM ", role: Role.SMART_ACCOUNT_VIEWER } },
        as,
      );
      expect(granted.errors).toBeUndefined();
      expect(granted.data.grantRole.user.email).toBe("mixed.case@r6-input.com");
      expect(await countRows(server, "users", "email = ?", ["mixed.case@r6-input.com"])).toBe(1);

      const requested = await server.gql(
        `mutation { requestSmartAccount(input: { name: "Upper", domain: "UPPER-R6.Example.COM", type: CUSTOMER, approverEmail: "Boss@Example.COM" }) { domain } }`,
        {},
        "someone@elsewhere.com",
      );
      expect(requested.errors).toBeUndefined();
      expect(requested.data.requestSmartAccount.domain).toBe("upper-r6.example.com");
      expect(await countRows(server, "users", "email = ?", ["boss@example.com"])).toBe(1);

      const found = await server.gql(`{ smartAccount(domain: "UPPER-R6.EXAMPLE.com") { domain } }`, {}, "boss@example.com");
      expect(found.data.smartAccount).toEqual({ domain: "upper-r6.example.com" });

      const asked = await server.gql(`mutation { requestAccess(input: { domain: "R6-INPUT.com" }) { domain status } }`, {}, "case@elsewhere.com");
      expect(asked.errors).toBeUndefined();
      expect(asked.data.requestAccess).toEqual({ domain: "r6-input.com", status: AccessRequestStatus.PENDING });
    });
  });
});
