import { randomBytes } from "node:crypto";
import { LicenseKind, LicenseUsage, Product, ProductInstance, Role, SmartAccountType, VirtualAccount } from "../entities";
import { codeOf, GqlResult, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, lastEventType } from "./support/db-counts";
import { accounts, days, START } from "./support/fixtures";
import { gid } from "./support/ids";
import { parseGlobalId } from "../src/ids";
import { addUsage, countLots } from "../src/licenses/kept-pools";

/** Rules R19 (transfers), R20 (conversion), R21 (tags), R22 (expiry), and R29 for their mutations. */

const TRANSFER = `mutation($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity from { id } to { id } } }`;
const CONVERT = `mutation($input: ConvertClassicLicenseInput!) {
  convertClassicLicense(input: $input) { id kind quantity startsAt endsAt pak status product { sku } virtualAccount { id } }
}`;
const SET_TAGS = `mutation($input: SetLicenseTagsInput!) { setLicenseTags(input: $input) { id tags } }`;
const LOT_FIELDS = "id kind quantity startsAt endsAt status tags pak product { sku } virtualAccount { id }";
const VA_LICENSES = `query($id: ID!, $filter: LicenseFilter, $first: Int, $after: String) {
  node(id: $id) { ... on VirtualAccount {
    licenses(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${LOT_FIELDS} } }
    licensePools { product { sku } purchased inUse available shortage status }
  } }
}`;
const SA_LICENSES = `query($domain: String!, $filter: LicenseFilter, $first: Int, $after: String) {
  smartAccount(domain: $domain) {
    licenses(filter: $filter, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${LOT_FIELDS} } }
  }
}`;

interface Lot {
  id: string;
  kind: string;
  quantity: number;
  startsAt: string;
  endsAt: string | null;
  status: string;
  tags: string[];
  pak: string | null;
  product: { sku: string };
  virtualAccount: { id: string };
}

describe("rules R19–R22: transfers, conversion, tags and expiry", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.set(START));

  const account = accounts(() => server);

  const vaId = (va: VirtualAccount) => gid("VirtualAccount", va.id);

  async function lotsIn(va: VirtualAccount, as: string, filter?: Record<string, unknown>): Promise<Lot[]> {
    const result = await server.gql(VA_LICENSES, { id: vaId(va), filter, first: 500 }, as);
    expect(result.errors).toBeUndefined();
    return result.data.node.licenses.nodes;
  }

  async function poolsIn(va: VirtualAccount, as: string) {
    const result = await server.gql(VA_LICENSES, { id: vaId(va), first: 1 }, as);
    expect(result.errors).toBeUndefined();
    return result.data.node.licensePools as { product: { sku: string }; purchased: number; inUse: number; available: number }[];
  }

  const transfer = (from: VirtualAccount, to: VirtualAccount, sku: string, quantity: number, as: string) =>
    server.gql(TRANSFER, { input: { fromVirtualAccountId: vaId(from), toVirtualAccountId: vaId(to), sku, quantity } }, as);

  /** Every lot, as stored: a failed mutation leaves this unchanged. */
  const allLots = () =>
    server.db.dataSource.query(
      "SELECT id, smart_account_id, virtual_account_id, product_id, kind, quantity, starts_at, ends_at FROM licenses ORDER BY id",
    );

  /** Σ quantity per product over all accounts and kinds (R19's invariant). */
  const totalsByProduct = async () =>
    (await server.db.dataSource.query("SELECT product_id, SUM(quantity) AS n FROM licenses GROUP BY product_id ORDER BY product_id")).map(
      (row: { product_id: unknown; n: unknown }) => [Number(row.product_id), Number(row.n)],
    );

  /** A device in `va` consuming `count` of `sku` (devices arrive with R24/R25; rows are enough for pools). */
  async function usage(va: VirtualAccount, sku: string, count: number) {
    const { manager } = server.db;
    const product = await manager.findOneByOrFail(Product, { sku });
    const device = await manager.save(
      manager.create(ProductInstance, {
        smartAccountId: va.smartAccountId,
        virtualAccountId: va.id,
        pid: "C9300-48P",
        serialNumber: `FOC${randomBytes(5).toString("hex")}`,
        hostname: null,
        credentialHash: randomBytes(32).toString("hex"),
        registrationTokenId: null,
        registeredAt: server.clock.now(),
        lastReportedAt: server.clock.now(),
      }),
    );
    await manager.insert(LicenseUsage, { productInstanceId: device.id, productId: product.id, count });
    await addUsage(manager, [{ virtualAccountId: va.id, productId: product.id, delta: count }], server.clock.now());
  }

  describe("R19 transfers", () => {
    it("R19 a transfer within one account moves the quantity, one event", async () => {
      const { built, admin, defaultVa } = await account("r19-within.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 10);
      const events = await eventCount(server);
      const result = await transfer(defaultVa, us, "C9300-NW-A", 4, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data.transferLicenses).toEqual({ quantity: 4, from: { id: vaId(defaultVa) }, to: { id: vaId(us) } });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("LICENSES_TRANSFERRED");
      expect((await poolsIn(defaultVa, admin)).map((p) => [p.product.sku, p.purchased])).toEqual([["C9300-NW-A", 6]]);
      expect((await poolsIn(us, admin)).map((p) => [p.product.sku, p.purchased])).toEqual([["C9300-NW-A", 4]]);
    });

    it("R19 a transfer across two accounts where the caller manages both", async () => {
      const a = await account("r19-across-a.com");
      const b = await account("r19-across-b.com");
      const partner = "partner@r19-across.com";
      const plant = await b.built.virtualAccount("Plant");
      await a.built.grant(partner, Role.SMART_ACCOUNT_USER);
      await b.built.grant(partner, Role.VIRTUAL_ACCOUNT_USER, plant);
      await a.built.license(a.defaultVa, "C9300-NW-E", 8);
      const totals = await totalsByProduct();
      const events = await eventCount(server);
      const result = await transfer(a.defaultVa, plant, "C9300-NW-E", 5, partner);
      expect(result.errors).toBeUndefined();
      expect(await eventCount(server)).toBe(events + 1);
      expect((await lotsIn(plant, b.admin)).map((l) => [l.product.sku, l.quantity])).toEqual([["C9300-NW-E", 5]]);
      expect((await lotsIn(a.defaultVa, a.admin)).map((l) => l.quantity)).toEqual([3]);
      // The moved lot now belongs to the other account: its SmartAccount.licenses lists it.
      const listed = await server.gql(SA_LICENSES, { domain: b.domain, filter: { sku: "C9300-NW-E" } }, b.admin);
      expect(listed.data.smartAccount.licenses.totalCount).toBe(1);
      expect(await totalsByProduct()).toEqual(totals);
    });

    it("R19 only one end managed → FORBIDDEN (or NOT_FOUND where the other end is invisible), nothing moved", async () => {
      const a = await account("r19-oneside-a.com");
      const b = await account("r19-oneside-b.com");
      const [us, eu] = [await a.built.virtualAccount("US"), await a.built.virtualAccount("EU")];
      await a.built.license(a.defaultVa, "ISR4K-SEC", 10);
      await a.built.license(us, "ISR4K-SEC", 10);
      await b.built.license(b.defaultVa, "ISR4K-SEC", 10);
      const cases: { who: string; grants: () => Promise<unknown>; from: VirtualAccount; to: VirtualAccount; code: string }[] = [
        {
          who: "sa-admin-a-viewer-b@x.com",
          grants: async () => {
            await a.built.grant("sa-admin-a-viewer-b@x.com", Role.SMART_ACCOUNT_ADMIN);
            await b.built.grant("sa-admin-a-viewer-b@x.com", Role.SMART_ACCOUNT_VIEWER);
          },
          from: a.defaultVa,
          to: b.defaultVa,
          code: "FORBIDDEN",
        },
        { who: "sa-admin-a-viewer-b@x.com", grants: async () => undefined, from: b.defaultVa, to: a.defaultVa, code: "FORBIDDEN" },
        {
          who: "va-user-us-viewer-eu@x.com",
          grants: async () => {
            await a.built.grant("va-user-us-viewer-eu@x.com", Role.VIRTUAL_ACCOUNT_USER, us);
            await a.built.grant("va-user-us-viewer-eu@x.com", Role.VIRTUAL_ACCOUNT_VIEWER, eu);
          },
          from: us,
          to: eu,
          code: "FORBIDDEN",
        },
        {
          who: "va-user-us-only@x.com",
          grants: () => a.built.grant("va-user-us-only@x.com", Role.VIRTUAL_ACCOUNT_USER, us),
          from: us,
          to: eu,
          code: "NOT_FOUND",
        },
        {
          who: "sa-user-a-only@x.com",
          grants: () => a.built.grant("sa-user-a-only@x.com", Role.SMART_ACCOUNT_USER),
          from: a.defaultVa,
          to: b.defaultVa,
          code: "NOT_FOUND",
        },
        {
          who: "sa-viewer-a@x.com",
          grants: () => a.built.grant("sa-viewer-a@x.com", Role.SMART_ACCOUNT_VIEWER),
          from: a.defaultVa,
          to: us,
          code: "FORBIDDEN",
        },
      ];
      for (const { who, grants, from, to, code } of cases) {
        await grants();
        const before = { lots: await allLots(), events: await eventCount(server) };
        const result = await transfer(from, to, "ISR4K-SEC", 1, who);
        expect({ who, from: from.name, to: to.name, code: codeOf(result) }).toEqual({ who, from: from.name, to: to.name, code });
        expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);
      }
    });

    describe("R19 moving licenses out of a Smart Account needs SMART_ACCOUNT_ADMIN or SMART_ACCOUNT_USER on the source", () => {
      /** The transfer is refused with FORBIDDEN, and no lot, no event anywhere changed (R3, R29). */
      async function expectRefusedOut(from: VirtualAccount, to: VirtualAccount, quantity: number, who: string) {
        const before = { lots: await allLots(), events: await eventCount(server), totals: await totalsByProduct() };
        const result = await transfer(from, to, "C9300-NW-A", quantity, who);
        expect({ who, code: codeOf(result), data: result.data }).toEqual({ who, code: "FORBIDDEN", data: null });
        expect({ lots: await allLots(), events: await eventCount(server), totals: await totalsByProduct() }).toEqual(before);
      }

      it("R19 a VIRTUAL_ACCOUNT_USER of US who is also admin of a partner holding account cannot move US's licenses into it → FORBIDDEN, nothing moved", async () => {
        const acme = await account("r19-out-acme.com");
        const us = await acme.built.virtualAccount("US");
        await acme.built.license(us, "C9300-NW-A", 20);
        const holding = await server.build.account("r19-out-partner.com", { type: SmartAccountType.PARTNER_HOLDING });
        const alex = "alex@r19-out-partner.com";
        await acme.built.grant(alex, Role.VIRTUAL_ACCOUNT_USER, us);
        await holding.grant(alex, Role.SMART_ACCOUNT_ADMIN);
        await expectRefusedOut(us, holding.defaultVirtualAccount, 5, alex);
        // Within acme.com their Virtual Account role still manages the licenses of their scope.
        const [finance] = await acme.built.chain("Finance");
        await acme.built.grant(alex, Role.VIRTUAL_ACCOUNT_USER, finance);
        expect((await transfer(us, finance, "C9300-NW-A", 5, alex)).errors).toBeUndefined();
      });

      it("R19 a VIRTUAL_ACCOUNT_USER of Finance who makes, approves and activates a LIMITED_USE account of their own cannot move Finance's licenses into it → FORBIDDEN, nothing moved", async () => {
        const acme = await account("r19-out-limited.com");
        const [, finance] = await acme.built.chain("US", "Finance");
        await acme.built.license(finance, "C9300-NW-A", 25);
        const eve = "eve@r19-out-limited.com";
        await acme.built.grant(eve, Role.VIRTUAL_ACCOUNT_USER, finance);
        const requested = await server.gql(
          `mutation($input: RequestSmartAccountInput!) { requestSmartAccount(input: $input) { id domain } }`,
          { input: { name: "Eve's own", domain: eve, type: "LIMITED_USE", approverEmail: eve } },
          eve,
        );
        expect(requested.errors).toBeUndefined();
        const activated = await server.gql(
          `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { status defaultVirtualAccount { id } } }`,
          { id: requested.data.requestSmartAccount.id },
          eve,
        );
        expect(activated.errors).toBeUndefined();
        expect(activated.data.activateSmartAccount.status).toBe("ACTIVE");
        const ownVaId = parseGlobalId(activated.data.activateSmartAccount.defaultVirtualAccount.id)!.id;
        const own = await server.db.manager.findOneByOrFail(VirtualAccount, { id: ownVaId });
        await expectRefusedOut(finance, own, 10, eve);
      });

      it("R19 a VIRTUAL_ACCOUNT_ADMIN of the source → FORBIDDEN across accounts; SMART_ACCOUNT_USER / SMART_ACCOUNT_ADMIN of it move", async () => {
        const a = await account("r19-out-a.com");
        const b = await account("r19-out-b.com");
        const [us] = await a.built.chain("US");
        await a.built.license(us, "C9300-NW-A", 10);
        const vaAdmin = "va-admin@r19-out.com";
        await a.built.grant(vaAdmin, Role.VIRTUAL_ACCOUNT_ADMIN, us);
        await b.built.grant(vaAdmin, Role.SMART_ACCOUNT_ADMIN);
        await expectRefusedOut(us, b.defaultVa, 3, vaAdmin);
        for (const role of [Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_ADMIN]) {
          const mover = `${role.toLowerCase()}@r19-out.com`;
          await a.built.grant(mover, role);
          await b.built.grant(mover, Role.VIRTUAL_ACCOUNT_USER, b.defaultVa);
          const moved = await transfer(us, b.defaultVa, "C9300-NW-A", 3, mover);
          expect({ role, errors: moved.errors }).toEqual({ role, errors: undefined });
        }
        expect((await lotsIn(b.defaultVa, b.admin)).reduce((sum, lot) => sum + lot.quantity, 0)).toBe(6);
      });
    });

    it("R19 more than the source pool's available → CONFLICT, nothing moved; usage counts against available", async () => {
      const { built, admin, defaultVa } = await account("r19-available.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 6);
      await built.license(defaultVa, "C9300-NW-A", 4);
      await usage(defaultVa, "C9300-NW-A", 3);
      for (const quantity of [8, 11]) {
        const before = { lots: await allLots(), events: await eventCount(server) };
        const result = await transfer(defaultVa, us, "C9300-NW-A", quantity, admin);
        expect({ quantity, code: codeOf(result) }).toEqual({ quantity, code: "CONFLICT" });
        expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);
      }
      const ok = await transfer(defaultVa, us, "C9300-NW-A", 7, admin);
      expect(ok.errors).toBeUndefined();
      expect((await poolsIn(defaultVa, admin))[0]).toMatchObject({ purchased: 3, inUse: 3, available: 0 });
      expect((await poolsIn(us, admin))[0]).toMatchObject({ purchased: 7, available: 7 });
    });

    it("R19 lots are split as needed and every moved license keeps its start and end dates; totals per product unchanged", async () => {
      const { built, admin, defaultVa } = await account("r19-split.com");
      const us = await built.virtualAccount("US");
      const startA = new Date("2025-01-10T00:00:00.000Z");
      const startB = new Date("2026-02-20T12:00:00.000Z");
      await built.license(defaultVa, "C9300-DNA-A-3Y", 3, { startsAt: startA, endsAt: new Date("2028-01-10T00:00:00.000Z") });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 5, { startsAt: startB, endsAt: new Date("2029-02-20T12:00:00.000Z") });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 4, { startsAt: startA, endsAt: null });
      const byDates = (lots: Lot[]) => {
        const out: Record<string, number> = {};
        for (const lot of lots) out[`${lot.startsAt}→${lot.endsAt}`] = (out[`${lot.startsAt}→${lot.endsAt}`] ?? 0) + lot.quantity;
        return out;
      };
      const original = byDates(await lotsIn(defaultVa, admin));
      const totals = await totalsByProduct();

      for (const quantity of [6, 1, 2]) {
        const result = await transfer(defaultVa, us, "C9300-DNA-A-3Y", quantity, admin);
        expect(result.errors).toBeUndefined();
      }
      const left = await lotsIn(defaultVa, admin);
      const moved = await lotsIn(us, admin);
      expect(moved.reduce((n, l) => n + l.quantity, 0)).toBe(9);
      expect(left.reduce((n, l) => n + l.quantity, 0)).toBe(3);
      // Every (start, end) pair holds as many licenses over both Virtual Accounts as before: no dates were invented.
      const combined = byDates([...left, ...moved]);
      expect(combined).toEqual(original);
      expect(moved.every((l) => l.kind === "SMART" && l.quantity > 0)).toBe(true);
      expect(await totalsByProduct()).toEqual(totals);

      // And back again: still the same dates.
      expect((await transfer(us, defaultVa, "C9300-DNA-A-3Y", 9, admin)).errors).toBeUndefined();
      expect(byDates(await lotsIn(defaultVa, admin))).toEqual(original);
      expect(await totalsByProduct()).toEqual(totals);
    });

    it("R19 CLASSIC and expired lots never move", async () => {
      const { built, admin, defaultVa } = await account("r19-classic.com");
      const us = await built.virtualAccount("US");
      const classic = await built.license(defaultVa, "C9300-NW-A", 5, { kind: LicenseKind.CLASSIC });
      const expired = await built.license(defaultVa, "C9300-NW-A", 5, { startsAt: days(-400), endsAt: days(-1) });
      await built.license(defaultVa, "C9300-NW-A", 2);
      const before = { lots: await allLots(), events: await eventCount(server) };
      const tooMany = await transfer(defaultVa, us, "C9300-NW-A", 3, admin);
      expect(codeOf(tooMany)).toBe("CONFLICT");
      expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);

      const ok = await transfer(defaultVa, us, "C9300-NW-A", 2, admin);
      expect(ok.errors).toBeUndefined();
      const left = await lotsIn(defaultVa, admin);
      expect(left.map((l) => [l.id, l.kind, l.quantity, l.status]).sort()).toEqual(
        [
          [gid("License", classic.id), "CLASSIC", 5, "ACTIVE"],
          [gid("License", expired.id), "SMART", 5, "EXPIRED"],
        ].sort(),
      );
      expect((await lotsIn(us, admin)).map((l) => [l.kind, l.quantity])).toEqual([["SMART", 2]]);
    });

    it("R19 the sku names the catalog product trimmed and case-insensitively, on either database", async () => {
      const { built, admin, defaultVa } = await account("r19-sku-case.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 5);
      const result = await transfer(defaultVa, us, " c9300-Nw-a ", 2, admin);
      expect(result.errors).toBeUndefined();
      expect((await lotsIn(us, admin)).map((l) => [l.product.sku, l.quantity])).toEqual([["C9300-NW-A", 2]]);
      await built.license(defaultVa, "ASAv10-THREAT-1Y", 5, { startsAt: days(-10), endsAt: days(300) });
      for (const sku of ["ASAv10-THREAT-1Y", "asav10-threat-1y"]) {
        const moved = await transfer(defaultVa, us, sku, 1, admin);
        expect({ sku, errors: moved.errors }).toEqual({ sku, errors: undefined });
      }
      expect((await poolsIn(us, admin)).map((p) => [p.product.sku, p.purchased]).sort()).toEqual([
        ["ASAv10-THREAT-1Y", 2],
        ["C9300-NW-A", 2],
      ]);
    });

    it("R19 an unknown SKU or a bad quantity → BAD_USER_INPUT, nothing moved", async () => {
      const { built, admin, defaultVa } = await account("r19-input.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 2);
      const before = { lots: await allLots(), events: await eventCount(server) };
      for (const [sku, quantity, field] of [
        ["NOPE-SKU", 1, "input.sku"],
        ["C9300-NW-A", 0, "input.quantity"],
        ["C9300-NW-A", -1, "input.quantity"],
      ] as const) {
        const result = await transfer(defaultVa, us, sku, quantity, admin);
        expect({ sku, quantity, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
          sku,
          quantity,
          code: "BAD_USER_INPUT",
          field,
        });
      }
      const same = await transfer(defaultVa, defaultVa, "C9300-NW-A", 1, admin);
      expect(codeOf(same)).toBe("BAD_USER_INPUT");
      expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);
    });
  });

  describe("R20 conversion", () => {
    it("R20 converting part of a CLASSIC lot makes a SMART lot in the same Virtual Account with the same dates; the classic lot keeps its id and shrinks", async () => {
      const { built, admin } = await account("r20-convert.com");
      const [us] = await built.chain("US");
      const startsAt = new Date("2025-05-05T05:05:05.000Z");
      const endsAt = new Date("2028-05-05T05:05:05.000Z");
      const classic = await built.license(us, "C9300-DNA-E-3Y", 10, { kind: LicenseKind.CLASSIC, startsAt, endsAt, pak: "PAK-AAAA-BBBB-CCCC-DDDD" });
      const totals = await totalsByProduct();
      const events = await eventCount(server);
      const result = await server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity: 4 } }, admin);
      expect(result.errors).toBeUndefined();
      const smart = result.data.convertClassicLicense;
      expect(smart).toMatchObject({
        kind: "SMART",
        quantity: 4,
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        pak: null,
        status: "ACTIVE",
        product: { sku: "C9300-DNA-E-3Y" },
        virtualAccount: { id: vaId(us) },
      });
      expect(smart.id).not.toBe(gid("License", classic.id));
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("LICENSE_CONVERTED");
      const lots = await lotsIn(us, admin);
      expect(lots.find((l) => l.id === gid("License", classic.id))).toMatchObject({
        kind: "CLASSIC",
        quantity: 6,
        startsAt: startsAt.toISOString(),
        endsAt: endsAt.toISOString(),
        pak: "PAK-AAAA-BBBB-CCCC-DDDD",
      });
      expect(lots).toHaveLength(2);
      expect((await poolsIn(us, admin)).map((p) => [p.product.sku, p.purchased])).toEqual([["C9300-DNA-E-3Y", 4]]);
      expect(await totalsByProduct()).toEqual(totals);
    });

    it("R20 a SMART lot or a product that is not smart-enabled → BAD_USER_INPUT; more than the lot → CONFLICT; nothing changed", async () => {
      const { built, admin, defaultVa } = await account("r20-invalid.com");
      const smartLot = await built.license(defaultVa, "C9300-NW-A", 5);
      const legacy = await built.license(defaultVa, "L-ASA5506-SEC-PL", 5, { kind: LicenseKind.CLASSIC });
      const classic = await built.license(defaultVa, "C9300-NW-A", 5, { kind: LicenseKind.CLASSIC });
      const cases: [string, number, number, string][] = [
        ["SMART lot", smartLot.id, 1, "BAD_USER_INPUT"],
        ["not smart-enabled", legacy.id, 1, "BAD_USER_INPUT"],
        ["more than the lot", classic.id, 6, "CONFLICT"],
        ["zero", classic.id, 0, "BAD_USER_INPUT"],
      ];
      for (const [label, id, quantity, code] of cases) {
        const before = { lots: await allLots(), events: await eventCount(server) };
        const result = await server.gql(CONVERT, { input: { licenseId: gid("License", id), quantity } }, admin);
        expect({ label, code: codeOf(result) }).toEqual({ label, code });
        expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);
      }
      const exact = await server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity: 5 } }, admin);
      expect(exact.errors).toBeUndefined();
      expect(exact.data.convertClassicLicense.quantity).toBe(5);
    });

    it("R20 only SMART_ACCOUNT_ADMIN and SMART_ACCOUNT_USER convert: SMART_ACCOUNT_VIEWER and Virtual Account roles → FORBIDDEN", async () => {
      const { built } = await account("r20-roles.com");
      const [us] = await built.chain("US");
      const classic = await built.license(us, "C9300-NW-A", 10, { kind: LicenseKind.CLASSIC });
      for (const role of [Role.SMART_ACCOUNT_VIEWER, Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER]) {
        const email = `${role.toLowerCase()}@r20-roles.com`;
        await built.grant(email, role, role.startsWith("VIRTUAL") ? us : null);
        const before = { lots: await allLots(), events: await eventCount(server) };
        const result = await server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity: 1 } }, email);
        expect({ role, code: codeOf(result) }).toEqual({ role, code: "FORBIDDEN" });
        expect({ lots: await allLots(), events: await eventCount(server) }).toEqual(before);
      }
      // The approver cannot even see licenses: as if the lot did not exist.
      await built.grant("approver@r20-roles.com", Role.SMART_ACCOUNT_APPROVER);
      expect(codeOf(await server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity: 1 } }, "approver@r20-roles.com"))).toBe(
        "NOT_FOUND",
      );
      await built.grant("user@r20-roles.com", Role.SMART_ACCOUNT_USER);
      const ok = await server.gql(CONVERT, { input: { licenseId: gid("License", classic.id), quantity: 1 } }, "user@r20-roles.com");
      expect(ok.errors).toBeUndefined();
    });
  });

  describe("R21 tags", () => {
    it("R21 setLicenseTags replaces a lot's tags, one event each time", async () => {
      const { built, admin, defaultVa } = await account("r21-replace.com");
      const lot = await built.license(defaultVa, "C9300-NW-A", 3, { tags: ["old", "stale"] });
      const events = await eventCount(server);
      const set = (tags: string[]) => server.gql(SET_TAGS, { input: { licenseId: gid("License", lot.id), tags } }, admin);
      const first = await set(["lab", "Project X", "cost_center-4.2"]);
      expect(first.errors).toBeUndefined();
      expect([...first.data.setLicenseTags.tags].sort()).toEqual(["Project X", "cost_center-4.2", "lab"].sort());
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("LICENSE_TAGS_SET");
      const lots = await lotsIn(defaultVa, admin);
      expect([...lots[0].tags].sort()).toEqual(["Project X", "cost_center-4.2", "lab"].sort());
      const cleared = await set([]);
      expect(cleared.data.setLicenseTags.tags).toEqual([]);
      expect(await countRows(server, "license_tags", "license_id = ?", [lot.id])).toBe(0);
      expect(await eventCount(server)).toBe(events + 2);
      const max = Array.from({ length: 20 }, (_, i) => `t${i}`);
      const twenty = await set([...max.slice(0, 19), "x".repeat(50)]);
      expect(twenty.errors).toBeUndefined();
      expect(twenty.data.setLicenseTags.tags).toHaveLength(20);
    });

    it("R21 more than 20 tags, a bad character, an empty or a 51-character tag → BAD_USER_INPUT naming the field, nothing changed", async () => {
      const { built, admin, defaultVa } = await account("r21-invalid.com");
      const lot = await built.license(defaultVa, "C9300-NW-A", 3, { tags: ["keep"] });
      const cases: [string, string[], string][] = [
        ["21 tags", Array.from({ length: 21 }, (_, i) => `t${i}`), "input.tags"],
        ["slash", ["ok", "a/b"], "input.tags[1]"],
        ["comma", ["a,b"], "input.tags[0]"],
        ["non-ASCII", ["ok", "ok2", "café"], "input.tags[2]"],
        ["51 characters", ["x".repeat(51)], "input.tags[0]"],
        ["empty", ["ok", ""], "input.tags[1]"],
        ["blank", ["   "], "input.tags[0]"],
      ];
      for (const [label, tags, field] of cases) {
        const before = { tags: await countRows(server, "license_tags"), events: await eventCount(server) };
        const result = await server.gql(SET_TAGS, { input: { licenseId: gid("License", lot.id), tags } }, admin);
        expect({ label, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({ label, code: "BAD_USER_INPUT", field });
        expect({ tags: await countRows(server, "license_tags"), events: await eventCount(server) }).toEqual(before);
      }
      expect((await lotsIn(defaultVa, admin))[0].tags).toEqual(["keep"]);
    });

    it("R21 licenses(filter: {tag:}) finds tagged lots; tags neither restrict nor widen access", async () => {
      const { built, admin, domain, defaultVa } = await account("r21-filter.com");
      const [us, eu] = [await built.virtualAccount("US"), await built.virtualAccount("EU")];
      const usLot = await built.license(us, "C9300-NW-A", 1);
      const euLot = await built.license(eu, "C9300-NW-A", 2, { tags: ["restricted"] });
      await built.license(defaultVa, "C9300-NW-E", 3, { tags: ["other"] });
      const tagged = await server.gql(SET_TAGS, { input: { licenseId: gid("License", usLot.id), tags: ["restricted", "private"] } }, admin);
      expect(tagged.errors).toBeUndefined();

      const byTag = async (as: string, tag: string) => {
        const result = await server.gql(SA_LICENSES, { domain, filter: { tag } }, as);
        expect(result.errors).toBeUndefined();
        return (result.data.smartAccount.licenses.nodes as Lot[]).map((l) => l.id).sort();
      };
      expect(await byTag(admin, "restricted")).toEqual([gid("License", usLot.id), gid("License", euLot.id)].sort());
      expect(await byTag(admin, "private")).toEqual([gid("License", usLot.id)]);
      expect(await byTag(admin, "nobody-uses-this")).toEqual([]);
      expect((await lotsIn(eu, admin, { tag: "restricted" })).map((l) => l.id)).toEqual([gid("License", euLot.id)]);

      // A viewer sees tagged lots like any other, and the tag filter shows nothing beyond their scope.
      await built.grant("viewer@r21-filter.com", Role.VIRTUAL_ACCOUNT_VIEWER, us);
      expect(await byTag("viewer@r21-filter.com", "restricted")).toEqual([gid("License", usLot.id)]);
      expect((await lotsIn(us, "viewer@r21-filter.com")).map((l) => l.id)).toEqual([gid("License", usLot.id)]);
      // And a VA user in scope may re-tag it.
      await built.grant("user@r21-filter.com", Role.VIRTUAL_ACCOUNT_USER, us);
      const retag = await server.gql(SET_TAGS, { input: { licenseId: gid("License", usLot.id), tags: ["mine"] } }, "user@r21-filter.com");
      expect(retag.errors).toBeUndefined();
      const outOfScope = await server.gql(SET_TAGS, { input: { licenseId: gid("License", euLot.id), tags: ["mine"] } }, "user@r21-filter.com");
      expect(codeOf(outOfScope)).toBe("NOT_FOUND");
      const viewerTags = await server.gql(SET_TAGS, { input: { licenseId: gid("License", usLot.id), tags: ["x"] } }, "viewer@r21-filter.com");
      expect(codeOf(viewerTags)).toBe("FORBIDDEN");
    });

    it("R21 split lots keep their tags", async () => {
      const { built, admin, defaultVa } = await account("r21-split.com");
      const us = await built.virtualAccount("US");
      await built.license(defaultVa, "C9300-NW-A", 10, { tags: ["lab"] });
      expect((await transfer(defaultVa, us, "C9300-NW-A", 4, admin)).errors).toBeUndefined();
      expect((await lotsIn(us, admin)).map((l) => l.tags)).toEqual([["lab"]]);
      expect((await lotsIn(defaultVa, admin)).map((l) => l.tags)).toEqual([["lab"]]);
    });
  });

  describe("R22 expiry", () => {
    it("R22 once endsAt has passed a lot is EXPIRED and counts for nothing in pools", async () => {
      const { built, admin, defaultVa } = await account("r22-expire.com");
      const term = await built.license(defaultVa, "C9300-DNA-A-3Y", 6, { startsAt: days(-100), endsAt: days(10) });
      await built.license(defaultVa, "C9300-DNA-A-3Y", 2, { startsAt: days(-100), endsAt: null });
      const status = async () => (await lotsIn(defaultVa, admin)).map((l) => [l.id, l.status]);
      expect(await status()).toEqual([
        [gid("License", term.id), "ACTIVE"],
        [expect.any(String), "ACTIVE"],
      ]);
      expect((await poolsIn(defaultVa, admin))[0]).toMatchObject({ purchased: 8, available: 8 });

      server.clock.set(days(10));
      expect((await status())[0]).toEqual([gid("License", term.id), "EXPIRED"]);
      expect((await poolsIn(defaultVa, admin))[0]).toMatchObject({ purchased: 2, available: 2 });

      server.clock.set(new Date(days(10).getTime() - 1));
      expect((await status())[0]).toEqual([gid("License", term.id), "ACTIVE"]);
    });

    it("R22 a pool of only expired lots disappears", async () => {
      const { built, admin, defaultVa } = await account("r22-gone.com");
      await built.license(defaultVa, "ASAv10-THREAT-1Y", 3, { startsAt: days(-400), endsAt: days(-35) });
      expect(await poolsIn(defaultVa, admin)).toEqual([]);
      expect((await lotsIn(defaultVa, admin)).map((l) => l.status)).toEqual(["EXPIRED"]);
    });

    it("R22 licenses filter by status, expiresWithinDays, sku and kind", async () => {
      const { built, admin, domain, defaultVa } = await account("r22-filter.com");
      const expired = await built.license(defaultVa, "C9300-DNA-A-3Y", 1, { startsAt: days(-400), endsAt: days(-5) });
      const soon = await built.license(defaultVa, "C9300-DNA-A-3Y", 2, { startsAt: days(-300), endsAt: days(20) });
      const later = await built.license(defaultVa, "C9300-DNA-E-3Y", 3, { startsAt: days(-300), endsAt: days(200) });
      const perpetual = await built.license(defaultVa, "C9300-NW-A", 4);
      const classic = await built.license(defaultVa, "L-ASA5506-SEC-PL", 5, { kind: LicenseKind.CLASSIC });
      const ids = (...lots: { id: number }[]) => lots.map((l) => gid("License", l.id));
      const find = async (filter: Record<string, unknown>) => {
        const byVa = (await lotsIn(defaultVa, admin, filter)).map((l) => l.id);
        const result = await server.gql(SA_LICENSES, { domain, filter, first: 500 }, admin);
        expect(result.errors).toBeUndefined();
        expect(result.data.smartAccount.licenses.nodes.map((l: Lot) => l.id)).toEqual(byVa);
        expect(result.data.smartAccount.licenses.totalCount).toBe(byVa.length);
        return byVa;
      };
      expect(await find({ status: "EXPIRED" })).toEqual(ids(expired));
      expect(await find({ status: "ACTIVE" })).toEqual(ids(soon, later, perpetual, classic));
      expect(await find({ expiresWithinDays: 30 })).toEqual(ids(soon));
      expect(await find({ expiresWithinDays: 20 })).toEqual(ids(soon));
      expect(await find({ expiresWithinDays: 19 })).toEqual([]);
      expect(await find({ expiresWithinDays: 365 })).toEqual(ids(soon, later));
      expect(await find({ sku: "C9300-DNA-A-3Y" })).toEqual(ids(expired, soon));
      expect(await find({ sku: " c9300-dna-a-3y " })).toEqual(ids(expired, soon));
      const mixed = await built.license(defaultVa, "ASAv10-THREAT-1Y", 1, { startsAt: days(-10), endsAt: days(300) });
      for (const sku of ["ASAv10-THREAT-1Y", "asav10-threat-1y"]) expect({ sku, found: await find({ sku }) }).toEqual({ sku, found: ids(mixed) });
      await server.db.dataSource.query("DELETE FROM licenses WHERE id = ?", [mixed.id]);
      await countLots(server.db.manager, [mixed], server.clock.now());
      expect(await find({ sku: "NO-SUCH" })).toEqual([]);
      expect(await find({ kind: "CLASSIC" })).toEqual(ids(classic));
      expect(await find({ kind: "SMART" })).toEqual(ids(expired, soon, later, perpetual));
      expect(await find({ kind: "SMART", status: "ACTIVE", sku: "C9300-DNA-A-3Y" })).toEqual(ids(soon));
      const negative = await server.gql(SA_LICENSES, { domain, filter: { expiresWithinDays: -1 } }, admin);
      expect(codeOf(negative)).toBe("BAD_USER_INPUT");

      server.clock.set(days(21));
      expect(await find({ status: "EXPIRED" })).toEqual(ids(expired, soon));
      expect(await find({ expiresWithinDays: 30 })).toEqual([]);
    });

    it("R22 paging licenses with first/after visits every lot once in a stable order", async () => {
      const { built, admin, domain, defaultVa } = await account("r22-paging.com");
      const made: number[] = [];
      for (let i = 0; i < 7; i++) made.push((await built.license(defaultVa, "C9300-NW-E", i + 1)).id);
      for (const [query, vars, pick] of [
        [VA_LICENSES, { id: vaId(defaultVa) }, (d: any) => d.node.licenses],
        [SA_LICENSES, { domain }, (d: any) => d.smartAccount.licenses],
      ] as const) {
        const seen: string[] = [];
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
          const result: GqlResult = await server.gql(query, { ...vars, first: 3, after }, admin);
          expect(result.errors).toBeUndefined();
          const connection: { totalCount: number; nodes: Lot[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = pick(result.data);
          expect(connection.totalCount).toBe(7);
          seen.push(...connection.nodes.map((l: Lot) => l.id));
          expect(connection.nodes.length).toBe(page < 2 ? 3 : 1);
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        expect(seen).toEqual(made.map((id) => gid("License", id)));
      }
      const bad = await server.gql(VA_LICENSES, { id: vaId(defaultVa), first: 3, after: "not-a-cursor" }, admin);
      expect(codeOf(bad)).toBe("BAD_USER_INPUT");
    });

    it("R22 paging SmartAccount.licenses as a Virtual Account user visits the lots of their subtree only, its total counted over the subtree (filtered too)", async () => {
      const { built, domain, defaultVa } = await account("r22-subtree.com");
      const user = "user@r22-subtree.com";
      const [us, west] = await built.chain("US", "West");
      const eu = await built.virtualAccount("EU");
      const mine: number[] = [];
      for (let i = 0; i < 3; i++) {
        mine.push((await built.license(us, "C9300-NW-A", i + 1)).id);
        await built.license(eu, "C9300-NW-A", 1);
        mine.push((await built.license(west, i === 0 ? "C9300-NW-E" : "C9300-NW-A", 1)).id);
        await built.license(defaultVa, "C9300-NW-A", 1);
      }
      await built.grant(user, Role.VIRTUAL_ACCOUNT_USER, us);
      // The same user's subtree in another account holds lots too: they count there, not here.
      const other = await server.build.account("r22-subtree-other.com");
      const elsewhere = await other.virtualAccount("US");
      await other.license(elsewhere, "C9300-NW-A", 1);
      await other.grant(user, Role.VIRTUAL_ACCOUNT_USER, elsewhere);

      const walk = async (filter?: Record<string, unknown>) => {
        const seen: string[] = [];
        const totals = new Set<number>();
        let after: string | null = null;
        for (let page = 0; page < 10; page++) {
          const result: GqlResult = await server.gql(SA_LICENSES, { domain, filter, first: 2, after }, user);
          expect(result.errors).toBeUndefined();
          const connection = result.data.smartAccount.licenses;
          totals.add(connection.totalCount);
          seen.push(...connection.nodes.map((l: Lot) => l.id));
          if (!connection.pageInfo.hasNextPage) break;
          after = connection.pageInfo.endCursor;
        }
        return { seen, totals: [...totals] };
      };
      expect(await walk()).toEqual({ seen: mine.map((id) => gid("License", id)), totals: [6] });
      const onlyA = mine.filter((_, index) => index !== 1);
      expect(await walk({ sku: "C9300-NW-A" })).toEqual({ seen: onlyA.map((id) => gid("License", id)), totals: [5] });
    });
  });
});
