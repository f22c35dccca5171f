import { createHash } from "node:crypto";
import { ProductInstance, RegistrationToken, Role, SmartAccountType, VirtualAccount } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { countRows, eventCount, lastEventType } from "./support/db-counts";
import { codeOf, GqlResult, startTestServer, TestServer } from "./support/harness";
import { accounts, days, expectCode, expectUnauthenticated, START } from "./support/fixtures";
import { gid } from "./support/ids";
import { deviceUsage, moveUsage } from "../src/licenses/kept-pools";

/**
 * Rules R23 (registration tokens), R24 (registration), R25 (usage), R26 (device transfer and removal),
 * R27/R28 with devices (pools, alerts), R19 net of usage, R12 (deleting a Virtual Account with devices or
 * tokens), R17 (no tokens in a holding account) and R29 (one event per successful device/token mutation).
 */

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const NW = "C9300-NW-A"; // PERPETUAL, smart-enabled
const SEC = "ISR4K-SEC"; // PERPETUAL, smart-enabled
const DNA = "C9300-DNA-A-3Y"; // TERM, smart-enabled

const TOKEN_FIELDS = "id description createdAt expiresAt maxUses uses exportControlled revokedAt createdBy { email } virtualAccount { id }";
const CREATE_TOKEN = `mutation($input: CreateRegistrationTokenInput!) { createRegistrationToken(input: $input) { secret token { ${TOKEN_FIELDS} } } }`;
const REVOKE_TOKEN = `mutation($id: ID!) { revokeRegistrationToken(id: $id) { id revokedAt uses } }`;
const TOKENS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount { registrationTokens { totalCount nodes { id uses maxUses revokedAt } } } } }`;

const DEVICE_FIELDS = "id pid serialNumber hostname registeredAt lastReportedAt usage { product { sku } count }";
const REGISTER = `mutation($input: RegisterProductInstanceInput!) { registerProductInstance(input: $input) { credential productInstance { ${DEVICE_FIELDS} } } }`;
const REGISTER_WITH_VA = `mutation($input: RegisterProductInstanceInput!) {
  registerProductInstance(input: $input) { credential productInstance { id virtualAccount { id } } }
}`;
const REPORT = `mutation($input: ReportUsageInput!) { reportUsage(input: $input) { ${DEVICE_FIELDS} } }`;
const TRANSFER_DEVICE = `mutation($input: TransferProductInstanceInput!) { transferProductInstance(input: $input) { id virtualAccount { id } } }`;
const REMOVE_DEVICE = `mutation($id: ID!) { removeProductInstance(id: $id) }`;
const DEVICE_NODE = `query($id: ID!) { node(id: $id) { ... on ProductInstance { id serialNumber lastReportedAt virtualAccount { id } usage { product { sku } count } } } }`;
const VA_DEVICES = `query($id: ID!, $first: Int, $after: String) {
  node(id: $id) { ... on VirtualAccount { productInstances(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id serialNumber virtualAccount { id } }
  } } }
}`;
const SA_DEVICES = `query($domain: String!, $first: Int, $after: String) {
  smartAccount(domain: $domain) { productInstances(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id serialNumber virtualAccount { id } }
  } }
}`;
const POOL_FIELDS = "product { sku } purchased inUse available shortage status";
const VA_POOLS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount { licensePools { ${POOL_FIELDS} } } } }`;
const VA_ALERTS = `query($id: ID!) { node(id: $id) { ... on VirtualAccount { alerts { type severity quantity product { sku } productInstance { id } } } } }`;
const TRANSFER_LICENSES = `mutation($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity } }`;
const DELETE_VA = `mutation($id: ID!) { deleteVirtualAccount(id: $id) }`;

interface Pool {
  product: { sku: string };
  purchased: number;
  inUse: number;
  available: number;
  shortage: number;
  status: string;
}

describe("rules R23–R28: registration tokens and product instances", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.set(START));

  const account = accounts(() => server);

  const vaId = (va: VirtualAccount) => gid("VirtualAccount", va.id);
  const deviceId = (id: number) => gid("ProductInstance", id);

  const register = (token: string, pid: string, serialNumber: string, as: string | null = null, hostname?: string) =>
    server.gql(REGISTER, { input: { token, pid, serialNumber, hostname } }, as);
  const report = (credential: string, usage: { sku: string; count: number }[]) => server.gql(REPORT, { input: { credential, usage } });

  async function poolsOf(va: VirtualAccount, as: string): Promise<Pool[]> {
    const result = await server.gql(VA_POOLS, { id: vaId(va) }, as);
    expect(result.errors).toBeUndefined();
    return result.data.node.licensePools;
  }
  const poolOf = async (va: VirtualAccount, sku: string, as: string) => (await poolsOf(va, as)).find((pool) => pool.product.sku === sku);

  /** Usage of a device as { sku: count }, read straight from the database. */
  async function usageOf(productInstanceId: number): Promise<Record<string, number>> {
    const rows: { sku: string; count: unknown }[] = await server.db.dataSource.query(
      "SELECT p.sku AS sku, u.count AS count FROM license_usages u JOIN products p ON p.id = u.product_id WHERE u.product_instance_id = ? ORDER BY p.sku",
      [productInstanceId],
    );
    return Object.fromEntries(rows.map((row) => [row.sku, Number(row.count)]));
  }

  const tokenRow = (id: number) => server.db.manager.findOneByOrFail(RegistrationToken, { id });
  const deviceRow = (id: number) => server.db.manager.findOneBy(ProductInstance, { id });

  const expectBadInput = (result: GqlResult, field: string) => {
    expect(result.data).toBeNull();
    expectCode(result, "BAD_USER_INPUT", { field });
  };

  // -------------------------------------------------------------------------------------------------------
  describe("R23 registration tokens", () => {
    it("R23 createRegistrationToken returns the secret once; the token lists with its uses and state", async () => {
      const { built, admin } = await account("r23-create.com");
      const us = await built.virtualAccount("US");
      const events = await eventCount(server);
      const result = await server.gql(
        CREATE_TOKEN,
        { input: { virtualAccountId: vaId(us), description: "  lab switches  ", expiresInDays: 30, maxUses: 3 } },
        admin,
      );
      expect(result.errors).toBeUndefined();
      const { secret, token } = result.data.createRegistrationToken;
      expect(typeof secret).toBe("string");
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(token).toMatchObject({
        description: "lab switches",
        createdAt: START.toISOString(),
        expiresAt: days(30).toISOString(),
        maxUses: 3,
        uses: 0,
        exportControlled: false,
        revokedAt: null,
        createdBy: { email: admin },
        virtualAccount: { id: vaId(us) },
      });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("REGISTRATION_TOKEN_CREATED");

      // Listed on the Virtual Account, without the secret; the token works and counts its uses.
      await register(secret, "C9300-48P", "R23SN1");
      const listed = await server.gql(TOKENS, { id: vaId(us) }, admin);
      expect(listed.errors).toBeUndefined();
      expect(listed.data.node.registrationTokens).toEqual({ totalCount: 1, nodes: [{ id: token.id, uses: 1, maxUses: 3, revokedAt: null }] });
      expect(JSON.stringify(listed.data)).not.toContain(secret);
      // node(id:) round-trips it.
      const node = await server.gql(`query($id: ID!) { node(id: $id) { ... on RegistrationToken { id uses } } }`, { id: token.id }, admin);
      expect(node.data.node).toEqual({ id: token.id, uses: 1 });
    });

    it("R23 only a SHA-256 hash of the secret is stored", async () => {
      const { built, admin } = await account("r23-hash.com");
      const result = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: vaId(built.defaultVirtualAccount), expiresInDays: 5 } }, admin);
      expect(result.errors).toBeUndefined();
      const { secret } = result.data.createRegistrationToken;
      const rows: { secret_hash: string }[] = await server.db.dataSource.query(
        "SELECT secret_hash FROM registration_tokens WHERE virtual_account_id = ?",
        [built.defaultVirtualAccount.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].secret_hash).not.toBe(secret);
      expect(rows[0].secret_hash).toBe(sha256(secret));
      // The secret appears in no column of the row.
      const all: Record<string, unknown>[] = await server.db.dataSource.query("SELECT * FROM registration_tokens WHERE virtual_account_id = ?", [
        built.defaultVirtualAccount.id,
      ]);
      expect(JSON.stringify(all)).not.toContain(secret);
    });

    it("R23 expiresInDays 0 or 366 and maxUses 0 → BAD_USER_INPUT naming the field, nothing written", async () => {
      const { built, admin } = await account("r23-range.com");
      const va = vaId(built.defaultVirtualAccount);
      const tokens = await countRows(server, "registration_tokens");
      const events = await eventCount(server);
      for (const [input, field] of [
        [{ expiresInDays: 0 }, "input.expiresInDays"],
        [{ expiresInDays: 366 }, "input.expiresInDays"],
        [{ expiresInDays: -1 }, "input.expiresInDays"],
        [{ expiresInDays: 30, maxUses: 0 }, "input.maxUses"],
        [{ expiresInDays: 30, maxUses: -5 }, "input.maxUses"],
      ] as const) {
        const result = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: va, ...input } }, admin);
        expectBadInput(result, field);
      }
      expect(await countRows(server, "registration_tokens")).toBe(tokens);
      expect(await eventCount(server)).toBe(events);
      // The bounds themselves are accepted.
      for (const input of [{ expiresInDays: 1, maxUses: 1 }, { expiresInDays: 365 }]) {
        const result = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: va, ...input } }, admin);
        expect(result.errors).toBeUndefined();
      }
    });

    it("R23 maxUses omitted = unlimited (null)", async () => {
      const { built, admin } = await account("r23-unlimited.com");
      const result = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: vaId(built.defaultVirtualAccount), expiresInDays: 10 } }, admin);
      expect(result.errors).toBeUndefined();
      const { secret, token } = result.data.createRegistrationToken;
      expect(token.maxUses).toBeNull();
      for (let i = 0; i < 3; i++) expect((await register(secret, "C9300-24T", `R23UNL${i}`)).errors).toBeUndefined();
      const listed = await server.gql(TOKENS, { id: vaId(built.defaultVirtualAccount) }, admin);
      expect(listed.data.node.registrationTokens.nodes[0]).toMatchObject({ maxUses: null, uses: 3 });
    });

    it("R23 R17 a token in a PARTNER_HOLDING account → BAD_USER_INPUT", async () => {
      const { built, admin } = await account("r17-holding.com", { type: SmartAccountType.PARTNER_HOLDING });
      const tokens = await countRows(server, "registration_tokens");
      const events = await eventCount(server);
      const result = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: vaId(built.defaultVirtualAccount), expiresInDays: 30 } }, admin);
      expectBadInput(result, "input.virtualAccountId");
      expect(await countRows(server, "registration_tokens")).toBe(tokens);
      expect(await eventCount(server)).toBe(events);
    });

    it("R23 revokeRegistrationToken sets revokedAt and the token stays listed; revoking twice → CONFLICT", async () => {
      const { built, admin } = await account("r23-revoke.com");
      const { token } = await built.token(built.defaultVirtualAccount, { maxUses: 4 });
      const id = gid("RegistrationToken", token.id);
      server.clock.advanceDays(2);
      const events = await eventCount(server);
      const result = await server.gql(REVOKE_TOKEN, { id }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.revokeRegistrationToken).toEqual({ id, revokedAt: days(2).toISOString(), uses: 0 });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("REGISTRATION_TOKEN_REVOKED");

      const listed = await server.gql(TOKENS, { id: vaId(built.defaultVirtualAccount) }, admin);
      expect(listed.data.node.registrationTokens).toEqual({
        totalCount: 1,
        nodes: [{ id, uses: 0, maxUses: 4, revokedAt: days(2).toISOString() }],
      });

      server.clock.advanceDays(1);
      const again = await server.gql(REVOKE_TOKEN, { id }, admin);
      expect(codeOf(again)).toBe("CONFLICT");
      expect(again.data).toBeNull();
      expect(await eventCount(server)).toBe(events + 1);
      expect((await tokenRow(token.id)).revokedAt!.toISOString()).toBe(days(2).toISOString());
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R24 registration", () => {
    it("R24 registerProductInstance needs no bearer token (nor a valid one) and uses the token once per registration", async () => {
      const { built, admin } = await account("r24-register.com");
      const us = await built.virtualAccount("US");
      const { token, secret } = await built.token(us, { maxUses: 10 });
      const events = await eventCount(server);

      const first = await register(secret, "C9300-48P", "FOC24A001", null, "sw-1");
      expect(first.errors).toBeUndefined();
      const device = first.data.registerProductInstance.productInstance;
      expect(device).toEqual({
        id: expect.any(String),
        pid: "C9300-48P",
        serialNumber: "FOC24A001",
        hostname: "sw-1",
        registeredAt: START.toISOString(),
        lastReportedAt: null,
        usage: [],
      });
      expect(first.data.registerProductInstance.credential).toEqual(expect.any(String));
      expect((await tokenRow(token.id)).uses).toBe(1);
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("PRODUCT_INSTANCE_REGISTERED");

      // R1: a badly signed bearer token does not stop a device from registering.
      const second = await register(secret, "C9300-48P", "FOC24A002", "raw:not.a.jwt");
      expect(second.errors).toBeUndefined();
      expect((await tokenRow(token.id)).uses).toBe(2);
      expect(await eventCount(server)).toBe(events + 2);

      // Both devices are in the token's Virtual Account.
      const listed = await server.gql(VA_DEVICES, { id: vaId(us) }, admin);
      expect(listed.data.node.productInstances.nodes.map((node: { serialNumber: string }) => node.serialNumber)).toEqual(["FOC24A001", "FOC24A002"]);
      expect(listed.data.node.productInstances.nodes.every((node: { virtualAccount: { id: string } }) => node.virtualAccount.id === vaId(us))).toBe(
        true,
      );
    });

    describe("R24 refused tokens → UNAUTHENTICATED with a reason, nothing written", () => {
      let built: AccountBuilder;
      beforeAll(async () => {
        ({ built } = await account("r24-refused.com"));
      });

      async function expectRefused(secret: string, reason: string, tokenId?: number) {
        const devices = await countRows(server, "product_instances");
        const events = await eventCount(server);
        const usesBefore = tokenId ? (await tokenRow(tokenId)).uses : null;
        expectUnauthenticated(await register(secret, "C9300-48P", `REFUSED-${reason}`), reason);
        expect(await countRows(server, "product_instances")).toBe(devices);
        expect(await eventCount(server)).toBe(events);
        if (tokenId) expect((await tokenRow(tokenId)).uses).toBe(usesBefore);
      }

      it("R24 an unknown token → UNAUTHENTICATED with reason UNKNOWN", async () => {
        await expectRefused("sat_doesnotexist0000000000000000000000000000", "UNKNOWN");
        await expectRefused("not-a-token", "UNKNOWN");
        // A device credential is not a registration token.
        const { credential } = await built.device(built.defaultVirtualAccount, "C9300-48P", "R24CRED");
        await expectRefused(credential, "UNKNOWN");
      });

      it("R24 an expired token → UNAUTHENTICATED with reason EXPIRED", async () => {
        const { token, secret } = await built.token(built.defaultVirtualAccount, { expiresAt: days(10) });
        server.clock.set(new Date(days(10).getTime() + 1000));
        await expectRefused(secret, "EXPIRED", token.id);
        // Just before expiry it still works.
        server.clock.set(new Date(days(10).getTime() - 1000));
        expect((await register(secret, "C9300-48P", "R24-BEFORE-EXPIRY")).errors).toBeUndefined();
      });

      it("R24 a revoked token → UNAUTHENTICATED with reason REVOKED", async () => {
        const { token, secret } = await built.token(built.defaultVirtualAccount, { revokedAt: days(-1) });
        await expectRefused(secret, "REVOKED", token.id);
      });

      it("R24 a used-up token → UNAUTHENTICATED with reason EXHAUSTED", async () => {
        const { token, secret } = await built.token(built.defaultVirtualAccount, { maxUses: 2, uses: 1 });
        expect((await register(secret, "C9300-48P", "R24-LAST-USE")).errors).toBeUndefined();
        expect((await tokenRow(token.id)).uses).toBe(2);
        await expectRefused(secret, "EXHAUSTED", token.id);
      });

      it("R24 a token revoked via the API is refused with REVOKED", async () => {
        const admin = "admin@r24-refused.com";
        const { token, secret } = await built.token(built.defaultVirtualAccount);
        expect((await server.gql(REVOKE_TOKEN, { id: gid("RegistrationToken", token.id) }, admin)).errors).toBeUndefined();
        await expectRefused(secret, "REVOKED", token.id);
      });
    });

    it("R24 re-registering (pid, serialNumber) with another Virtual Account's token moves the device with its usage and replaces its credential", async () => {
      const { built, admin } = await account("r24-move.com");
      const [east, west] = [await built.virtualAccount("East"), await built.virtualAccount("West")];
      await built.license(east, NW, 5);
      await built.license(west, NW, 5);
      const tokenEast = await built.token(east);
      const tokenWest = await built.token(west, { maxUses: 1 });

      const first = await register(tokenEast.secret, "C9300-48P", "FOC-MOVE-1", null, "edge-1");
      expect(first.errors).toBeUndefined();
      const oldCredential = first.data.registerProductInstance.credential;
      const id = first.data.registerProductInstance.productInstance.id;
      expect((await report(oldCredential, [{ sku: NW, count: 3 }])).errors).toBeUndefined();
      expect(await poolOf(east, NW, admin)).toMatchObject({ purchased: 5, inUse: 3, available: 2 });

      server.clock.advanceDays(3);
      const events = await eventCount(server);
      const devices = await countRows(server, "product_instances");
      const second = await register(tokenWest.secret, "C9300-48P", "FOC-MOVE-1");
      expect(second.errors).toBeUndefined();
      const moved = second.data.registerProductInstance;
      // The same product instance, re-registered now, hostname kept, usage kept.
      expect(moved.productInstance).toMatchObject({
        id,
        hostname: "edge-1",
        registeredAt: days(3).toISOString(),
        usage: [{ product: { sku: NW }, count: 3 }],
      });
      expect(moved.credential).not.toBe(oldCredential);
      expect(await countRows(server, "product_instances")).toBe(devices);
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("PRODUCT_INSTANCE_REREGISTERED");
      expect((await tokenRow(tokenWest.token.id)).uses).toBe(1);

      const node = await server.gql(DEVICE_NODE, { id }, admin);
      expect(node.data.node.virtualAccount).toEqual({ id: vaId(west) });
      // Usage went with it.
      expect(await poolOf(east, NW, admin)).toMatchObject({ purchased: 5, inUse: 0, available: 5 });
      expect(await poolOf(west, NW, admin)).toMatchObject({ purchased: 5, inUse: 3, available: 2 });

      // The old credential no longer works; the new one does.
      expectUnauthenticated(await report(oldCredential, [{ sku: NW, count: 1 }]), "UNKNOWN");
      const row = await server.db.manager.findOneByOrFail(ProductInstance, { serialNumber: "FOC-MOVE-1" });
      expect(gid("ProductInstance", row.id)).toBe(id);
      expect(row.credentialHash).toBe(sha256(moved.credential));
      expect(await usageOf(row.id)).toEqual({ [NW]: 3 });
      const fresh = await report(moved.credential, [{ sku: NW, count: 1 }]);
      expect(fresh.errors).toBeUndefined();
      expect(fresh.data.reportUsage.usage).toEqual([{ product: { sku: NW }, count: 1 }]);
    });

    it("R24 a device registered in another Smart Account is not taken: CONFLICT, the device, its usage and credential untouched, the token not used, no event", async () => {
      const { built, admin } = await account("r24-taken-a.com");
      const other = await account("r24-taken-b.com");
      const [finance] = await built.chain("Finance");
      const { device, credential } = await built.device(finance, "C9300-48P", "FOC-TAKEN-1", { hostname: "fin-sw", usage: [{ sku: NW, count: 4 }] });
      const rowBefore = await deviceRow(device.id);
      const { token, secret } = await other.built.token(other.built.defaultVirtualAccount, { maxUses: 1 });
      const events = await eventCount(server);

      server.clock.advanceDays(1);
      const result = await register(secret, "C9300-48P", "FOC-TAKEN-1", null, "stolen");
      expect(result.data).toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions.code).toBe("CONFLICT");
      expect(await deviceRow(device.id)).toEqual(rowBefore);
      expect(await usageOf(device.id)).toEqual({ [NW]: 4 });
      expect((await tokenRow(token.id)).uses).toBe(0);
      expect(await eventCount(server)).toBe(events);
      expect(await countRows(server, "product_instances", "smart_account_id = ?", [other.built.id])).toBe(0);

      // The device still reports with its own credential; the token still registers a new device once.
      expect((await report(credential, [{ sku: NW, count: 4 }])).errors).toBeUndefined();
      expect(await poolOf(finance, NW, admin)).toMatchObject({ inUse: 4 });
      expect((await register(secret, "C9300-48P", "FOC-TAKEN-2")).errors).toBeUndefined();
      expect((await tokenRow(token.id)).uses).toBe(1);
    });

    it("R24 the credential is returned once and stored only as a hash", async () => {
      const { built } = await account("r24-credential.com");
      const { secret } = await built.token(built.defaultVirtualAccount);
      const result = await register(secret, "C9300-24T", "FOC-HASH-1");
      expect(result.errors).toBeUndefined();
      const { credential, productInstance } = result.data.registerProductInstance;
      const row = await server.db.manager.findOneByOrFail(ProductInstance, { serialNumber: "FOC-HASH-1" });
      expect(gid("ProductInstance", row.id)).toBe(productInstance.id);
      expect(row.credentialHash).not.toBe(credential);
      expect(row.credentialHash).toBe(sha256(credential));
      const all: Record<string, unknown>[] = await server.db.dataSource.query("SELECT * FROM product_instances WHERE id = ?", [row.id]);
      expect(JSON.stringify(all)).not.toContain(credential);
    });

    it("R24 the registering device reads its own R24 fields but not virtualAccount (FORBIDDEN at that path)", async () => {
      const { built } = await account("r24-device-reads.com");
      const { secret } = await built.token(built.defaultVirtualAccount);
      const result = await server.gql(REGISTER_WITH_VA, { input: { token: secret, pid: "C9300-24T", serialNumber: "FOC-READ-1" } }, null);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions.code).toBe("FORBIDDEN");
      expect(result.errors![0].path).toEqual(["registerProductInstance", "productInstance", "virtualAccount"]);
      expect(JSON.stringify(result)).not.toContain(`"${vaId(built.defaultVirtualAccount)}"`);

      // The same device, asking with reportUsage, may read its R24 fields, but not virtualAccount.
      const device = await built.device(built.defaultVirtualAccount, "C9300-24T", "FOC-READ-2");
      const own = await report(device.credential, [{ sku: SEC, count: 2 }]);
      expect(own.errors).toBeUndefined();
      expect(own.data.reportUsage).toMatchObject({ id: deviceId(device.device.id), pid: "C9300-24T", serialNumber: "FOC-READ-2" });
      const peek = await server.gql(`mutation($input: ReportUsageInput!) { reportUsage(input: $input) { id virtualAccount { id } } }`, {
        input: { credential: device.credential, usage: [] },
      });
      expect(peek.errors).toHaveLength(1);
      expect(peek.errors![0].extensions.code).toBe("FORBIDDEN");
      expect(peek.errors![0].path).toEqual(["reportUsage", "virtualAccount"]);
    });

    it("R24 a signed-in user with no rights in the account who registers a device does not see its virtualAccount", async () => {
      const { built } = await account("r24-stranger.com");
      const other = await account("r24-stranger-own.com");
      const stranger = other.admin; // SMART_ACCOUNT_ADMIN elsewhere, nothing here
      const { secret } = await built.token(built.defaultVirtualAccount);
      const result = await server.gql(REGISTER_WITH_VA, { input: { token: secret, pid: "C9300-24T", serialNumber: "FOC-STRANGER" } }, stranger);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0].extensions.code).toBe("FORBIDDEN");
      expect(result.errors![0].path).toEqual(["registerProductInstance", "productInstance", "virtualAccount"]);
      expect(JSON.stringify(result)).not.toContain(`"${vaId(built.defaultVirtualAccount)}"`);
      // The registration itself went through; the stranger still cannot see the device.
      const row = await server.db.manager.findOneByOrFail(ProductInstance, { serialNumber: "FOC-STRANGER" });
      const node = await server.gql(DEVICE_NODE, { id: deviceId(row.id) }, stranger);
      expect(node.errors).toBeUndefined();
      expect(node.data.node).toBeNull();
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R25 usage", () => {
    it("R25 reportUsage replaces the usage set and sets lastReportedAt", async () => {
      const { built, admin } = await account("r25-replace.com");
      const { device, credential } = await built.device(built.defaultVirtualAccount, "ISR4451-X", "FGL-R25-1", {
        usage: [{ sku: SEC, count: 4 }],
        lastReportedAt: null,
      });
      server.clock.advanceDays(1);
      let events = await eventCount(server);
      const first = await report(credential, [
        { sku: NW, count: 3 },
        { sku: DNA, count: 2 },
      ]);
      expect(first.errors).toBeUndefined();
      expect(first.data.reportUsage.lastReportedAt).toBe(days(1).toISOString());
      expect(await usageOf(device.id)).toEqual({ [NW]: 3, [DNA]: 2 });
      expect(await eventCount(server)).toBe(++events);
      expect(await lastEventType(server)).toBe("USAGE_REPORTED");

      server.clock.advanceDays(1);
      const second = await report(credential, [{ sku: DNA.toLowerCase(), count: 7 }]);
      expect(second.errors).toBeUndefined();
      expect(second.data.reportUsage).toMatchObject({ lastReportedAt: days(2).toISOString(), usage: [{ product: { sku: DNA }, count: 7 }] });
      expect(await usageOf(device.id)).toEqual({ [DNA]: 7 });
      expect(await eventCount(server)).toBe(++events);

      // Bounds 0 and 1,000,000 are accepted; an empty report clears the usage.
      expect(
        (
          await report(credential, [
            { sku: NW, count: 0 },
            { sku: SEC, count: 1_000_000 },
          ])
        ).errors,
      ).toBeUndefined();
      expect(await usageOf(device.id)).toEqual({ [NW]: 0, [SEC]: 1_000_000 });
      expect((await report(credential, [])).errors).toBeUndefined();
      expect(await usageOf(device.id)).toEqual({});

      const node = await server.gql(DEVICE_NODE, { id: deviceId(device.id) }, admin);
      expect(node.data.node).toMatchObject({ lastReportedAt: days(2).toISOString(), usage: [] });
    });

    it("R25 unknown SKU, count -1 / 1,000,001 or a duplicate SKU → BAD_USER_INPUT naming the line, nothing changed", async () => {
      const { built } = await account("r25-invalid.com");
      const { device, credential } = await built.device(built.defaultVirtualAccount, "ISR4451-X", "FGL-R25-2", {
        usage: [{ sku: SEC, count: 4 }],
        lastReportedAt: days(-1),
      });
      server.clock.advanceDays(1);
      const events = await eventCount(server);
      const cases: [{ sku: string; count: number }[], string][] = [
        [
          [
            { sku: NW, count: 1 },
            { sku: "NO-SUCH-SKU", count: 1 },
          ],
          "input.usage[1].sku",
        ],
        [[{ sku: NW, count: -1 }], "input.usage[0].count"],
        [
          [
            { sku: NW, count: 1 },
            { sku: SEC, count: 1_000_001 },
          ],
          "input.usage[1].count",
        ],
        [
          [
            { sku: NW, count: 1 },
            { sku: SEC, count: 2 },
            { sku: NW, count: 3 },
          ],
          "input.usage[2].sku",
        ],
        [
          [
            { sku: SEC, count: 1 },
            { sku: SEC.toLowerCase(), count: 3 },
          ],
          "input.usage[1].sku",
        ],
      ];
      for (const [usage, field] of cases) {
        expectBadInput(await report(credential, usage), field);
      }
      expect(await usageOf(device.id)).toEqual({ [SEC]: 4 });
      expect((await deviceRow(device.id))!.lastReportedAt!.toISOString()).toBe(days(-1).toISOString());
      expect(await eventCount(server)).toBe(events);
    });

    it("R25 a known SKU counts whatever its case, also one the catalog spells in mixed case (ASAv10-THREAT-1Y)", async () => {
      const { built } = await account("r25-case.com");
      const { device, credential } = await built.device(built.defaultVirtualAccount, "ASAv10", "R25-CASE");
      for (const sku of ["ASAv10-THREAT-1Y", "asav10-threat-1y", "ASAV10-THREAT-1Y"]) {
        const result = await report(credential, [
          { sku, count: 2 },
          { sku: NW.toLowerCase(), count: 1 },
        ]);
        expect({ sku, errors: result.errors }).toEqual({ sku, errors: undefined });
        expect(await usageOf(device.id)).toEqual({ "ASAv10-THREAT-1Y": 2, [NW]: 1 });
      }
    });

    it("R25 overage is allowed and shows as a shortage in the pool", async () => {
      const { built, admin } = await account("r25-overage.com");
      const va = built.defaultVirtualAccount;
      await built.license(va, NW, 2);
      const { credential } = await built.device(va, "C9300-48P", "FOC-OVER-1");
      const result = await report(credential, [{ sku: NW, count: 5 }]);
      expect(result.errors).toBeUndefined();
      expect(await poolOf(va, NW, admin)).toEqual({
        product: { sku: NW },
        purchased: 2,
        inUse: 5,
        available: 0,
        shortage: 3,
        status: "OUT_OF_COMPLIANCE",
      });
    });

    it("R25 a bad credential → UNAUTHENTICATED with reason UNKNOWN, nothing written", async () => {
      const { built } = await account("r25-bad-credential.com");
      const { secret } = await built.token(built.defaultVirtualAccount);
      const events = await eventCount(server);
      const usages = await countRows(server, "license_usages");
      for (const credential of ["dev_unknown000000000000000000000000000000000", "garbage", secret, ""]) {
        expectUnauthenticated(await report(credential, [{ sku: NW, count: 1 }]), "UNKNOWN");
      }
      expect(await eventCount(server)).toBe(events);
      expect(await countRows(server, "license_usages")).toBe(usages);
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R26 device transfer, removal and lists", () => {
    it("R26 transferProductInstance moves the device with its usage; the pools of both Virtual Accounts follow", async () => {
      const { built, admin } = await account("r26-transfer.com");
      const [east, west] = [await built.virtualAccount("East"), await built.virtualAccount("West")];
      await built.license(east, NW, 5);
      await built.license(west, NW, 1);
      const { device } = await built.device(east, "C9300-48P", "FOC-R26-T", { usage: [{ sku: NW, count: 3 }] });
      expect(await poolOf(east, NW, admin)).toMatchObject({ inUse: 3, available: 2, shortage: 0 });
      expect(await poolOf(west, NW, admin)).toMatchObject({ inUse: 0, available: 1 });

      const events = await eventCount(server);
      const result = await server.gql(TRANSFER_DEVICE, { input: { id: deviceId(device.id), toVirtualAccountId: vaId(west) } }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.transferProductInstance).toEqual({ id: deviceId(device.id), virtualAccount: { id: vaId(west) } });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("PRODUCT_INSTANCE_TRANSFERRED");

      expect(await poolOf(east, NW, admin)).toEqual({
        product: { sku: NW },
        purchased: 5,
        inUse: 0,
        available: 5,
        shortage: 0,
        status: "AUTHORIZED",
      });
      expect(await poolOf(west, NW, admin)).toEqual({
        product: { sku: NW },
        purchased: 1,
        inUse: 3,
        available: 0,
        shortage: 2,
        status: "OUT_OF_COMPLIANCE",
      });
      expect(await usageOf(device.id)).toEqual({ [NW]: 3 });
      expect((await deviceRow(device.id))!.virtualAccountId).toBe(west.id);

      // Into the Virtual Account it is already in → BAD_USER_INPUT, nothing written.
      const same = await server.gql(TRANSFER_DEVICE, { input: { id: deviceId(device.id), toVirtualAccountId: vaId(west) } }, admin);
      expect(codeOf(same)).toBe("BAD_USER_INPUT");
      expect(await eventCount(server)).toBe(events + 1);
    });

    it("R26 R17 transferProductInstance into a PARTNER_HOLDING account → BAD_USER_INPUT, nothing moved", async () => {
      const { built, admin } = await account("r26-to-holding.com");
      const holding = await server.build.account("r26-holding.com", { type: SmartAccountType.PARTNER_HOLDING });
      await holding.grant(admin, Role.SMART_ACCOUNT_ADMIN);
      const { device } = await built.device(built.defaultVirtualAccount, "C9300-48P", "FOC-R26-H", { usage: [{ sku: NW, count: 1 }] });
      const events = await eventCount(server);
      const result = await server.gql(
        TRANSFER_DEVICE,
        { input: { id: deviceId(device.id), toVirtualAccountId: vaId(holding.defaultVirtualAccount) } },
        admin,
      );
      expectBadInput(result, "input.toVirtualAccountId");
      expect(await eventCount(server)).toBe(events);
      expect(await deviceRow(device.id)).toMatchObject({ virtualAccountId: built.defaultVirtualAccount.id, smartAccountId: built.id });
    });

    it("R26 transferProductInstance into another Smart Account the caller manages moves it there", async () => {
      const { built, admin } = await account("r26-cross-a.com");
      const other = await server.build.account("r26-cross-b.com");
      await other.grant(admin, Role.SMART_ACCOUNT_USER);
      const { device } = await built.device(built.defaultVirtualAccount, "C9300-48P", "FOC-R26-X", { usage: [{ sku: SEC, count: 2 }] });
      const result = await server.gql(
        TRANSFER_DEVICE,
        { input: { id: deviceId(device.id), toVirtualAccountId: vaId(other.defaultVirtualAccount) } },
        admin,
      );
      expect(result.errors).toBeUndefined();
      expect(await deviceRow(device.id)).toMatchObject({ virtualAccountId: other.defaultVirtualAccount.id, smartAccountId: other.id });
      expect(await poolOf(other.defaultVirtualAccount, SEC, admin)).toMatchObject({ inUse: 2, shortage: 2 });
      const list = await server.gql(SA_DEVICES, { domain: "r26-cross-b.com" }, admin);
      expect(list.data.smartAccount.productInstances.nodes.map((node: { id: string }) => node.id)).toEqual([deviceId(device.id)]);
      const gone = await server.gql(SA_DEVICES, { domain: "r26-cross-a.com" }, admin);
      expect(gone.data.smartAccount.productInstances.totalCount).toBe(0);
    });

    it("R26 into another Smart Account with only a Virtual Account role on the source → FORBIDDEN, the device and its usage stay, no event", async () => {
      const { built } = await account("r26-out-a.com");
      const other = await account("r26-out-b.com");
      const [us] = await built.chain("US");
      const { device } = await built.device(us, "C9300-48P", "FOC-R26-OUT", { usage: [{ sku: SEC, count: 2 }] });
      for (const role of [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER]) {
        const mover = `${role.toLowerCase()}@r26-out.com`;
        await built.grant(mover, role, us);
        await other.built.grant(mover, Role.SMART_ACCOUNT_ADMIN);
        const events = await eventCount(server);
        const result = await server.gql(
          TRANSFER_DEVICE,
          { input: { id: deviceId(device.id), toVirtualAccountId: vaId(other.built.defaultVirtualAccount) } },
          mover,
        );
        expect({ role, code: codeOf(result), data: result.data }).toEqual({ role, code: "FORBIDDEN", data: null });
        expect(await deviceRow(device.id)).toMatchObject({ smartAccountId: built.id, virtualAccountId: us.id });
        expect(await usageOf(device.id)).toEqual({ [SEC]: 2 });
        expect(await eventCount(server)).toBe(events);
        // Within the account their role still moves it.
        const [lab] = await built.chain(`Lab-${role}`);
        await built.grant(mover, role, lab);
        const within = await server.gql(TRANSFER_DEVICE, { input: { id: deviceId(device.id), toVirtualAccountId: vaId(lab) } }, mover);
        expect(within.errors).toBeUndefined();
        await server.db.manager.update(ProductInstance, { id: device.id }, { virtualAccountId: us.id });
        await moveUsage(server.db.manager, await deviceUsage(server.db.manager, device.id), lab.id, us.id, server.clock.now());
      }
    });

    it("R26 removeProductInstance deletes it and releases its usage; licenses keep their dates", async () => {
      const { built, admin } = await account("r26-remove.com");
      const va = built.defaultVirtualAccount;
      const lot = await built.license(va, DNA, 4, { startsAt: days(-100), endsAt: days(400) });
      const { device, credential } = await built.device(va, "C9300-48P", "FOC-R26-R", { usage: [{ sku: DNA, count: 6 }] });
      await built.device(va, "C9300-48P", "FOC-R26-STAYS", { usage: [{ sku: DNA, count: 1 }] });
      expect(await poolOf(va, DNA, admin)).toMatchObject({ purchased: 4, inUse: 7, shortage: 3 });

      const events = await eventCount(server);
      const result = await server.gql(REMOVE_DEVICE, { id: deviceId(device.id) }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.removeProductInstance).toBe(deviceId(device.id));
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("PRODUCT_INSTANCE_REMOVED");

      expect(await deviceRow(device.id)).toBeNull();
      expect(await countRows(server, "license_usages", "product_instance_id = ?", [device.id])).toBe(0);
      expect(await poolOf(va, DNA, admin)).toEqual({
        product: { sku: DNA },
        purchased: 4,
        inUse: 1,
        available: 3,
        shortage: 0,
        status: "AUTHORIZED",
      });
      const node = await server.gql(DEVICE_NODE, { id: deviceId(device.id) }, admin);
      expect(node.data.node).toBeNull();
      const rows = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on License { quantity startsAt endsAt } } }`,
        { id: gid("License", lot.id) },
        admin,
      );
      expect(rows.data.node).toEqual({ quantity: 4, startsAt: days(-100).toISOString(), endsAt: days(400).toISOString() });
      // Its credential is gone with it.
      expectUnauthenticated(await report(credential, []), "UNKNOWN");
      // Removing it again → NOT_FOUND, no event.
      const again = await server.gql(REMOVE_DEVICE, { id: deviceId(device.id) }, admin);
      expect(codeOf(again)).toBe("NOT_FOUND");
      expect(await eventCount(server)).toBe(events + 1);
    });

    it("R26 productInstances lists on VirtualAccount and SmartAccount (only the viewer's visible Virtual Accounts), with paging", async () => {
      const { built, admin } = await account("r26-lists.com");
      const [us, finance] = await built.chain("US", "Finance");
      const emea = await built.virtualAccount("EMEA");
      const usDevices = [];
      for (let i = 1; i <= 3; i++) usDevices.push((await built.device(us, "C9300-48P", `US-${i}`)).device);
      const financeDevice = (await built.device(finance, "C9300-48P", "FIN-1")).device;
      const emeaDevice = (await built.device(emea, "C9300-48P", "EMEA-1")).device;
      const usUser = "us-user@r26-lists.com";
      await built.grant(usUser, Role.VIRTUAL_ACCOUNT_USER, us);

      // VirtualAccount.productInstances: only that Virtual Account's devices, paged.
      const page1 = await server.gql(VA_DEVICES, { id: vaId(us), first: 2 }, admin);
      expect(page1.errors).toBeUndefined();
      const conn1 = page1.data.node.productInstances;
      expect(conn1.totalCount).toBe(3);
      expect(conn1.nodes.map((node: { serialNumber: string }) => node.serialNumber)).toEqual(["US-1", "US-2"]);
      expect(conn1.pageInfo.hasNextPage).toBe(true);
      const page2 = await server.gql(VA_DEVICES, { id: vaId(us), first: 2, after: conn1.pageInfo.endCursor }, admin);
      expect(page2.data.node.productInstances.nodes.map((node: { serialNumber: string }) => node.serialNumber)).toEqual(["US-3"]);
      expect(page2.data.node.productInstances.pageInfo.hasNextPage).toBe(false);
      // A cursor of another connection kind → BAD_USER_INPUT (R5).
      const tokensPage = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on VirtualAccount { children(first: 1) { pageInfo { endCursor } } } } }`,
        { id: vaId(us) },
        admin,
      );
      const foreign = await server.gql(VA_DEVICES, { id: vaId(us), first: 2, after: tokensPage.data.node.children.pageInfo.endCursor }, admin);
      expect(codeOf(foreign)).toBe("BAD_USER_INPUT");

      // SmartAccount.productInstances: every device for the SA admin, paged.
      const all = await server.gql(SA_DEVICES, { domain: "r26-lists.com", first: 4 }, admin);
      const allConn = all.data.smartAccount.productInstances;
      expect(allConn.totalCount).toBe(5);
      expect(allConn.nodes).toHaveLength(4);
      const rest = await server.gql(SA_DEVICES, { domain: "r26-lists.com", first: 4, after: allConn.pageInfo.endCursor }, admin);
      const allIds = [...allConn.nodes, ...rest.data.smartAccount.productInstances.nodes].map((node: { id: string }) => node.id);
      expect(allIds).toEqual([...usDevices, financeDevice, emeaDevice].map((device) => deviceId(device.id)));

      // ...and only the US subtree for a VIRTUAL_ACCOUNT_USER of US, whose subtree in another account
      // (with a device of its own) counts there, not here.
      const { built: other } = await account("r26-lists-other.com");
      const elsewhere = await other.virtualAccount("US");
      await other.device(elsewhere, "C9300-48P", "OTHER-1");
      await other.grant(usUser, Role.VIRTUAL_ACCOUNT_USER, elsewhere);
      const scoped = await server.gql(SA_DEVICES, { domain: "r26-lists.com" }, usUser);
      expect(scoped.errors).toBeUndefined();
      expect(scoped.data.smartAccount.productInstances.totalCount).toBe(4);
      expect(scoped.data.smartAccount.productInstances.nodes.map((node: { id: string }) => node.id)).toEqual(
        [...usDevices, financeDevice].map((device) => deviceId(device.id)),
      );
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R27 R28 R19 with devices", () => {
    it("R27 inUse sums the devices' usage; available, shortage and OUT_OF_COMPLIANCE follow", async () => {
      const { built, admin } = await account("r27-devices.com");
      const [us, finance] = await built.chain("US", "Finance");
      await built.license(us, NW, 10);
      await built.license(us, SEC, 2);
      await built.device(us, "C9300-48P", "R27-1", {
        usage: [
          { sku: NW, count: 4 },
          { sku: SEC, count: 2 },
        ],
      });
      await built.device(us, "C9300-48P", "R27-2", {
        usage: [
          { sku: NW, count: 3 },
          { sku: SEC, count: 1 },
        ],
      });
      await built.device(finance, "C9300-48P", "R27-3", { usage: [{ sku: DNA, count: 6 }] });
      const pools = await poolsOf(us, admin);
      const bySku = Object.fromEntries(pools.map((pool) => [pool.product.sku, pool]));
      expect(bySku[NW]).toEqual({ product: { sku: NW }, purchased: 10, inUse: 7, available: 3, shortage: 0, status: "AUTHORIZED" });
      expect(bySku[SEC]).toEqual({ product: { sku: SEC }, purchased: 2, inUse: 3, available: 0, shortage: 1, status: "OUT_OF_COMPLIANCE" });
      // Finance's device counts in Finance, not US; a product used but never bought appears with purchased 0.
      expect(bySku[DNA]).toBeUndefined();
      expect(await poolsOf(finance, admin)).toEqual([
        { product: { sku: DNA }, purchased: 0, inUse: 6, available: 0, shortage: 6, status: "OUT_OF_COMPLIANCE" },
      ]);
    });

    it("R28 INSUFFICIENT_LICENSES (MAJOR) per pool with a shortage, quantity = shortage", async () => {
      const { built, admin } = await account("r28-short.com");
      const va = built.defaultVirtualAccount;
      await built.license(va, NW, 3);
      await built.license(va, SEC, 5);
      await built.device(va, "C9300-48P", "R28-S1", {
        usage: [
          { sku: NW, count: 5 },
          { sku: SEC, count: 5 },
        ],
      });
      const result = await server.gql(VA_ALERTS, { id: vaId(va) }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.node.alerts).toEqual([
        { type: "INSUFFICIENT_LICENSES", severity: "MAJOR", quantity: 2, product: { sku: NW }, productInstance: null },
      ]);
    });

    it("R28 PRODUCT_INSTANCE_NOT_REPORTING (MINOR) after more than 30 days since lastReportedAt, or registeredAt if it never reported; not at 29 days", async () => {
      const { built, admin } = await account("r28-silent.com");
      const va = built.defaultVirtualAccount;
      const silent = (await built.device(va, "C9300-48P", "SILENT-31", { registeredAt: days(-60), lastReportedAt: days(-31) })).device;
      await built.device(va, "C9300-48P", "QUIET-29", { registeredAt: days(-60), lastReportedAt: days(-29) });
      const never = (await built.device(va, "C9300-48P", "NEVER-31", { registeredAt: days(-31), lastReportedAt: null })).device;
      await built.device(va, "C9300-48P", "NEVER-29", { registeredAt: days(-29), lastReportedAt: null });

      const alerts = async () => {
        const result = await server.gql(VA_ALERTS, { id: vaId(va) }, admin);
        expect(result.errors).toBeUndefined();
        return result.data.node.alerts;
      };
      expect(await alerts()).toEqual(
        [silent, never].map((device) => ({
          type: "PRODUCT_INSTANCE_NOT_REPORTING",
          severity: "MINOR",
          quantity: null,
          product: null,
          productInstance: { id: deviceId(device.id) },
        })),
      );
      // Two days later the 29-day ones are past 30 days too.
      server.clock.advanceDays(2);
      expect((await alerts()).map((alert: { productInstance: { id: string } }) => alert.productInstance.id)).toHaveLength(4);
      // A report clears the alert for that device.
      server.clock.set(START);
      const credentialDevice = await built.device(va, "C9300-48P", "REPORTS", { registeredAt: days(-40), lastReportedAt: days(-35) });
      expect((await alerts()).map((alert: { productInstance: { id: string } }) => alert.productInstance.id)).toContain(
        deviceId(credentialDevice.device.id),
      );
      expect((await report(credentialDevice.credential, [])).errors).toBeUndefined();
      expect((await alerts()).map((alert: { productInstance: { id: string } }) => alert.productInstance.id)).not.toContain(
        deviceId(credentialDevice.device.id),
      );
    });

    it("R19 transfers count available net of usage: more than purchased − inUse → CONFLICT, nothing moved", async () => {
      const { built, admin } = await account("r19-net.com");
      const [east, west] = [await built.virtualAccount("East"), await built.virtualAccount("West")];
      await built.license(east, NW, 10);
      await built.device(east, "C9300-48P", "R19-NET", { usage: [{ sku: NW, count: 7 }] });
      const transfer = (quantity: number) =>
        server.gql(TRANSFER_LICENSES, { input: { fromVirtualAccountId: vaId(east), toVirtualAccountId: vaId(west), sku: NW, quantity } }, admin);
      const events = await eventCount(server);
      const refused = await transfer(4);
      expect(codeOf(refused)).toBe("CONFLICT");
      expect(await eventCount(server)).toBe(events);
      expect(await poolOf(east, NW, admin)).toMatchObject({ purchased: 10, inUse: 7, available: 3 });
      expect(await poolOf(west, NW, admin)).toBeUndefined();
      const ok = await transfer(3);
      expect(ok.errors).toBeUndefined();
      expect(await poolOf(east, NW, admin)).toMatchObject({ purchased: 7, inUse: 7, available: 0, shortage: 0 });
      expect(await poolOf(west, NW, admin)).toMatchObject({ purchased: 3, available: 3 });
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R12 deleting a Virtual Account with devices or tokens", () => {
    it("R12 deleting a Virtual Account that has a device → CONFLICT", async () => {
      const { built, admin } = await account("r12-device.com");
      const lab = await built.virtualAccount("Lab");
      await built.device(lab, "C9300-48P", "R12-DEV");
      const events = await eventCount(server);
      const result = await server.gql(DELETE_VA, { id: vaId(lab) }, admin);
      expect(codeOf(result)).toBe("CONFLICT");
      expect(await server.db.manager.findOneBy(VirtualAccount, { id: lab.id })).not.toBeNull();
      expect(await eventCount(server)).toBe(events);
    });

    it("R12 a Virtual Account with only tokens can be deleted and its tokens go with it", async () => {
      const { built, admin } = await account("r12-tokens.com");
      const lab = await built.virtualAccount("Lab");
      const { token, secret } = await built.token(lab);
      await built.token(lab, { revokedAt: days(-1) });
      const result = await server.gql(DELETE_VA, { id: vaId(lab) }, admin);
      expect(result.errors).toBeUndefined();
      expect(await countRows(server, "registration_tokens", "virtual_account_id = ?", [lab.id])).toBe(0);
      const node = await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid("RegistrationToken", token.id) }, admin);
      expect(node.data.node).toBeNull();
      expectUnauthenticated(await register(secret, "C9300-48P", "R12-LATE"), "UNKNOWN");
    });
  });

  // -------------------------------------------------------------------------------------------------------
  describe("R29 events of device and token mutations", () => {
    it("R29 every successful device/token mutation writes exactly one event with its account and Virtual Account; failures none", async () => {
      const { built, admin } = await account("r29-devices.com");
      const [east, west] = [await built.virtualAccount("East"), await built.virtualAccount("West")];
      const eventsOf = async () =>
        (await server.db.dataSource.query(
          "SELECT type, smart_account_id, virtual_account_id, actor_id FROM events WHERE smart_account_id = ? ORDER BY id",
          [built.id],
        )) as { type: string; smart_account_id: unknown; virtual_account_id: unknown; actor_id: unknown }[];
      const expectEvents = async (types: string[]) => expect((await eventsOf()).map((event) => event.type)).toEqual(types);
      const steps: string[] = [];
      const ok = async (result: GqlResult, type: string) => {
        expect(result.errors).toBeUndefined();
        steps.push(type);
        await expectEvents(steps);
      };
      const fails = async (result: GqlResult) => {
        expect(result.errors?.length).toBeGreaterThan(0);
        expect(result.data).toBeNull();
        await expectEvents(steps);
      };

      const created = await server.gql(CREATE_TOKEN, { input: { virtualAccountId: vaId(east), expiresInDays: 30, maxUses: 1 } }, admin);
      await ok(created, "REGISTRATION_TOKEN_CREATED");
      await fails(await server.gql(CREATE_TOKEN, { input: { virtualAccountId: vaId(east), expiresInDays: 0 } }, admin));
      const { secret, token } = created.data.createRegistrationToken;

      const registered = await register(secret, "C9300-48P", "R29-1");
      await ok(registered, "PRODUCT_INSTANCE_REGISTERED");
      await fails(await register(secret, "C9300-48P", "R29-2"));
      const { credential, productInstance } = registered.data.registerProductInstance;

      await ok(await report(credential, [{ sku: NW, count: 2 }]), "USAGE_REPORTED");
      await fails(await report(credential, [{ sku: "NOPE", count: 2 }]));

      const westToken = await built.token(west);
      await ok(await register(westToken.secret, "C9300-48P", "R29-1"), "PRODUCT_INSTANCE_REREGISTERED");

      await ok(
        await server.gql(TRANSFER_DEVICE, { input: { id: productInstance.id, toVirtualAccountId: vaId(east) } }, admin),
        "PRODUCT_INSTANCE_TRANSFERRED",
      );
      await fails(await server.gql(TRANSFER_DEVICE, { input: { id: productInstance.id, toVirtualAccountId: vaId(east) } }, admin));

      await ok(await server.gql(REVOKE_TOKEN, { id: token.id }, admin), "REGISTRATION_TOKEN_REVOKED");
      await fails(await server.gql(REVOKE_TOKEN, { id: token.id }, admin));

      await ok(await server.gql(REMOVE_DEVICE, { id: productInstance.id }, admin), "PRODUCT_INSTANCE_REMOVED");
      await fails(await server.gql(REMOVE_DEVICE, { id: productInstance.id }, admin));

      // Each event names the Smart Account and a Virtual Account; the user's mutations name the actor.
      const events = await eventsOf();
      expect(events.every((event) => Number(event.smart_account_id) === built.id && event.virtual_account_id !== null)).toBe(true);
      const admins: { id: unknown }[] = await server.db.dataSource.query("SELECT id FROM users WHERE email = ?", [admin]);
      const byType = Object.fromEntries(events.map((event) => [event.type, event]));
      for (const type of ["REGISTRATION_TOKEN_CREATED", "PRODUCT_INSTANCE_TRANSFERRED", "REGISTRATION_TOKEN_REVOKED", "PRODUCT_INSTANCE_REMOVED"]) {
        expect(Number(byType[type].actor_id)).toBe(Number(admins[0].id));
      }
      expect(Number(byType.PRODUCT_INSTANCE_REGISTERED.virtual_account_id)).toBe(east.id);
      expect(Number(byType.PRODUCT_INSTANCE_REREGISTERED.virtual_account_id)).toBe(west.id);
    });
  });
});
