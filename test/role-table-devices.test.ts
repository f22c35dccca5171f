/**
 * SPEC §5, the role table, cell by cell for the device and token cells (R4, R23, R26): "see … devices,
 * tokens", "manage licenses: … tokens, device transfer / removal" and "move … devices out of the Smart
 * Account".
 *
 * Which cells exist and what each expects is read from the table in test/support/section5.ts, through the
 * registry in test/support/section5-cases.ts.
 *
 * Same layout as test/role-table.test.ts: every row is tested for all seven roles. Virtual Account roles are
 * held on "US"; "in scope" targets a Virtual Account inside that subtree (US → Finance / Sales), "out of
 * scope" one in the sibling subtree (EMEA → Paris). Smart Account roles get the same cells (the answer must
 * not depend on where in the tree the target sits). Every row also has an outsider (SMART_ACCOUNT_ADMIN of
 * another account, no role in this one) and a request with no token (R1).
 *
 * Error semantics (R4): an object the viewer cannot see → NOT_FOUND on mutations, null on node(); visible
 * but not allowed → FORBIDDEN; a guarded field → null with FORBIDDEN at its path while the rest of the
 * response stands. Devices and tokens are objects only who may "see devices, tokens" can see, so the
 * approver (who may not) gets NOT_FOUND for a mutation naming a device or a token, exactly as for a license
 * lot in role-table-licenses.test.ts, and FORBIDDEN for createRegistrationToken, which names a Virtual
 * Account the approver can see. A failed mutation changes nothing and writes no event (R3, R29); a
 * successful one writes exactly one.
 */
import { ProductInstance, RegistrationToken, Role, VirtualAccount } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { accountField, objectField, objectRead, Target, visibleItems } from "./support/section5";
import { section5Suite } from "./support/section5-cases";
import { slug, roleTableKit, World, actorIn, addOutsider, grantEveryRole, expectFields } from "./support/role-table";

const VA_MANAGERS = [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER];

const SKU = "C9300-NW-A"; // PERPETUAL, smart-enabled

describe("§5 role table: devices and registration tokens", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, count, expectOutcome } = roleTableKit(() => server, "d");
  const section5 = section5Suite("role-table-devices");

  const manager = () => server.build.manager;

  const va = (v: VirtualAccount) => gid("VirtualAccount", v.id);

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  // ---------------------------------------------------------------------------------------------------------
  // Read row: one shared account, read only.
  //   Finance: device FIN-1 (2 × SKU) and a token "finance token".
  //   Paris:   device PAR-1 (5 × SKU) and a token "paris token".
  // ---------------------------------------------------------------------------------------------------------
  describe("read rows", () => {
    let read: World;
    let fixtures: { target: Target; at: string; device: ProductInstance; count: number; token: RegistrationToken; description: string }[];

    beforeAll(async () => {
      read = await makeWorld({ domain: "dev.test" });
      await grantEveryRole(read);
      const financeDevice = (await read.account.device(read.finance, "C9300-48P", "FIN-1", { usage: [{ sku: SKU, count: 2 }] })).device;
      const parisDevice = (await read.account.device(read.paris, "C9300-48P", "PAR-1", { usage: [{ sku: SKU, count: 5 }] })).device;
      const financeToken = (await read.account.token(read.finance, { description: "finance token" })).token;
      const parisToken = (await read.account.token(read.paris, { description: "paris token" })).token;
      fixtures = [
        { target: "in scope", at: "Finance", device: financeDevice, count: 2, token: financeToken, description: "finance token" },
        { target: "out of scope", at: "Paris", device: parisDevice, count: 5, token: parisToken, description: "paris token" },
      ];
    });

    const DEVICES = `query($domain: String!, $va: ID!, $device: ID!, $token: ID!) {
      smartAccount(domain: $domain) {
        name
        productInstances { totalCount nodes { serialNumber virtualAccount { name } } }
      }
      va: node(id: $va) {
        ... on VirtualAccount {
          name
          productInstances { totalCount nodes { serialNumber usage { count } } }
          registrationTokens { totalCount nodes { description } }
        }
      }
      device: node(id: $device) { ... on ProductInstance { serialNumber virtualAccount { name } usage { product { sku } count } } }
      token: node(id: $token) { ... on RegistrationToken { description virtualAccount { name } } }
    }`;

    section5.read("seeDevices", async (cell) => {
      const target = cell.target === "in scope" ? read.finance : read.paris;
      const own = fixtures.find((fixture) => fixture.target === cell.target)!;
      const result = await server.gql(
        DEVICES,
        { domain: read.domain, va: va(target), device: gid("ProductInstance", own.device.id), token: gid("RegistrationToken", own.token.id) },
        actorIn(read, cell),
      );
      const v = cell.viewer;
      const visible = visibleItems(v, "seeLicenses", fixtures);
      const listed = (connection: { totalCount: number; nodes: { serialNumber: string; virtualAccount: { name: string } }[] }) => [
        connection.totalCount,
        connection.nodes.map((node) => `${node.virtualAccount.name}:${node.serialNumber}`).sort(),
      ];
      const onVa = objectField(v, "seeLicenses", "tree", cell.target);
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(v, "account", "account"), read: (a) => a.name, expected: "dev.test" },
        {
          path: ["smartAccount", "productInstances"],
          outcome: accountField(v, "seeLicenses"),
          read: listed,
          expected: [visible.length, visible.map((f) => `${f.at}:${f.device.serialNumber}`).sort()],
        },
        { path: ["va"], outcome: objectRead(v, "tree", cell.target), read: (node) => node.name, expected: target.name },
        {
          path: ["va", "productInstances"],
          outcome: onVa,
          expected: { totalCount: 1, nodes: [{ serialNumber: own.device.serialNumber, usage: [{ count: own.count }] }] },
        },
        { path: ["va", "registrationTokens"], outcome: onVa, expected: { totalCount: 1, nodes: [{ description: own.description }] } },
        {
          path: ["device"],
          outcome: objectRead(v, "seeLicenses", cell.target),
          expected: {
            serialNumber: own.device.serialNumber,
            virtualAccount: { name: target.name },
            usage: [{ product: { sku: SKU }, count: own.count }],
          },
        },
        {
          path: ["token"],
          outcome: objectRead(v, "seeLicenses", cell.target),
          expected: { description: own.description, virtualAccount: { name: target.name } },
        },
      ]);
    });
  });

  // ---------------------------------------------------------------------------------------------------------
  // Mutation rows: a fresh account per test.
  // ---------------------------------------------------------------------------------------------------------
  // createRegistrationToken names a Virtual Account (visible by the tree): who sees it but may not manage
  // (approver, viewers, a VA_VIEWER in scope) → FORBIDDEN; a VA role out of scope cannot see it → NOT_FOUND.
  // The other mutations name a device or a token (visible by "see … devices, tokens"): who sees it but may
  // not manage it (SA_VIEWER, a VA_VIEWER in scope) → FORBIDDEN; who cannot see it (the approver, VA roles
  // out of scope) → NOT_FOUND.

  describe("manage tokens (R23)", () => {
    const CREATE = `mutation($va: ID!) {
      createRegistrationToken(input: { virtualAccountId: $va, description: "new", expiresInDays: 30, maxUses: 2 }) {
        secret token { description maxUses uses virtualAccount { name } }
      }
    }`;

    section5.mutation("createToken", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const result = await server.gql(CREATE, { va: va(target) }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "REGISTRATION_TOKEN_CREATED");
      const tokens = await manager().findBy(RegistrationToken, { smartAccountId: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.createRegistrationToken.token).toEqual({ description: "new", maxUses: 2, uses: 0, virtualAccount: { name: target.name } });
        expect(tokens.map((token) => token.virtualAccountId)).toEqual([target.id]);
      } else {
        expect(tokens).toEqual([]);
      }
    });

    section5.mutation("revokeToken", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const { token } = await world.account.token(target);
      const result = await server.gql(
        `mutation($id: ID!) { revokeRegistrationToken(id: $id) { id revokedAt } }`,
        { id: gid("RegistrationToken", token.id) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "REGISTRATION_TOKEN_REVOKED");
      const row = await manager().findOneByOrFail(RegistrationToken, { id: token.id });
      if (cell.expected === "allowed") {
        expect(result.data.revokeRegistrationToken).toEqual({ id: gid("RegistrationToken", token.id), revokedAt: server.clock.now().toISOString() });
        expect(row.revokedAt).not.toBeNull();
      } else {
        expect(row.revokedAt).toBeNull();
      }
    });
  });

  describe("manage devices (R26)", () => {
    const TRANSFER = `mutation($id: ID!, $to: ID!) { transferProductInstance(input: { id: $id, toVirtualAccountId: $to }) { serialNumber } }`;

    section5.mutation("transferDevice", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      // In scope: Finance → Sales (both under US). Out of scope: Paris → EMEA (both under EMEA).
      const [from, to] = cell.inScope ? [world.finance, world.sales] : [world.paris, world.emea];
      const { device } = await world.account.device(from, "C9300-48P", `MOVE-${world.domain}`, { usage: [{ sku: SKU, count: 3 }] });
      const result = await server.gql(TRANSFER, { id: gid("ProductInstance", device.id), to: va(to) }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "PRODUCT_INSTANCE_TRANSFERRED");
      const row = await manager().findOneByOrFail(ProductInstance, { id: device.id });
      if (cell.expected === "allowed") {
        expect(result.data.transferProductInstance).toEqual({ serialNumber: `MOVE-${world.domain}` });
        expect(row.virtualAccountId).toBe(to.id);
      } else {
        expect(row.virtualAccountId).toBe(from.id); // nothing moved (R3)
      }
    });

    // "Between Virtual Accounts the caller manages": a VA role that manages one end but cannot see the other → NOT_FOUND.
    it.each(
      VA_MANAGERS.flatMap((role) => [
        { role, direction: "Finance (in scope) → Paris (out of scope)", outOfScopeSource: false },
        { role, direction: "Paris (out of scope) → Finance (in scope)", outOfScopeSource: true },
      ]),
    )("§5 transfer devices (R26): $role, $direction → NOT_FOUND, nothing moved", async ({ role, outOfScopeSource }) => {
      const world = await makeWorld();
      const email = `${slug(role)}@${world.domain}`;
      await world.account.grant(email, role, world.us);
      const [from, to] = outOfScopeSource ? [world.paris, world.finance] : [world.finance, world.paris];
      const { device } = await world.account.device(from, "C9300-48P", `MOVE-${world.domain}`);
      const result = await server.gql(TRANSFER, { id: gid("ProductInstance", device.id), to: va(to) }, email);
      await expectOutcome(result, "NOT_FOUND", world.account.id, "PRODUCT_INSTANCE_TRANSFERRED");
      expect((await manager().findOneByOrFail(ProductInstance, { id: device.id })).virtualAccountId).toBe(from.id);
    });

    // Managing the source is not enough: where the caller only views the target → FORBIDDEN, nothing moved.
    it("§5 transfer devices (R26): VIRTUAL_ACCOUNT_ADMIN of US who only views EMEA, Finance → Paris → FORBIDDEN", async () => {
      const world = await makeWorld();
      const email = `mixed@${world.domain}`;
      await world.account.grant(email, Role.VIRTUAL_ACCOUNT_ADMIN, world.us);
      await world.account.grant(email, Role.VIRTUAL_ACCOUNT_VIEWER, world.emea);
      const { device } = await world.account.device(world.finance, "C9300-48P", `MOVE-${world.domain}`);
      const result = await server.gql(TRANSFER, { id: gid("ProductInstance", device.id), to: va(world.paris) }, email);
      await expectOutcome(result, "FORBIDDEN", world.account.id, "PRODUCT_INSTANCE_TRANSFERRED");
      expect((await manager().findOneByOrFail(ProductInstance, { id: device.id })).virtualAccountId).toBe(world.finance.id);
    });

    // transferProductInstance into another Smart Account where the actor is SMART_ACCOUNT_ADMIN, so that only
    // the source decides: "manage … device transfer" and "move … devices out of the Smart Account" there.
    // A Virtual Account role, even one that manages the device, → FORBIDDEN; who sees devices there but may
    // not manage them → FORBIDDEN; who cannot see the device (the approver, VA roles out of scope) → NOT_FOUND.

    section5.mutation("moveDeviceOut", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const destination = await server.build.account(`dest-${world.domain}`);
      if (actor) await destination.grant(actor, Role.SMART_ACCOUNT_ADMIN);
      const from = cell.inScope ? world.finance : world.paris;
      const { device } = await world.account.device(from, "C9300-48P", `OUT-${world.domain}`, { usage: [{ sku: SKU, count: 3 }] });
      const result = await server.gql(TRANSFER, { id: gid("ProductInstance", device.id), to: va(destination.defaultVirtualAccount) }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "PRODUCT_INSTANCE_TRANSFERRED");
      expect(await count("SELECT COUNT(*) AS n FROM events WHERE smart_account_id = ?", [destination.id])).toBe(0);
      const row = await manager().findOneByOrFail(ProductInstance, { id: device.id });
      const usage = await count("SELECT COUNT(*) AS n FROM license_usages WHERE product_instance_id = ?", [device.id]);
      expect(usage).toBe(1); // the usage goes with the device, or stays with it
      if (cell.expected === "allowed") {
        expect(result.data.transferProductInstance).toEqual({ serialNumber: `OUT-${world.domain}` });
        expect(row).toMatchObject({ smartAccountId: destination.id, virtualAccountId: destination.defaultVirtualAccount.id });
      } else {
        expect(row).toMatchObject({ smartAccountId: world.account.id, virtualAccountId: from.id }); // nothing moved (R3)
      }
    });

    section5.mutation("removeDevice", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const { device } = await world.account.device(target, "C9300-48P", `GONE-${world.domain}`, { usage: [{ sku: SKU, count: 3 }] });
      const result = await server.gql(`mutation($id: ID!) { removeProductInstance(id: $id) }`, { id: gid("ProductInstance", device.id) }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "PRODUCT_INSTANCE_REMOVED");
      const usage = await count("SELECT COUNT(*) AS n FROM license_usages WHERE product_instance_id = ?", [device.id]);
      if (cell.expected === "allowed") {
        expect(result.data.removeProductInstance).toBe(gid("ProductInstance", device.id));
        expect(await manager().findOneBy(ProductInstance, { id: device.id })).toBeNull();
        expect(usage).toBe(0);
      } else {
        expect(await manager().findOneBy(ProductInstance, { id: device.id })).not.toBeNull();
        expect(usage).toBe(1);
      }
    });
  });

  section5.complete();
});
