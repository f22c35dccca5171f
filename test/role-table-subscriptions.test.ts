/**
 * SPEC §5, the rows "subscribe to events (R36)" and "subscribe to alert changes (R36)", cell by cell: each
 * role (VA roles on US), the outsider and no token, subscribing to the whole account or to a Virtual Account
 * in scope or out of scope. The expected outcome comes from the table (test/support/section5.ts,
 * subscriptionOutcome). A refused cell gets its code (R36: NOT_FOUND, FORBIDDEN, UNAUTHENTICATED); an
 * allowed one then hears real writes at targets in scope, out of scope and of the account itself, and gets
 * exactly those the table's cell reaches (visibleItems), in the order written.
 */
import { Role, VirtualAccount } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { actorIn, addOutsider, grantEveryRole, roleTableKit, World } from "./support/role-table";
import { Target, visibleItems } from "./support/section5";
import { Case, section5Suite } from "./support/section5-cases";
import { listenerCount, subscribe, Subscriber } from "./support/subscriptions";

const RENAME = `mutation($id: ID!, $name: String!) { updateVirtualAccount(input: { id: $id, name: $name }) { id } }`;
const RENAME_ACCOUNT = `mutation($sa: ID!, $name: String!) { updateSmartAccount(input: { smartAccountId: $sa, name: $name }) { id } }`;
const REPORT = `mutation($credential: String!, $sku: String!, $count: Int!) { reportUsage(input: { credential: $credential, usage: [{ sku: $sku, count: $count }] }) { id } }`;
const EVENTS = `subscription($sa: ID!, $va: ID) { events(smartAccountId: $sa, virtualAccountId: $va) { type virtualAccount { id } } }`;
const ALERTS = `subscription($sa: ID!, $va: ID) { alertChanges(smartAccountId: $sa, virtualAccountId: $va) { kind alert { virtualAccount { id } } } }`;

describe("§5 role table: subscriptions (R36)", () => {
  let server: TestServer;
  let world: World;
  let listeners: ReturnType<typeof listenerCount>;
  const { makeWorld } = roleTableKit(() => server, "rts");
  const section5 = section5Suite("role-table-subscriptions");
  let seq = 0;
  const devices = new Map<number, { credential: string; sku: string; short: boolean }>();

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);
  const admin = () => `admin@${world.domain}`;

  beforeAll(async () => {
    server = await startTestServer();
    listeners = listenerCount(server.app.notifications.bus, server.copies);
    await addOutsider(server);
    world = await makeWorld();
    await grantEveryRole(world);
    await world.account.grant(admin(), Role.SMART_ACCOUNT_ADMIN);
    // One device each in Finance (in scope) and Paris (out of scope), using exactly what their Virtual Account holds.
    for (const [at, sku] of [
      [world.finance, "RTS-F"],
      [world.paris, "RTS-P"],
    ] as const) {
      await world.account.license(at, sku, 1);
      const { credential } = await world.account.device(at, "C9300", `FOC-${sku}`, { usage: [{ sku, count: 1 }] });
      devices.set(at.id, { credential, sku, short: false });
    }
  });
  afterAll(() => server.close());

  /** Subscribes as the cell's actor; an allowed cell resolves once its stream listens on the bus. */
  async function open(cell: Case<string>, query: string, variables: Record<string, unknown>): Promise<Subscriber> {
    const actor = actorIn(world, cell);
    const before = await listeners.now();
    const stream = subscribe(server.url, actor === null ? undefined : `Bearer ${await server.token(actor)}`, query, variables);
    if (cell.expected === "allowed") await listeners.reach(before + 1);
    return stream;
  }

  async function write(query: string, variables: Record<string, unknown>, as: string | null = admin()) {
    const result = await server.gql(query, variables, as);
    expect(result.errors).toBeUndefined();
  }

  /** An event at a target: a rename of Finance (in scope), Paris (out of scope), or of the account itself. */
  const eventAt = (target: Target) =>
    target === "account"
      ? write(RENAME_ACCOUNT, { sa: gid("SmartAccount", world.account.id), name: `Account ${++seq}` })
      : write(RENAME, { id: va(target === "in scope" ? world.finance : world.paris), name: `${target} ${++seq}` });

  /** An alert change at a target: its device's usage goes over what it holds, or back (RAISED, then CLEARED). */
  async function alertAt(target: Exclude<Target, "account">) {
    const device = devices.get((target === "in scope" ? world.finance : world.paris).id)!;
    device.short = !device.short;
    await write(REPORT, { credential: device.credential, sku: device.sku, count: device.short ? 2 : 1 }, null);
  }

  const targetOf = (vaId: string | undefined | null): Target =>
    !vaId ? "account" : vaId === va(world.finance) ? "in scope" : vaId === va(world.paris) ? "out of scope" : ("elsewhere" as Target);

  /** A refused cell: its one error and the end of the stream. */
  async function expectRefused(stream: Subscriber, expected: string) {
    expect(await stream.errorCode()).toBe(expected);
    await stream.waitFor((heard) => heard.completed, "the end of the stream");
    expect(stream.heard.data).toEqual([]);
  }

  /** An allowed cell: after writes at `written` (the last one a target the stream must hear), it heard `expected`, in order. */
  async function expectHeard(stream: Subscriber, heardTarget: (data: any) => Target, expected: Target[]) {
    await stream.waitFor((heard) => heard.data.length >= expected.length, `${expected.length} deliveries`);
    // The last expected delivery is the last write: anything wrongly delivered before it is in the list.
    expect(stream.heard.data.map(heardTarget)).toEqual(expected);
    expect(stream.heard.errors).toEqual([]);
  }

  const WRITES: Target[] = ["account", "out of scope", "in scope"];

  section5.subscription("accountEvents", async (cell) => {
    const stream = await open(cell, EVENTS, { sa: gid("SmartAccount", world.account.id) });
    try {
      if (cell.expected !== "allowed") return await expectRefused(stream, cell.expected);
      for (const target of WRITES) await eventAt(target);
      const expected = visibleItems(
        cell.viewer,
        "subscribeEvents",
        WRITES.map((target) => ({ target })),
      ).map((item) => item.target);
      await expectHeard(stream, (data) => targetOf(data.events.virtualAccount?.id), expected);
    } finally {
      await stream.close();
      await listeners.reach(0);
    }
  });

  section5.subscription("virtualAccountEvents", async (cell) => {
    const other: Target = cell.target === "in scope" ? "out of scope" : "in scope";
    const stream = await open(cell, EVENTS, {
      sa: gid("SmartAccount", world.account.id),
      va: va(cell.target === "in scope" ? world.finance : world.paris),
    });
    try {
      if (cell.expected !== "allowed") return await expectRefused(stream, cell.expected);
      // Events of the account and of another Virtual Account first; only the one about this Virtual Account arrives.
      await eventAt("account");
      await eventAt(other);
      await eventAt(cell.target);
      await expectHeard(stream, (data) => targetOf(data.events.virtualAccount?.id), [cell.target]);
    } finally {
      await stream.close();
      await listeners.reach(0);
    }
  });

  section5.subscription("accountAlerts", async (cell) => {
    const stream = await open(cell, ALERTS, { sa: gid("SmartAccount", world.account.id) });
    try {
      if (cell.expected !== "allowed") return await expectRefused(stream, cell.expected);
      const writes: Exclude<Target, "account">[] = ["out of scope", "in scope"];
      for (const target of writes) await alertAt(target);
      const expected = visibleItems(
        cell.viewer,
        "subscribeAlerts",
        writes.map((target) => ({ target })),
      ).map((item) => item.target);
      await expectHeard(stream, (data) => targetOf(data.alertChanges.alert.virtualAccount.id), expected);
    } finally {
      await stream.close();
      await listeners.reach(0);
    }
  });

  section5.subscription("subtreeAlerts", async (cell) => {
    // The subtree of US (the VA roles' scope, holding Finance) or of EMEA (holding Paris).
    const root = cell.target === "in scope" ? world.us : world.emea;
    const other: Exclude<Target, "account"> = cell.target === "in scope" ? "out of scope" : "in scope";
    const stream = await open(cell, ALERTS, { sa: gid("SmartAccount", world.account.id), va: va(root) });
    try {
      if (cell.expected !== "allowed") return await expectRefused(stream, cell.expected);
      await alertAt(other);
      await alertAt(cell.target as Exclude<Target, "account">);
      await expectHeard(stream, (data) => targetOf(data.alertChanges.alert.virtualAccount.id), [cell.target]);
    } finally {
      await stream.close();
      await listeners.reach(0);
    }
  });

  section5.complete();
});
