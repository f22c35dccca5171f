/**
 * R36: Subscription.events and Subscription.alertChanges over graphql-ws on /graphql, against a real server
 * (SQLite in memory, or MariaDB with DATABASE_URL) with the real graphql-ws client. Everything streamed
 * comes from real mutations through the notification hooks (R35) and the bus; nothing is injected.
 */
import { Role, RoleAssignment, VirtualAccount } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { roleTableKit, World } from "./support/role-table";
import { ALERT_CHANGES, EVENTS, listenerCount, subscribe, Subscriber, subscribeWith, wsClient } from "./support/subscriptions";

const RENAME = `mutation($id: ID!, $name: String!) { updateVirtualAccount(input: { id: $id, name: $name }) { id } }`;
const CREATE = `mutation($sa: ID!, $parent: ID, $name: String!) { createVirtualAccount(input: { smartAccountId: $sa, parentId: $parent, name: $name }) { id } }`;
const RENAME_ACCOUNT = `mutation($sa: ID!, $name: String!) { updateSmartAccount(input: { smartAccountId: $sa, name: $name }) { id } }`;
const REPORT = `mutation($credential: String!, $sku: String!, $count: Int!) { reportUsage(input: { credential: $credential, usage: [{ sku: $sku, count: $count }] }) { id } }`;
const TRANSFER = `mutation($from: ID!, $to: ID!, $sku: String!, $quantity: Int!) {
  transferLicenses(input: { fromVirtualAccountId: $from, toVirtualAccountId: $to, sku: $sku, quantity: $quantity }) { quantity }
}`;
const REVOKE = `mutation($id: ID!) { revokeRole(id: $id) }`;

describe("R36 subscriptions over graphql-ws", () => {
  let server: TestServer;
  let listeners: ReturnType<typeof listenerCount>;
  const { makeWorld } = roleTableKit(() => server, "subs");
  const open: Subscriber[] = [];

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);
  const sa = (world: World) => gid("SmartAccount", world.account.id);
  const bearer = async (email: string) => `Bearer ${await server.token(email)}`;
  const admin = (world: World) => `admin@${world.domain}`;

  /** A subscription as `email` (null: no token), registered for closing after the test. */
  async function subscriber(email: string | null, query: string, variables: Record<string, unknown>): Promise<Subscriber> {
    const stream = subscribe(server.url, email === null ? undefined : await bearer(email), query, variables);
    open.push(stream);
    return stream;
  }

  /** A subscription that must open: resolves once its stream listens on the bus. */
  async function listening(email: string, query: string, variables: Record<string, unknown>): Promise<Subscriber> {
    const before = await listeners.now();
    const stream = await subscriber(email, query, variables);
    await listeners.reach(before + 1);
    return stream;
  }

  async function ok(query: string, variables: Record<string, unknown>, as: string | null) {
    const result = await server.gql(query, variables, as);
    expect(result.errors).toBeUndefined();
    return result.data;
  }

  /** A world with its admin, and a member holding `role` (VA roles on US). */
  async function worldWith(role?: Role): Promise<{ world: World; member: string; assignment: RoleAssignment | null }> {
    const world = await makeWorld();
    await world.account.grant(admin(world), Role.SMART_ACCOUNT_ADMIN);
    if (!role) return { world, member: admin(world), assignment: null };
    const member = `member@${world.domain}`;
    const isVa = role.startsWith("VIRTUAL");
    const assignment = await world.account.grant(member, role, isVa ? world.us : null);
    return { world, member, assignment };
  }

  beforeAll(async () => {
    server = await startTestServer();
    listeners = listenerCount(server.app.notifications.bus, server.copies);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((stream) => stream.close()));
    // The server lets go of a closed connection's streams a moment later: every test starts from none.
    await listeners.reach(0);
  });
  afterAll(() => server.close());

  describe("R36 events", () => {
    it("R36 streams of one viewer share a delivery's execution only where their operations are the same: each gets its own selection", async () => {
      const { world } = await worldWith();
      const client = wsClient(server.url, await bearer(admin(world)));
      const before = await listeners.now();
      const byType = subscribeWith(
        client,
        `subscription($sa: ID!) { events(smartAccountId: $sa) { id type } }`,
        { sa: sa(world) },
        { ownsClient: false },
      );
      const same = subscribeWith(
        client,
        `subscription($sa: ID!) { events(smartAccountId: $sa) { id type } }`,
        { sa: sa(world) },
        { ownsClient: false },
      );
      const byMessage = subscribeWith(
        client,
        `subscription($sa: ID!) { events(smartAccountId: $sa) { id message } }`,
        { sa: sa(world) },
        { ownsClient: false },
      );
      const narrowed = subscribeWith(client, EVENTS, { sa: sa(world), va: va(world.paris) }, { ownsClient: false });
      try {
        await listeners.reach(before + 4);
        await ok(RENAME, { id: va(world.us), name: "USA" }, admin(world));
        await ok(RENAME, { id: va(world.paris), name: "Lille" }, admin(world));
        const [a, b, c] = await Promise.all([byType, same, byMessage].map((s) => s.waitFor((h) => h.data.length >= 2, "two events")));
        expect(a.data.map((d) => Object.keys(d.events).sort())).toEqual([
          ["id", "type"],
          ["id", "type"],
        ]);
        expect(b.data).toEqual(a.data);
        expect(c.data.map((d) => Object.keys(d.events).sort())).toEqual([
          ["id", "message"],
          ["id", "message"],
        ]);
        expect(c.data.map((d) => d.events.id)).toEqual(a.data.map((d) => d.events.id));
        // Another operation (narrowed to Paris) hears only its own event.
        const d = await narrowed.waitFor((h) => h.data.length >= 1, "the Paris rename");
        expect(d.data.map((x) => x.events.virtualAccount.name)).toEqual(["Lille"]);
      } finally {
        await client.dispose();
      }
    });

    it("R36 each delivery says when its write committed (extensions.committedAt, wall clock): after the mutation was sent, before it arrived", async () => {
      const { world } = await worldWith();
      const stream = await listening(admin(world), EVENTS, { sa: sa(world) });
      const sent = Date.now();
      await ok(RENAME, { id: va(world.paris), name: "Nice" }, admin(world));
      const heard = await stream.waitFor((h) => h.data.length >= 1, "the rename");
      const [{ extensions, at }] = heard.extensions;
      const committedAt = Date.parse(String(extensions?.committedAt));
      expect(extensions?.committedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(committedAt).toBeGreaterThanOrEqual(sent);
      expect(committedAt).toBeLessThanOrEqual(at);
    });

    it("R36 a SMART_ACCOUNT_ADMIN gets each event of real mutations once, in order, as SmartAccount.events shows them", async () => {
      const { world } = await worldWith();
      const stream = await listening(admin(world), EVENTS, { sa: sa(world) });
      await ok(CREATE, { sa: sa(world), parent: va(world.us), name: "Ops" }, admin(world));
      await ok(RENAME, { id: va(world.paris), name: "Lyon" }, admin(world));
      await ok(RENAME_ACCOUNT, { sa: sa(world), name: "Renamed" }, admin(world));
      const heard = await stream.waitFor((h) => h.data.length >= 3, "three events");
      const events = heard.data.map((d) => d.events);
      expect(events.map((e) => e.type)).toEqual(["VIRTUAL_ACCOUNT_CREATED", "VIRTUAL_ACCOUNT_UPDATED", "SMART_ACCOUNT_UPDATED"]);
      expect(events.map((e) => e.virtualAccount?.name ?? null)).toEqual(["Ops", "Lyon", null]);
      expect(heard.errors).toEqual([]);
      // The same events, by the same ids, as the list shows them (R36: scoped as SmartAccount.events).
      const list = await ok(
        `query($id: ID!) { node(id: $id) { ... on SmartAccount { events(first: 3) { nodes { id } } } } }`,
        { id: sa(world) },
        admin(world),
      );
      expect(events.map((e) => e.id).reverse()).toEqual(list.node.events.nodes.map((n: { id: string }) => n.id));
      // Each once: nothing more arrives.
      await ok(RENAME, { id: va(world.sales), name: "Sales 2" }, admin(world));
      await stream.waitFor((h) => h.data.length >= 4, "the fourth event");
      expect(stream.heard.data.map((d) => d.events.type)).toHaveLength(4);
    });

    it("R36 §5 a VIRTUAL_ACCOUNT_ADMIN gets the events of Virtual Accounts in scope only, not account-level or out-of-scope ones", async () => {
      const { world, member } = await worldWith(Role.VIRTUAL_ACCOUNT_ADMIN);
      const stream = await listening(member, EVENTS, { sa: sa(world) });
      await ok(RENAME_ACCOUNT, { sa: sa(world), name: "Renamed" }, admin(world));
      await ok(RENAME, { id: va(world.paris), name: "Lyon" }, admin(world));
      await ok(RENAME, { id: va(world.finance), name: "Money" }, admin(world));
      await stream.waitFor((h) => h.data.length >= 1, "the in-scope event");
      // Deliveries keep the order of the writes: had the earlier two been delivered, they would be first.
      expect(stream.heard.data.map((d) => d.events.virtualAccount?.name)).toEqual(["Money"]);
    });

    it("R36 with virtualAccountId: only the events about that very Virtual Account, as VirtualAccount.events", async () => {
      const { world } = await worldWith();
      const stream = await listening(admin(world), EVENTS, { sa: sa(world), va: va(world.us) });
      await ok(RENAME, { id: va(world.finance), name: "Money" }, admin(world));
      await ok(RENAME, { id: va(world.paris), name: "Lyon" }, admin(world));
      await ok(RENAME, { id: va(world.us), name: "USA" }, admin(world));
      await stream.waitFor((h) => h.data.length >= 1, "the event of US");
      expect(stream.heard.data.map((d) => d.events.virtualAccount?.name)).toEqual(["USA"]);
    });

    it("R36 events of another Smart Account never reach a stream", async () => {
      const { world } = await worldWith();
      const { world: other } = await worldWith();
      const stream = await listening(admin(world), EVENTS, { sa: sa(world) });
      await ok(RENAME, { id: va(other.us), name: "Elsewhere" }, admin(other));
      await ok(RENAME, { id: va(world.us), name: "Here" }, admin(world));
      await stream.waitFor((h) => h.data.length >= 1, "the event of this account");
      expect(stream.heard.data.map((d) => d.events.virtualAccount?.name)).toEqual(["Here"]);
    });
  });

  describe("R35 R36 alert changes", () => {
    it("R36 an INSUFFICIENT_LICENSES alert is streamed RAISED after reportUsage makes a shortage, then CLEARED after a transfer in, each once", async () => {
      const { world, member } = await worldWith(Role.VIRTUAL_ACCOUNT_VIEWER);
      await world.account.license(world.finance, "SUBS-NW", 5);
      await world.account.license(world.sales, "SUBS-NW", 10);
      const { credential } = await world.account.device(world.finance, "C9300", "FOC-SUBS-1", { usage: [{ sku: "SUBS-NW", count: 5 }] });
      const stream = await listening(member, ALERT_CHANGES, { sa: sa(world) });
      const wide = await listening(admin(world), ALERT_CHANGES, { sa: sa(world), va: va(world.finance) });

      await ok(REPORT, { credential, sku: "SUBS-NW", count: 8 }, null);
      await stream.waitFor((h) => h.data.length >= 1, "RAISED");
      expect(stream.heard.data[0].alertChanges).toMatchObject({
        kind: "RAISED",
        alert: { type: "INSUFFICIENT_LICENSES", severity: "MAJOR", quantity: 3, virtualAccount: { name: "Finance" }, product: { sku: "SUBS-NW" } },
      });
      expect(new Date(stream.heard.data[0].alertChanges.at).toISOString()).toBe(stream.heard.data[0].alertChanges.at);

      await ok(TRANSFER, { from: va(world.sales), to: va(world.finance), sku: "SUBS-NW", quantity: 3 }, admin(world));
      await stream.waitFor((h) => h.data.length >= 2, "CLEARED");
      // A later write that changes no alert tells nothing more: RAISED and CLEARED came once each.
      await ok(RENAME, { id: va(world.finance), name: "Money" }, admin(world));
      await ok(REPORT, { credential, sku: "SUBS-NW", count: 9 }, null);
      await stream.waitFor((h) => h.data.length >= 3, "the second RAISED");
      expect(stream.heard.data.map((d) => [d.alertChanges.kind, d.alertChanges.alert.quantity])).toEqual([
        ["RAISED", 3],
        ["CLEARED", 3],
        ["RAISED", 1],
      ]);
      await wide.waitFor((h) => h.data.length >= 3, "the same three on the Finance subtree");
      expect(wide.heard.data.map((d) => d.alertChanges.kind)).toEqual(["RAISED", "CLEARED", "RAISED"]);
      expect(stream.heard.errors).toEqual([]);
    });

    it("R36 §5 a Virtual Account role gets the alert changes of its scope only; virtualAccountId narrows to that subtree", async () => {
      const { world, member } = await worldWith(Role.VIRTUAL_ACCOUNT_USER);
      const paris = await world.account.device(world.paris, "C9300", "FOC-SUBS-P", { usage: [{ sku: "SUBS-P", count: 1 }] });
      const sales = await world.account.device(world.sales, "C9300", "FOC-SUBS-S", { usage: [{ sku: "SUBS-S", count: 1 }] });
      const finance = await world.account.device(world.finance, "C9300", "FOC-SUBS-F", { usage: [{ sku: "SUBS-F", count: 1 }] });
      const scoped = await listening(member, ALERT_CHANGES, { sa: sa(world) });
      const narrowed = await listening(member, ALERT_CHANGES, { sa: sa(world), va: va(world.finance) });
      await ok(REPORT, { credential: paris.credential, sku: "SUBS-P", count: 2 }, null);
      await ok(REPORT, { credential: sales.credential, sku: "SUBS-S", count: 2 }, null);
      await ok(REPORT, { credential: finance.credential, sku: "SUBS-F", count: 2 }, null);
      await scoped.waitFor((h) => h.data.length >= 2, "Sales and Finance");
      await narrowed.waitFor((h) => h.data.length >= 1, "Finance");
      expect(scoped.heard.data.map((d) => d.alertChanges.alert.virtualAccount.name)).toEqual(["Sales", "Finance"]);
      expect(narrowed.heard.data.map((d) => d.alertChanges.alert.virtualAccount.name)).toEqual(["Finance"]);
    });
  });

  describe("R36 refusals: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, BAD_USER_INPUT", () => {
    let world: World;
    beforeAll(async () => {
      ({ world } = await worldWith());
      await world.account.grant(`user@${world.domain}`, Role.SMART_ACCOUNT_USER);
      await world.account.grant(`vaadmin@${world.domain}`, Role.VIRTUAL_ACCOUNT_ADMIN, world.us);
      const other = await server.build.account("subs-other.test");
      await other.grant("outsider@subs-other.test", Role.SMART_ACCOUNT_ADMIN);
    });

    it("R36 R1 no token in connection_init → UNAUTHENTICATED", async () => {
      expect(await (await subscriber(null, EVENTS, { sa: sa(world) })).errorCode()).toBe("UNAUTHENTICATED");
    });

    it("R36 R1 a token that does not verify → UNAUTHENTICATED", async () => {
      const stream = subscribe(server.url, "Bearer not.a.jwt", EVENTS, { sa: sa(world) });
      open.push(stream);
      expect(await stream.errorCode()).toBe("UNAUTHENTICATED");
      const unsigned = subscribe(server.url, "Basic abc", EVENTS, { sa: sa(world) });
      open.push(unsigned);
      expect(await unsigned.errorCode()).toBe("UNAUTHENTICATED");
    });

    it("R36 R4 an account the viewer has no role in → NOT_FOUND, for both streams", async () => {
      expect(await (await subscriber("outsider@subs-other.test", EVENTS, { sa: sa(world) })).errorCode()).toBe("NOT_FOUND");
      expect(await (await subscriber("outsider@subs-other.test", ALERT_CHANGES, { sa: sa(world) })).errorCode()).toBe("NOT_FOUND");
    });

    it("R36 R4 a virtualAccountId the viewer cannot see, or of another account → NOT_FOUND", async () => {
      expect(await (await subscriber(`vaadmin@${world.domain}`, EVENTS, { sa: sa(world), va: va(world.paris) })).errorCode()).toBe("NOT_FOUND");
      const other = await makeWorld();
      expect(await (await subscriber(admin(world), EVENTS, { sa: sa(world), va: va(other.us) })).errorCode()).toBe("NOT_FOUND");
    });

    it("R36 §5 a visible account without the right → FORBIDDEN (SMART_ACCOUNT_USER and events)", async () => {
      expect(await (await subscriber(`user@${world.domain}`, EVENTS, { sa: sa(world) })).errorCode()).toBe("FORBIDDEN");
      expect(await (await subscriber(`user@${world.domain}`, EVENTS, { sa: sa(world), va: va(world.us) })).errorCode()).toBe("FORBIDDEN");
    });

    it("R36 ids that are not ids of the right type → BAD_USER_INPUT naming the argument", async () => {
      const stream = await subscriber(admin(world), EVENTS, { sa: va(world.us) });
      expect(await stream.errorCode()).toBe("BAD_USER_INPUT");
      expect(stream.heard.errors[0].extensions?.field).toBe("smartAccountId");
      const bad = await subscriber(admin(world), EVENTS, { sa: sa(world), va: "nope" });
      expect(await bad.errorCode()).toBe("BAD_USER_INPUT");
      expect(bad.heard.errors[0].extensions?.field).toBe("virtualAccountId");
    });

    it("R36 R30 over WebSocket only subscriptions run, under the HTTP path's limits", async () => {
      const query = await subscriber(admin(world), `query { viewer { user { email } } }`, {});
      expect(await query.errorCode()).toBe("BAD_USER_INPUT");
      const deep = `subscription($sa: ID!) { events(smartAccountId: $sa) { virtualAccount { ${"parent { ".repeat(40)}id${" }".repeat(40)} } } }`;
      const tooDeep = await subscriber(admin(world), deep, { sa: sa(world) });
      expect(await tooDeep.errorCode()).toBe("QUERY_TOO_COMPLEX");
      const unknown = await subscriber(admin(world), `subscription { nothing }`, {});
      expect(await unknown.errorCode()).toBe("GRAPHQL_VALIDATION_FAILED");
    });
  });

  describe("R36 access re-checked for each delivery", () => {
    it("R36 revokeRole ends the stream with FORBIDDEN at the next notification", async () => {
      const { world, member, assignment } = await worldWith(Role.SMART_ACCOUNT_APPROVER);
      const stream = await listening(member, EVENTS, { sa: sa(world) });
      await ok(RENAME, { id: va(world.us), name: "USA" }, admin(world));
      await stream.waitFor((h) => h.data.length >= 1, "the event before the revocation");
      const before = await listeners.now();
      await ok(REVOKE, { id: gid("RoleAssignment", (assignment as RoleAssignment).id) }, admin(world));
      await stream.waitFor((h) => h.completed, "the end of the stream");
      expect(stream.heard.errors.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
      // Only the event before the revocation was delivered (the ROLE_REVOKED event itself is not).
      expect(stream.heard.data.map((d) => d.events?.type)).toEqual(["VIRTUAL_ACCOUNT_UPDATED"]);
      await listeners.reach(before - 1);
      await ok(RENAME, { id: va(world.us), name: "US" }, admin(world));
      expect(stream.heard.errors).toHaveLength(1);
    });

    it("R36 a Virtual Account role moved out of scope no longer receives what left its scope", async () => {
      const { world, member } = await worldWith(Role.VIRTUAL_ACCOUNT_ADMIN);
      const stream = await listening(member, EVENTS, { sa: sa(world) });
      // Finance moves out of US (the member's scope) to EMEA; its later events are no longer theirs.
      await ok(
        `mutation($id: ID!, $parent: ID) { updateVirtualAccount(input: { id: $id, parentId: $parent }) { id } }`,
        { id: va(world.finance), parent: va(world.emea) },
        admin(world),
      );
      await ok(RENAME, { id: va(world.finance), name: "Money" }, admin(world));
      await ok(RENAME, { id: va(world.sales), name: "Deals" }, admin(world));
      await stream.waitFor((h) => h.data.some((d) => d.events.virtualAccount?.name === "Deals"), "the Sales event");
      expect(stream.heard.data.map((d) => d.events.virtualAccount?.name)).not.toContain("Money");
      expect(stream.heard.errors).toEqual([]);
    });
  });

  describe("R36 cleaning up", () => {
    it("R36 completing a subscription removes its bus listener; closing the connection removes all of its", async () => {
      const { world } = await worldWith();
      const base = await listeners.now();
      const client = wsClient(server.url, await bearer(admin(world)));
      const streams = [0, 1, 2].map(() => subscribeWith(client, EVENTS, { sa: sa(world) }, { ownsClient: false }));
      await listeners.reach(base + 3);
      streams[0].unsubscribe();
      await listeners.reach(base + 2);
      await client.dispose();
      await listeners.reach(base);
      // Nothing is left listening: a write finds no stream of that connection.
      await ok(RENAME, { id: va(world.us), name: "USA" }, admin(world));
      expect(streams.flatMap((s) => s.heard.data)).toEqual([]);
    });

    it("R36 1,000 subscriptions each hear one write once, and leave no listener behind", async () => {
      const { world } = await worldWith();
      const clients = await Promise.all(Array.from({ length: 10 }, async () => wsClient(server.url, await bearer(admin(world)))));
      const streams = clients.flatMap((client) =>
        Array.from({ length: 100 }, () => subscribeWith(client, EVENTS, { sa: sa(world) }, { ownsClient: false })),
      );
      await listeners.reach(1000, 60_000);
      await ok(RENAME, { id: va(world.us), name: "USA" }, admin(world));
      await Promise.all(streams.map((stream) => stream.waitFor((h) => h.data.length >= 1, "the event", 60_000)));
      expect(streams.every((stream) => stream.heard.data.length === 1 && stream.heard.errors.length === 0)).toBe(true);
      await Promise.all(clients.map((client) => client.dispose()));
      await listeners.reach(0, 30_000);
    }, 120_000);

    it("R36 R33 stop() ends open streams and closes their listeners", async () => {
      const own = await startTestServer({ env: { SHUTDOWN_GRACE_MS: "2000" } });
      const ownListeners = listenerCount(own.app.notifications.bus, own.copies);
      const account = await own.build.account("subs-stop.test");
      await account.grant("admin@subs-stop.test", Role.SMART_ACCOUNT_ADMIN);
      const stream = subscribe(own.url, `Bearer ${await own.token("admin@subs-stop.test")}`, EVENTS, { sa: gid("SmartAccount", account.id) });
      await ownListeners.reach(1);
      const started = Date.now();
      await own.close();
      await stream.waitFor((h) => h.completed, "the end of the stream");
      expect(Date.now() - started).toBeLessThan(2000 + 1000);
      expect(await ownListeners.now()).toBe(0);
      await stream.close();
    });
  });
});
