/**
 * R24 under concurrency: 20 `registerProductInstance` calls in flight at once over HTTP, each with a
 * distinct serial number, against one registration token with maxUses 5. On MySQL/MariaDB this exercises
 * the row lock on the token (SELECT … FOR UPDATE before its use is counted); on SQLite the serialised
 * write queue.
 *
 * Afterwards: exactly 5 registrations succeeded and 15 were refused with UNAUTHENTICATED / EXHAUSTED
 * (R3: never INTERNAL_SERVER_ERROR, i.e. no deadlock or lock timeout leaking out), the token's `uses` is
 * 5 (no lost update, no overshoot), and exactly 5 devices and 5 registration events exist (R29).
 */
import { RegistrationToken, Role, VirtualAccount } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { countRows } from "./support/db-counts";
import { GqlResult, startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";

const CALLS = 20;
const MAX_USES = 5;
const ADMIN = "admin@race-devices.test";

const REGISTER = `mutation($input: RegisterProductInstanceInput!) {
  registerProductInstance(input: $input) { credential productInstance { id serialNumber } }
}`;
const TOKENS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount {
  registrationTokens { nodes { id uses maxUses } }
  productInstances { totalCount nodes { serialNumber } }
} } }`;

describe("R24 concurrent registrations against one token", () => {
  let server: TestServer;
  let acme: AccountBuilder;
  let lab: VirtualAccount;

  beforeAll(async () => {
    server = await startTestServer();
    acme = await server.build.account("race-devices.test");
    lab = await acme.virtualAccount("Lab");
    await acme.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
  });
  afterAll(() => server.close());

  it(`R24 ${CALLS} parallel registrations with a maxUses ${MAX_USES} token → exactly ${MAX_USES} succeed, the rest EXHAUSTED; uses, devices and events agree (R29)`, async () => {
    const { token, secret } = await acme.token(lab, { maxUses: MAX_USES });
    const results: GqlResult[] = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        server.gql(REGISTER, { input: { token: secret, pid: "C9300-48P", serialNumber: `RACE-${String(i).padStart(2, "0")}` } }),
      ),
    );

    const succeeded = results.filter((result) => !result.errors);
    const failed = results.filter((result) => result.errors);
    const outcomes = failed.map((result) => ({ count: result.errors!.length, ...result.errors![0].extensions, data: result.data }));
    expect(outcomes).toEqual(
      Array.from({ length: CALLS - MAX_USES }, () => ({ count: 1, code: "UNAUTHENTICATED", reason: "EXHAUSTED", data: null })),
    );
    expect(succeeded).toHaveLength(MAX_USES);
    const serials = succeeded.map((result) => result.data.registerProductInstance.productInstance.serialNumber).sort();
    expect(new Set(succeeded.map((result) => result.data.registerProductInstance.credential)).size).toBe(MAX_USES);

    const row = await server.db.manager.findOneByOrFail(RegistrationToken, { id: token.id });
    expect(row.uses).toBe(MAX_USES);
    expect(await countRows(server, "product_instances", "smart_account_id = ?", [acme.id])).toBe(MAX_USES);
    expect(await countRows(server, "events", "smart_account_id = ?", [acme.id])).toBe(MAX_USES);
    expect(await countRows(server, "events", "smart_account_id = ? AND type = ?", [acme.id, "PRODUCT_INSTANCE_REGISTERED"])).toBe(MAX_USES);

    // The API agrees: the token shows 5 of 5 uses and the Virtual Account exactly the 5 successful devices.
    const listed = await server.gql(TOKENS, { id: gid("VirtualAccount", lab.id) }, ADMIN);
    expect(listed.errors).toBeUndefined();
    expect(listed.data.node.registrationTokens.nodes).toEqual([{ id: gid("RegistrationToken", token.id), uses: MAX_USES, maxUses: MAX_USES }]);
    expect(listed.data.node.productInstances.totalCount).toBe(MAX_USES);
    expect(listed.data.node.productInstances.nodes.map((node: { serialNumber: string }) => node.serialNumber).sort()).toEqual(serials);
  });

  // Many tokens at once: each registration locks its own token row, so only the device rows can meet.
  const tokensIn = async (account: AccountBuilder, va: VirtualAccount, n: number) =>
    Promise.all(Array.from({ length: n }, () => account.token(va, { maxUses: 1 })));

  it("R24 parallel registrations of new devices, each with its own token → all succeed, none retried (no gap-lock deadlock on MariaDB)", async () => {
    const tokens = await tokensIn(acme, lab, CALLS);
    const transaction = jest.spyOn(server.db.dataSource, "transaction");
    const asked = jest.spyOn(server.db, "transaction");
    try {
      const results: GqlResult[] = await Promise.all(
        tokens.map(({ secret }, i) =>
          // The spies watch this process: straight to its own copy (with TEST_COPIES=2, not through the proxy).
          server.direct.gql(REGISTER, { input: { token: secret, pid: "C9300-24T", serialNumber: `GAP-${String(i).padStart(2, "0")}` } }),
        ),
      );
      expect(results.map((result) => result.errors ?? null)).toEqual(tokens.map(() => null));
      // Each transaction asked for ran once: a deadlock would have run one again (R33's retry). Each
      // registration asks for its own and, after it commits, one for its alert check (R35).
      expect(asked.mock.calls.length).toBeGreaterThanOrEqual(CALLS);
      expect(transaction).toHaveBeenCalledTimes(asked.mock.calls.length);
    } finally {
      transaction.mockRestore();
      asked.mockRestore();
    }
    expect(await countRows(server, "product_instances", "pid = ?", ["C9300-24T"])).toBe(CALLS);
  });

  it("R24 parallel registrations of one new device with tokens of its Smart Account → one device, registered once and re-registered by the rest; each token used once", async () => {
    const tokens = await tokensIn(acme, lab, CALLS);
    const events = await countRows(server, "events", "smart_account_id = ?", [acme.id]);
    const results: GqlResult[] = await Promise.all(
      tokens.map(({ secret }) => server.gql(REGISTER, { input: { token: secret, pid: "C9300-48P", serialNumber: "SAME-ONE" } })),
    );
    expect(results.map((result) => result.errors ?? null)).toEqual(tokens.map(() => null));
    expect(new Set(results.map((result) => result.data.registerProductInstance.productInstance.id)).size).toBe(1);
    expect(await countRows(server, "product_instances", "serial_number = ?", ["SAME-ONE"])).toBe(1);
    for (const { token } of tokens) expect((await server.db.manager.findOneByOrFail(RegistrationToken, { id: token.id })).uses).toBe(1);
    expect(await countRows(server, "events", "smart_account_id = ?", [acme.id])).toBe(events + CALLS);
    expect(
      await countRows(server, "events", "smart_account_id = ? AND type = ? AND message LIKE ?", [
        acme.id,
        "PRODUCT_INSTANCE_REGISTERED",
        "%SAME-ONE%",
      ]),
    ).toBe(1);
  });

  it("R24 parallel registrations of one new device with tokens of two Smart Accounts → the first account keeps it; the other's → CONFLICT, their tokens unused", async () => {
    const rival = await server.build.account("race-devices-rival.test");
    const ours = await tokensIn(acme, lab, CALLS / 2);
    const theirs = await tokensIn(rival, rival.defaultVirtualAccount, CALLS / 2);
    const all = [...ours, ...theirs].map((entry, i) => ({ ...entry, account: i < ours.length ? acme.id : rival.id }));
    const eventsOf = (accountId: number) => countRows(server, "events", "smart_account_id = ?", [accountId]);
    const eventsBefore = new Map([
      [acme.id, await eventsOf(acme.id)],
      [rival.id, await eventsOf(rival.id)],
    ]);
    const results: GqlResult[] = await Promise.all(
      all.map(({ secret }) => server.gql(REGISTER, { input: { token: secret, pid: "C9300-48P", serialNumber: "CONTESTED" } })),
    );
    const [device] = await server.db.dataSource.query("SELECT smart_account_id AS account FROM product_instances WHERE serial_number = ?", [
      "CONTESTED",
    ]);
    const winner = Number(device.account);
    for (const [i, { token, account }] of all.entries()) {
      const uses = (await server.db.manager.findOneByOrFail(RegistrationToken, { id: token.id })).uses;
      const outcome = results[i].errors ? results[i].errors!.map((error) => error.extensions.code).join() : "registered";
      expect({ i, outcome, uses }).toEqual(account === winner ? { i, outcome: "registered", uses: 1 } : { i, outcome: "CONFLICT", uses: 0 });
    }
    expect(await countRows(server, "product_instances", "serial_number = ?", ["CONTESTED"])).toBe(1);
    // One event per registration in the winner's account, none in the other's (R29).
    const loser = winner === acme.id ? rival.id : acme.id;
    expect(await eventsOf(winner)).toBe(eventsBefore.get(winner)! + CALLS / 2);
    expect(await eventsOf(loser)).toBe(eventsBefore.get(loser)!);
  });
});
