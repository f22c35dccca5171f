import { LicenseKind, Role, SmartAccountStatus, SmartAccountType } from "../entities";
import { codeOf, GqlResult, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, lastEventType } from "./support/db-counts";
import { accounts, START } from "./support/fixtures";
import { gid } from "./support/ids";
import { toDate } from "../src/licenses/pools";

/** Rules R2 (service scopes), R15, R16 (orders), R17/R18 (partner holding, assignOrder), and R29 for them. */

const UPSERT = `mutation($input: UpsertProductInput!) { upsertProduct(input: $input) { id sku name model smartEnabled } }`;
const PRODUCTS = `query($search: String, $first: Int) { products(search: $search, first: $first) { totalCount nodes { sku name } } }`;
const PLACE = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    id number status createdAt
    lines { id kind quantity startsAt endsAt product { sku } virtualAccount { id } }
  }
}`;
const ASSIGN = `mutation($input: AssignOrderInput!) { assignOrder(input: $input) { id number status lines { quantity } } }`;
const ACTIVATE = `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { id status } }`;
const ORDER_NODE = `query($id: ID!) {
  node(id: $id) { ... on Order { id number status lines { kind quantity startsAt endsAt product { sku } virtualAccount { id } } } }
}`;
const VA_LICENSES = `query($id: ID!) {
  node(id: $id) { ... on VirtualAccount { licenses(first: 100) { totalCount nodes { id kind quantity startsAt endsAt pak product { sku } order { id } } } } }
}`;
const ACCOUNT_ORDERS = `query($domain: String!, $status: OrderStatus) {
  smartAccount(domain: $domain) {
    orders(status: $status, first: 100) { totalCount nodes { id number status lines { kind quantity product { sku } virtualAccount { id name } } } }
  }
}`;

const INTEGRATION = "commerce@shop.example";

describe("rules R2, R15–R18: catalog, orders and partner holding accounts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.set(START));

  /** Rows an order writes: nothing of these may change when placeOrder or assignOrder fails (R3, R29). */
  const written = async () => ({
    orders: await countRows(server, "orders"),
    lines: await countRows(server, "order_lines"),
    licenses: await countRows(server, "licenses"),
    events: await eventCount(server),
    placement: await server.db.dataSource.query("SELECT id, smart_account_id, virtual_account_id, quantity FROM licenses ORDER BY id"),
    orderRows: await server.db.dataSource.query("SELECT id, smart_account_id, status FROM orders ORDER BY id"),
  });

  const account = accounts(() => server);

  const place = (domain: string, lines: unknown[], as: string | null, scope?: string) =>
    server.gql(PLACE, { input: { smartAccountDomain: domain, lines } }, as, scope);

  const licensesOf = async (vaId: string, as: string) => {
    const result = await server.gql(VA_LICENSES, { id: vaId }, as);
    expect(result.errors).toBeUndefined();
    return result.data.node.licenses.nodes as {
      id: string;
      kind: string;
      quantity: number;
      startsAt: string;
      endsAt: string | null;
      pak: string | null;
      product: { sku: string };
      order: { id: string } | null;
    }[];
  };

  describe("R2 service scopes", () => {
    const input = { sku: "TEST-SKU-R2", name: "Test product", model: "PERPETUAL", smartEnabled: true };

    it("R2 upsertProduct without the catalog:write scope → FORBIDDEN, nothing written", async () => {
      const { admin } = await account("r2-noscope.com");
      const before = { products: await countRows(server, "products"), events: await eventCount(server) };
      for (const scope of [undefined, "orders:write"]) {
        const result = await server.gql(UPSERT, { input }, admin, scope);
        expect({ scope, code: codeOf(result) }).toEqual({ scope, code: "FORBIDDEN" });
      }
      expect({ products: await countRows(server, "products"), events: await eventCount(server) }).toEqual(before);
    });

    it("R2 upsertProduct with catalog:write creates, then updates by SKU, one event each", async () => {
      const products = await countRows(server, "products");
      const events = await eventCount(server);
      const created = await server.gql(UPSERT, { input: { ...input, sku: "r2-new-sku" } }, INTEGRATION, "catalog:write");
      expect(created.errors).toBeUndefined();
      expect(created.data.upsertProduct).toMatchObject({ sku: "R2-NEW-SKU", name: "Test product", model: "PERPETUAL", smartEnabled: true });
      expect(await countRows(server, "products")).toBe(products + 1);
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("PRODUCT_CREATED");

      const updated = await server.gql(
        UPSERT,
        { input: { sku: "R2-NEW-SKU", name: "Renamed product", model: "TERM", smartEnabled: false } },
        INTEGRATION,
        "catalog:write",
      );
      expect(updated.errors).toBeUndefined();
      expect(updated.data.upsertProduct).toEqual({
        id: created.data.upsertProduct.id,
        sku: "R2-NEW-SKU",
        name: "Renamed product",
        model: "TERM",
        smartEnabled: false,
      });
      expect(await countRows(server, "products")).toBe(products + 1);
      expect(await eventCount(server)).toBe(events + 2);
      expect(await lastEventType(server)).toBe("PRODUCT_UPDATED");

      // A seeded SKU written in another case is the same product: updated, not duplicated.
      const seeded = await server.gql(
        UPSERT,
        { input: { sku: "asav10-threat-1y", name: "ASAv10 threat defense, 1 year", model: "TERM", smartEnabled: true } },
        INTEGRATION,
        "catalog:write",
      );
      expect(seeded.errors).toBeUndefined();
      expect(seeded.data.upsertProduct).toMatchObject({ sku: "ASAv10-THREAT-1Y", name: "ASAv10 threat defense, 1 year" });
      expect(await countRows(server, "products")).toBe(products + 1);
      expect(await countRows(server, "products", "LOWER(sku) = ?", ["asav10-threat-1y"])).toBe(1);
    });

    it("R2 upsertProduct finds the product by its SKU's key: isr4k-sec updates ISR4K-SEC, and every write keeps the key", async () => {
      const [seeded] = (await server.db.dataSource.query("SELECT id, name, sku_key FROM products WHERE sku = ?", ["ISR4K-SEC"])) as {
        id: number;
        name: string;
        sku_key: string;
      }[];
      expect(seeded.sku_key).toBe("isr4k-sec");
      const products = await countRows(server, "products");
      const upsert = (sku: string, name: string) =>
        server.gql(UPSERT, { input: { sku, name, model: "PERPETUAL", smartEnabled: true } }, INTEGRATION, "catalog:write");

      const lower = await upsert("  isr4k-sec ", "Security license for ISR 4000 (renamed)");
      expect(lower.errors).toBeUndefined();
      expect(lower.data.upsertProduct).toEqual({
        id: gid("Product", seeded.id),
        sku: "ISR4K-SEC",
        name: "Security license for ISR 4000 (renamed)",
        model: "PERPETUAL",
        smartEnabled: true,
      });
      expect(await lastEventType(server)).toBe("PRODUCT_UPDATED");
      expect(await countRows(server, "products")).toBe(products);
      expect(await countRows(server, "products", "sku_key = ?", ["isr4k-sec"])).toBe(1);
      const back = await upsert("ISR4K-SEC", seeded.name);
      expect(back.data.upsertProduct).toMatchObject({ id: gid("Product", seeded.id), name: seeded.name });

      // A new product gets its key when it is inserted; an order line in another case finds it.
      const created = await upsert("r2-Key-Test", "Key test");
      expect(created.data.upsertProduct.sku).toBe("R2-KEY-TEST");
      expect(await server.db.dataSource.query("SELECT sku_key FROM products WHERE sku = ?", ["R2-KEY-TEST"])).toEqual([{ sku_key: "r2-key-test" }]);
      const { domain } = await account("r2-sku-key.com");
      const order = await place(
        domain,
        [
          { sku: " r2-key-TEST", quantity: 2 },
          { sku: "isr4k-sec", quantity: 1 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(order.errors).toBeUndefined();
      expect(order.data.placeOrder.lines.map((line: { product: { sku: string } }) => line.product.sku)).toEqual(["R2-KEY-TEST", "ISR4K-SEC"]);
    });

    it("R2 orders:write grants nothing else: no licenses, accounts or license management", async () => {
      const { built, admin, domain, defaultVaId } = await account("r2-nothing-else.com");
      const us = await built.virtualAccount("US");
      const lot = await built.license(built.defaultVirtualAccount, "C9300-NW-A", 10);
      for (const scope of ["orders:write", "catalog:write"]) {
        const seen = await server.gql(
          `query($domain: String!, $lot: ID!, $va: ID!) { smartAccount(domain: $domain) { id } lot: node(id: $lot) { id } va: node(id: $va) { id } }`,
          { domain, lot: gid("License", lot.id), va: defaultVaId },
          INTEGRATION,
          scope,
        );
        expect(seen.errors).toBeUndefined();
        expect({ scope, data: seen.data }).toEqual({ scope, data: { smartAccount: null, lot: null, va: null } });
        const events = await eventCount(server);
        const transfer = await server.gql(
          `mutation($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity } }`,
          { input: { fromVirtualAccountId: defaultVaId, toVirtualAccountId: gid("VirtualAccount", us.id), sku: "C9300-NW-A", quantity: 1 } },
          INTEGRATION,
          scope,
        );
        expect({ scope, code: codeOf(transfer) }).toEqual({ scope, code: "NOT_FOUND" });
        expect(await eventCount(server)).toBe(events);
      }
      // catalog:write does not place orders either.
      const order = await place(domain, [{ sku: "C9300-NW-A", quantity: 1 }], INTEGRATION, "catalog:write");
      expect(codeOf(order)).toBe("NOT_FOUND");
      expect((await licensesOf(defaultVaId, admin)).map((l) => l.quantity)).toEqual([10]);
    });

    it("R2 products(search:) finds by SKU and by name, case-insensitively", async () => {
      const skus = async (search: string | null) => {
        const result = await server.gql(PRODUCTS, { search, first: 500 }, "anyone@r2-search.com");
        expect(result.errors).toBeUndefined();
        return (result.data.products.nodes as { sku: string }[]).map((p) => p.sku);
      };
      expect(await skus("c9300-dna")).toEqual(["C9300-DNA-A-3Y", "C9300-DNA-E-3Y"]);
      expect(await skus("C9300-Nw-A")).toEqual(["C9300-NW-A"]);
      expect(await skus("network ADVANTAGE")).toEqual(["C9300-NW-A"]);
      expect(await skus("classic pak")).toEqual(["L-ASA5506-SEC-PL", "L-CME-USR"]);
      expect(await skus("no-such-thing")).toEqual([]);
      // LIKE wildcards in the search are literal.
      expect(await skus("%")).toEqual([]);
      expect(await skus("_")).toEqual([]);
      expect(await skus("!")).toEqual([]);
      expect(await skus("\\")).toEqual([]);
      expect(await skus("9300-dna-_-3y")).toEqual([]);
      const all = await skus(null);
      expect(all).toEqual(expect.arrayContaining(["C9300-DNA-A-3Y", "C9300-NW-A", "L-ASA5506-SEC-PL"]));
      expect(all).toEqual([...all].sort());
    });
  });

  describe("R15 placing orders", () => {
    it("R15 the orders:write scope places an order into any account by domain, one event", async () => {
      const { admin, domain, defaultVaId } = await account("r15-scope.com");
      const events = await eventCount(server);
      const result = await place(" R15-Scope.COM ", [{ sku: "C9300-NW-A", quantity: 5 }], INTEGRATION, "orders:write");
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder).toMatchObject({ status: "FULFILLED", lines: [{ kind: "SMART", quantity: 5, product: { sku: "C9300-NW-A" } }] });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("ORDER_PLACED");
      const lots = await licensesOf(defaultVaId, admin);
      expect(lots).toMatchObject([{ quantity: 5, product: { sku: "C9300-NW-A" }, order: { id: result.data.placeOrder.id } }]);
      expect(domain).toBe("r15-scope.com");
    });

    it("R15 no role places orders: each of the seven roles → FORBIDDEN, nothing written; the same users with the orders:write scope place", async () => {
      const { built, domain } = await account("r15-roles.com");
      const us = await built.virtualAccount("US");
      for (const role of Object.values(Role)) {
        const email = `${role.toLowerCase()}@r15-roles.com`;
        await built.grant(email, role, role.startsWith("VIRTUAL") ? us : null);
        const before = await written();
        const result = await place(domain, [{ sku: "C9300-NW-E", quantity: 1 }], email);
        expect({ role, code: codeOf(result), data: result.data }).toEqual({ role, code: "FORBIDDEN", data: null });
        expect(await written()).toEqual(before);
      }
      // The scope decides, whatever role its holder has or lacks.
      for (const role of [Role.SMART_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_VIEWER]) {
        const result = await place(domain, [{ sku: "C9300-NW-E", quantity: 1 }], `${role.toLowerCase()}@r15-roles.com`, "orders:write");
        expect({ role, errors: result.errors, status: result.data?.placeOrder.status }).toEqual({ role, errors: undefined, status: "FULFILLED" });
      }
      // No role at all, or a domain nobody has: as if the account did not exist (R4).
      for (const target of [domain, "r15-nobody.com"]) {
        const result = await place(target, [{ sku: "C9300-NW-E", quantity: 1 }], "stranger@elsewhere.com");
        expect(codeOf(result)).toBe("NOT_FOUND");
      }
      expect(codeOf(await place("r15-nobody.com", [{ sku: "C9300-NW-E", quantity: 1 }], INTEGRATION, "orders:write"))).toBe("NOT_FOUND");
    });

    it("R15 the admin of a self-made PARTNER_HOLDING account cannot book licenses into it to assign them to a customer → FORBIDDEN, nothing written", async () => {
      const customer = await account("r15-victim.com");
      const mallory = "mallory@r15-selfmade.com";
      const requested = await server.gql(
        `mutation($input: RequestSmartAccountInput!) { requestSmartAccount(input: $input) { id } }`,
        { input: { name: "Mallory Holding", domain: "r15-selfmade.com", type: "PARTNER_HOLDING", approverEmail: mallory } },
        mallory,
      );
      expect(requested.errors).toBeUndefined();
      expect((await server.gql(ACTIVATE, { id: requested.data.requestSmartAccount.id }, mallory)).errors).toBeUndefined();
      const before = await written();
      const result = await place("r15-selfmade.com", [{ sku: "C9300-NW-A", quantity: 1_000_000 }], mallory);
      expect({ code: codeOf(result), data: result.data }).toEqual({ code: "FORBIDDEN", data: null });
      expect(await written()).toEqual(before);
      expect(await licensesOf(customer.defaultVaId, customer.admin)).toEqual([]);
    });

    it("R15 each invalid line → BAD_USER_INPUT naming input.lines[i].field, nothing written", async () => {
      const { domain } = await account("r15-invalid.com");
      const other = await account("r15-invalid-other.com");
      const good = { sku: "C9300-NW-A", quantity: 1 };
      const cases: [string, Record<string, unknown>, string][] = [
        ["unknown sku", { sku: "NO-SUCH-SKU", quantity: 1 }, "sku"],
        ["quantity 0", { sku: "C9300-NW-A", quantity: 0 }, "quantity"],
        ["quantity 1,000,001", { sku: "C9300-NW-A", quantity: 1_000_001 }, "quantity"],
        ["negative quantity", { sku: "C9300-NW-A", quantity: -3 }, "quantity"],
        ["TERM without termMonths", { sku: "C9300-DNA-A-3Y", quantity: 1 }, "termMonths"],
        ["PERPETUAL with termMonths", { sku: "C9300-NW-A", quantity: 1, termMonths: 12 }, "termMonths"],
        ["termMonths 0", { sku: "C9300-DNA-A-3Y", quantity: 1, termMonths: 0 }, "termMonths"],
        ["termMonths 121", { sku: "C9300-DNA-A-3Y", quantity: 1, termMonths: 121 }, "termMonths"],
        ["SMART line of a classic-only product", { sku: "L-ASA5506-SEC-PL", quantity: 1, kind: "SMART" }, "kind"],
        ["SMART by default for a classic-only product", { sku: "L-ASA5506-SEC-PL", quantity: 1 }, "kind"],
        ["virtualAccountId of another account", { ...good, virtualAccountId: other.defaultVaId }, "virtualAccountId"],
      ];
      for (const [label, line, field] of cases) {
        for (const index of [0, 2]) {
          const lines = index === 0 ? [line, good] : [good, good, line];
          const before = await written();
          const result = await place(domain, lines, INTEGRATION, "orders:write");
          expect({ label, index, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
            label,
            index,
            code: "BAD_USER_INPUT",
            field: `input.lines[${index}].${field}`,
          });
          expect(await written()).toEqual(before);
        }
      }
    });

    it("R15 the bounds themselves are accepted: quantity 1 and 1,000,000, termMonths 1 and 120, CLASSIC of a classic-only product", async () => {
      const { domain } = await account("r15-bounds.com");
      const result = await place(
        domain,
        [
          { sku: "C9300-NW-A", quantity: 1 },
          { sku: "C9300-NW-A", quantity: 1_000_000 },
          { sku: "C9300-DNA-A-3Y", quantity: 2, termMonths: 1 },
          { sku: "C9300-DNA-A-3Y", quantity: 2, termMonths: 120 },
          { sku: "L-ASA5506-SEC-PL", quantity: 3, kind: "CLASSIC" },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder.lines.map((l: { quantity: number; kind: string }) => [l.kind, l.quantity])).toEqual([
        ["SMART", 1],
        ["SMART", 1_000_000],
        ["SMART", 2],
        ["SMART", 2],
        ["CLASSIC", 3],
      ]);
    });

    it("R15 a line's sku names the catalog product trimmed and case-insensitively, on either database", async () => {
      const { admin, domain, defaultVaId } = await account("r15-sku-case.com");
      const result = await place(
        domain,
        [
          { sku: " c9300-nw-a ", quantity: 2 },
          { sku: "C9300-Dna-A-3y", quantity: 1, termMonths: 12 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder.lines.map((l: { product: { sku: string } }) => l.product.sku)).toEqual(["C9300-NW-A", "C9300-DNA-A-3Y"]);
      expect((await licensesOf(defaultVaId, admin)).map((l) => l.product.sku)).toEqual(["C9300-NW-A", "C9300-DNA-A-3Y"]);
      // The seeded catalog has a mixed-case SKU: it is found however it is written.
      for (const sku of ["ASAv10-THREAT-1Y", "ASAV10-THREAT-1Y", "asav10-threat-1y"]) {
        const mixed = await place(domain, [{ sku, quantity: 1, termMonths: 12 }], INTEGRATION, "orders:write");
        expect({ sku, errors: mixed.errors, product: mixed.data?.placeOrder.lines[0].product.sku }).toEqual({
          sku,
          errors: undefined,
          product: "ASAv10-THREAT-1Y",
        });
      }
    });

    it("R15 every order gets a unique human-readable number", async () => {
      const { domain } = await account("r15-numbers.com");
      const numbers: string[] = [];
      for (let i = 0; i < 4; i++) {
        const result = await place(domain, [{ sku: "ISR4K-SEC", quantity: 1 }], INTEGRATION, "orders:write");
        expect(result.errors).toBeUndefined();
        numbers.push(result.data.placeOrder.number);
      }
      expect(new Set(numbers).size).toBe(4);
      for (const number of numbers) expect(number).toMatch(/^SO-2026-\d+$/);
      const stored: { number: string }[] = await server.db.dataSource.query("SELECT number FROM orders");
      expect(new Set(stored.map((row) => row.number)).size).toBe(stored.length);
    });

    it("R15 the placer without a role reads the order in the payload and by node(id:), but not the line's Virtual Account", async () => {
      const { built, admin, domain } = await account("r15-placer.com");
      const us = await built.virtualAccount("US");
      const usId = gid("VirtualAccount", us.id);
      const result = await place(
        domain,
        [
          { sku: "C9300-NW-A", quantity: 4, virtualAccountId: usId },
          { sku: "ISR4K-SEC", quantity: 1 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      const order = result.data.placeOrder;
      expect(order.lines).toEqual([
        expect.objectContaining({ quantity: 4, product: { sku: "C9300-NW-A" }, virtualAccount: null }),
        expect.objectContaining({ quantity: 1, product: { sku: "ISR4K-SEC" }, virtualAccount: null }),
      ]);

      // Reading it back needs no scope: having placed it is enough.
      const byNode = await server.gql(ORDER_NODE, { id: order.id }, INTEGRATION);
      expect(byNode.errors).toBeUndefined();
      expect(byNode.data.node).toMatchObject({ id: order.id, number: order.number, status: "FULFILLED" });
      expect(byNode.data.node.lines.map((l: { virtualAccount: unknown }) => l.virtualAccount)).toEqual([null, null]);

      // Someone else without a role does not see it at all.
      const other = await server.gql(ORDER_NODE, { id: order.id }, "other@shop.example", "orders:write");
      expect(other.data.node).toBeNull();

      // The account's admin sees the Virtual Accounts.
      const asAdmin = await server.gql(ORDER_NODE, { id: order.id }, admin);
      expect(asAdmin.data.node.lines.map((l: { virtualAccount: { id: string } | null }) => l.virtualAccount?.id)).toEqual([
        usId,
        gid("VirtualAccount", built.defaultVirtualAccount.id),
      ]);
    });
  });

  describe("R16 fulfilment", () => {
    it("R16 into an ACTIVE account each line becomes one lot in its Virtual Account or the default, order FULFILLED", async () => {
      const { built, admin, domain, defaultVaId } = await account("r16-active.com");
      const [us, finance] = await built.chain("US", "Finance");
      const result = await place(
        domain,
        [
          { sku: "C9300-NW-A", quantity: 7, virtualAccountId: gid("VirtualAccount", finance.id) },
          { sku: "C9300-NW-A", quantity: 3 },
          { sku: "C9300-DNA-A-3Y", quantity: 2, termMonths: 36, virtualAccountId: gid("VirtualAccount", us.id) },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder.status).toBe("FULFILLED");
      const orderId = result.data.placeOrder.id;
      expect((await licensesOf(gid("VirtualAccount", finance.id), admin)).map((l) => [l.product.sku, l.quantity, l.order?.id])).toEqual([
        ["C9300-NW-A", 7, orderId],
      ]);
      expect((await licensesOf(defaultVaId, admin)).map((l) => [l.product.sku, l.quantity, l.order?.id])).toEqual([["C9300-NW-A", 3, orderId]]);
      expect((await licensesOf(gid("VirtualAccount", us.id), admin)).map((l) => [l.product.sku, l.quantity, l.order?.id])).toEqual([
        ["C9300-DNA-A-3Y", 2, orderId],
      ]);
      expect(await countRows(server, "licenses", "smart_account_id = ?", [built.id])).toBe(3);
    });

    it("R16 a term line starts at booking and ends termMonths later; a perpetual one never ends", async () => {
      const { admin, domain, defaultVaId } = await account("r16-term.com");
      const booked = new Date("2026-03-15T08:30:00.000Z");
      server.clock.set(booked);
      const result = await place(
        domain,
        [
          { sku: "C9300-DNA-A-3Y", quantity: 1, termMonths: 36 },
          { sku: "ASAv10-THREAT-1Y", quantity: 1, termMonths: 12 },
          { sku: "C9300-NW-A", quantity: 1 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder.lines.map((l: { startsAt: string; endsAt: string | null }) => [l.startsAt, l.endsAt])).toEqual([
        [booked.toISOString(), "2029-03-15T08:30:00.000Z"],
        [booked.toISOString(), "2027-03-15T08:30:00.000Z"],
        [booked.toISOString(), null],
      ]);
      server.clock.set(START);
      const lots = await licensesOf(defaultVaId, admin);
      expect(lots.map((l) => [l.product.sku, l.startsAt, l.endsAt])).toEqual([
        ["C9300-DNA-A-3Y", booked.toISOString(), "2029-03-15T08:30:00.000Z"],
        ["ASAv10-THREAT-1Y", booked.toISOString(), "2027-03-15T08:30:00.000Z"],
        ["C9300-NW-A", booked.toISOString(), null],
      ]);
    });

    it("R16 into a PENDING account the order stays PENDING with no licenses until activation; term dates start at booking", async () => {
      const { built, domain } = await account("r16-pending.com", { status: SmartAccountStatus.PENDING });
      const approver = "approver@r16-pending.com";
      await built.grant(approver, Role.SMART_ACCOUNT_APPROVER);
      const eu = await built.virtualAccount("EU");
      const booked = new Date("2026-11-01T09:00:00.000Z");
      server.clock.set(booked);
      const placed = await place(
        domain,
        [
          { sku: "C9300-DNA-A-3Y", quantity: 4, termMonths: 36, virtualAccountId: gid("VirtualAccount", eu.id) },
          { sku: "C9300-NW-A", quantity: 2 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(placed.errors).toBeUndefined();
      expect(placed.data.placeOrder.status).toBe("PENDING");
      const orderId = placed.data.placeOrder.id;
      expect(await countRows(server, "licenses", "smart_account_id = ?", [built.id])).toBe(0);
      const byNode = await server.gql(ORDER_NODE, { id: orderId }, INTEGRATION);
      expect(byNode.data.node.status).toBe("PENDING");

      server.clock.advanceDays(20);
      const events = await eventCount(server);
      const activated = await server.gql(ACTIVATE, { id: gid("SmartAccount", built.id) }, approver);
      expect(activated.errors).toBeUndefined();
      expect(await eventCount(server)).toBe(events + 1);
      expect((await server.gql(ORDER_NODE, { id: orderId }, INTEGRATION)).data.node.status).toBe("FULFILLED");

      // The approver is now SMART_ACCOUNT_ADMIN (R10) and sees the delivered lots.
      const euLots = await licensesOf(gid("VirtualAccount", eu.id), approver);
      expect(euLots.map((l) => [l.product.sku, l.quantity, l.startsAt, l.endsAt, l.order?.id])).toEqual([
        ["C9300-DNA-A-3Y", 4, booked.toISOString(), "2029-11-01T09:00:00.000Z", orderId],
      ]);
      const defaultLots = await licensesOf(gid("VirtualAccount", built.defaultVirtualAccount.id), approver);
      expect(defaultLots.map((l) => [l.product.sku, l.quantity, l.startsAt, l.endsAt])).toEqual([["C9300-NW-A", 2, booked.toISOString(), null]]);
      expect(await countRows(server, "licenses", "smart_account_id = ?", [built.id])).toBe(2);
    });

    it("R16 a CLASSIC line gets a generated PAK; a SMART line none", async () => {
      const { admin, domain, defaultVaId } = await account("r16-pak.com");
      const result = await place(
        domain,
        [
          { sku: "L-ASA5506-SEC-PL", quantity: 2, kind: "CLASSIC" },
          { sku: "L-ASA5506-SEC-PL", quantity: 1, kind: "CLASSIC" },
          { sku: "C9300-NW-A", quantity: 1 },
        ],
        INTEGRATION,
        "orders:write",
      );
      expect(result.errors).toBeUndefined();
      const lots = await licensesOf(defaultVaId, admin);
      expect(lots.map((l) => l.kind)).toEqual(["CLASSIC", "CLASSIC", "SMART"]);
      expect(lots[0].pak).toMatch(/^PAK-[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
      expect(lots[1].pak).toMatch(/^PAK-/);
      expect(lots[0].pak).not.toBe(lots[1].pak);
      expect(lots[2].pak).toBeNull();
    });
  });

  describe("R17, R18 partner holding accounts and assignOrder", () => {
    async function holdingWithOrder(
      prefix: string,
      lines = [
        { sku: "C9300-DNA-A-3Y", quantity: 10, termMonths: 36 },
        { sku: "C9300-NW-A", quantity: 5 },
      ],
    ) {
      const holding = await account(`${prefix}-hold.com`, { type: SmartAccountType.PARTNER_HOLDING });
      const partner = `partner@${prefix}-hold.com`;
      await holding.built.grant(partner, Role.SMART_ACCOUNT_USER);
      const booked = new Date("2026-06-01T00:00:00.000Z");
      const { order, licenses } = await holding.built.order(lines, { placedBy: INTEGRATION, bookedAt: booked });
      expect(licenses).toHaveLength(lines.length);
      return { holding, partner, orderId: gid("Order", order.id), order, licenses, booked };
    }

    it("R18 an order booked while the holding account was pending is delivered when assigned to an active customer", async () => {
      const holding = await account("r18-undelivered-hold.com", { type: SmartAccountType.PARTNER_HOLDING, status: SmartAccountStatus.PENDING });
      const partner = "partner@r18-undelivered-hold.com";
      await holding.built.grant(partner, Role.SMART_ACCOUNT_ADMIN);
      const booked = new Date("2026-06-01T00:00:00.000Z");
      const { order, licenses } = await holding.built.order([{ sku: "C9300-DNA-A-3Y", quantity: 7, termMonths: 12 }], { bookedAt: booked });
      expect(licenses).toHaveLength(0);
      const customer = await account("r18-undelivered-cust.com");
      const result = await server.gql(
        ASSIGN,
        { input: { orderId: gid("Order", order.id), smartAccountDomain: "r18-undelivered-cust.com" } },
        partner,
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.assignOrder).toMatchObject({ status: "FULFILLED", lines: [{ quantity: 7 }] });
      const lots = await server.db.dataSource.query("SELECT quantity, smart_account_id, starts_at FROM licenses WHERE order_id = ?", [order.id]);
      expect(lots).toHaveLength(1);
      expect(Number(lots[0].quantity)).toBe(7);
      expect(Number(lots[0].smart_account_id)).toBe(customer.built.id);
      expect(toDate(lots[0].starts_at)?.toISOString()).toBe(booked.toISOString());
    });

    it("R18 SMART_ACCOUNT_USER of the holding account assigns an order to a customer where they hold no role: order and licenses move, dates unchanged", async () => {
      const { holding, partner, orderId, order, licenses } = await holdingWithOrder("r18-move");
      const customer = await account("r18-move-cust.com");
      const datesBefore: unknown = await server.db.dataSource.query(
        "SELECT id, quantity, starts_at, ends_at FROM licenses WHERE order_id = ? ORDER BY id",
        [order.id],
      );
      const events = await eventCount(server);
      const result = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: "R18-Move-Cust.com" } }, partner);
      expect(result.errors).toBeUndefined();
      expect(result.data.assignOrder).toMatchObject({ id: orderId, status: "FULFILLED" });
      expect(await eventCount(server)).toBe(events + 1);
      expect(await lastEventType(server)).toBe("ORDER_ASSIGNED");

      const lots = await licensesOf(customer.defaultVaId, customer.admin);
      expect(lots.map((l) => l.id).sort()).toEqual(licenses.map((l) => gid("License", l.id)).sort());
      expect(await licensesOf(holding.defaultVaId, holding.admin)).toEqual([]);
      expect(
        await server.db.dataSource.query("SELECT id, quantity, starts_at, ends_at FROM licenses WHERE order_id = ? ORDER BY id", [order.id]),
      ).toEqual(datesBefore);
      expect(await countRows(server, "licenses", "order_id = ? AND smart_account_id = ?", [order.id, customer.built.id])).toBe(2);

      // The order is now the customer's: their admin lists it with its lines in their default Virtual Account.
      const orders = await server.gql(ACCOUNT_ORDERS, { domain: customer.domain }, customer.admin);
      expect(orders.errors).toBeUndefined();
      expect(orders.data.smartAccount.orders.nodes).toEqual([
        expect.objectContaining({
          id: orderId,
          status: "FULFILLED",
          lines: [
            expect.objectContaining({ virtualAccount: { id: customer.defaultVaId, name: "Default" } }),
            expect.objectContaining({ virtualAccount: { id: customer.defaultVaId, name: "Default" } }),
          ],
        }),
      ]);
      const holdingOrders = await server.gql(ACCOUNT_ORDERS, { domain: holding.domain }, holding.admin);
      expect(holdingOrders.data.smartAccount.orders.totalCount).toBe(0);
    });

    it("R18 assignOrder into a chosen Virtual Account; SMART_ACCOUNT_ADMIN may assign too", async () => {
      const { holding, orderId, order } = await holdingWithOrder("r18-va");
      const customer = await account("r18-va-cust.com");
      const plant = await customer.built.virtualAccount("Plant");
      const result = await server.gql(
        ASSIGN,
        { input: { orderId, smartAccountDomain: customer.domain, virtualAccountId: gid("VirtualAccount", plant.id) } },
        holding.admin,
      );
      expect(result.errors).toBeUndefined();
      expect(await countRows(server, "licenses", "order_id = ? AND virtual_account_id = ?", [order.id, plant.id])).toBe(2);
      expect(await licensesOf(customer.defaultVaId, customer.admin)).toEqual([]);
    });

    it("R18 only the order's licenses still in the holding account move", async () => {
      const { holding, partner, orderId, order } = await holdingWithOrder("r18-left", [{ sku: "C9300-NW-A", quantity: 10 }]);
      const elsewhere = await account("r18-left-else.com");
      await elsewhere.built.grant(partner, Role.SMART_ACCOUNT_USER);
      const reserve = await holding.built.virtualAccount("Reserve");
      const transfer = `mutation($input: TransferLicensesInput!) { transferLicenses(input: $input) { quantity } }`;
      // 3 leave the holding account, 2 move within it.
      for (const [to, quantity] of [
        [elsewhere.defaultVaId, 3],
        [gid("VirtualAccount", reserve.id), 2],
      ] as const) {
        const moved = await server.gql(
          transfer,
          { input: { fromVirtualAccountId: holding.defaultVaId, toVirtualAccountId: to, sku: "C9300-NW-A", quantity } },
          partner,
        );
        expect(moved.errors).toBeUndefined();
      }
      const customer = await account("r18-left-cust.com");
      const result = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: customer.domain } }, partner);
      expect(result.errors).toBeUndefined();
      const sum = async (accountId: number) =>
        Number(
          (
            await server.db.dataSource.query("SELECT COALESCE(SUM(quantity), 0) AS n FROM licenses WHERE order_id = ? AND smart_account_id = ?", [
              order.id,
              accountId,
            ])
          )[0].n,
        );
      expect(await sum(customer.built.id)).toBe(7);
      expect(await sum(elsewhere.built.id)).toBe(3);
      expect(await sum(holding.built.id)).toBe(0);
      expect((await licensesOf(customer.defaultVaId, customer.admin)).map((l) => l.quantity).sort()).toEqual([2, 5]);
    });

    it("R18 into a PENDING customer account the order is PENDING and the licenses are withheld until activation", async () => {
      const { partner, orderId, order, licenses, booked } = await holdingWithOrder("r18-pending");
      const customer = await account("r18-pending-cust.com", { status: SmartAccountStatus.PENDING });
      const approver = "approver@r18-pending-cust.com";
      await customer.built.grant(approver, Role.SMART_ACCOUNT_APPROVER);
      const result = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: customer.domain } }, partner);
      expect(result.errors).toBeUndefined();
      expect(result.data.assignOrder.status).toBe("PENDING");
      // Nobody can see licenses in the pending account: the approver has no license rights yet.
      const withheld = await server.gql(VA_LICENSES, { id: customer.defaultVaId }, approver);
      expect(withheld.data.node.licenses).toBeNull();
      expect(codeOf(withheld)).toBe("FORBIDDEN");

      server.clock.advanceDays(30);
      const activated = await server.gql(ACTIVATE, { id: gid("SmartAccount", customer.built.id) }, approver);
      expect(activated.errors).toBeUndefined();
      const orders = await server.gql(ACCOUNT_ORDERS, { domain: customer.domain, status: "FULFILLED" }, approver);
      expect(orders.data.smartAccount.orders.nodes.map((o: { id: string }) => o.id)).toEqual([orderId]);
      // Delivered once (not a second time on activation), with the booking dates.
      const lots = await licensesOf(customer.defaultVaId, approver);
      expect(lots.map((l) => l.id).sort()).toEqual(licenses.map((l) => gid("License", l.id)).sort());
      expect(lots.map((l) => l.startsAt)).toEqual([booked.toISOString(), booked.toISOString()]);
      expect(lots.find((l) => l.product.sku === "C9300-DNA-A-3Y")?.endsAt).toBe("2029-06-01T00:00:00.000Z");
      expect(await countRows(server, "licenses", "order_id = ?", [order.id])).toBe(2);
    });

    it("R18 an order not in a PARTNER_HOLDING account → CONFLICT, nothing changed", async () => {
      const customer = await account("r18-notheld.com");
      const target = await account("r18-notheld-target.com");
      const { order } = await customer.built.order([{ sku: "C9300-NW-A", quantity: 1 }]);
      const before = await written();
      const result = await server.gql(ASSIGN, { input: { orderId: gid("Order", order.id), smartAccountDomain: target.domain } }, customer.admin);
      expect(codeOf(result)).toBe("CONFLICT");
      expect(await written()).toEqual(before);
    });

    it("R18 assigning to a PARTNER_HOLDING domain → BAD_USER_INPUT; an unknown domain → NOT_FOUND; nothing changed", async () => {
      const { partner, orderId } = await holdingWithOrder("r18-target");
      const otherHolding = await account("r18-target-hold2.com", { type: SmartAccountType.PARTNER_HOLDING });
      let before = await written();
      const holdingTarget = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: otherHolding.domain } }, partner);
      expect(codeOf(holdingTarget)).toBe("BAD_USER_INPUT");
      expect(holdingTarget.errors![0].extensions.field).toBe("input.smartAccountDomain");
      expect(await written()).toEqual(before);
      before = await written();
      const unknown = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: "r18-nobody-here.com" } }, partner);
      expect(codeOf(unknown)).toBe("NOT_FOUND");
      expect(await written()).toEqual(before);
    });

    it("R18 a Virtual Account of another account → BAD_USER_INPUT, nothing changed", async () => {
      const { partner, orderId, holding } = await holdingWithOrder("r18-wrongva");
      const customer = await account("r18-wrongva-cust.com");
      const before = await written();
      const result = await server.gql(
        ASSIGN,
        { input: { orderId, smartAccountDomain: customer.domain, virtualAccountId: holding.defaultVaId } },
        partner,
      );
      expect(codeOf(result)).toBe("BAD_USER_INPUT");
      expect(result.errors![0].extensions.field).toBe("input.virtualAccountId");
      expect(await written()).toEqual(before);
    });

    it("R18 assigning needs SMART_ACCOUNT_ADMIN / SMART_ACCOUNT_USER on the holding account", async () => {
      const { holding, orderId } = await holdingWithOrder("r18-rights");
      const customer = await account("r18-rights-cust.com");
      const sub = await holding.built.virtualAccount("Sub");
      const cases: [Role, string][] = [
        [Role.SMART_ACCOUNT_VIEWER, "FORBIDDEN"],
        [Role.SMART_ACCOUNT_APPROVER, "NOT_FOUND"],
        [Role.VIRTUAL_ACCOUNT_ADMIN, "NOT_FOUND"],
      ];
      for (const [role, code] of cases) {
        const email = `${role.toLowerCase()}@r18-rights-hold.com`;
        await holding.built.grant(email, role, role.startsWith("VIRTUAL") ? sub : null);
        const before = await written();
        const result = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: customer.domain } }, email);
        expect({ role, code: codeOf(result) }).toEqual({ role, code });
        expect(await written()).toEqual(before);
      }
      // A customer admin (a role on the target, none on the holding account) cannot pull the order.
      const pulled = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: customer.domain } }, customer.admin);
      expect(codeOf(pulled)).toBe("NOT_FOUND");
      // Placing with orders:write does not make the integration able to assign.
      const integration = await server.gql(ASSIGN, { input: { orderId, smartAccountDomain: customer.domain } }, INTEGRATION, "orders:write");
      expect(codeOf(integration)).toBe("FORBIDDEN");
    });

    it("R17 no registration token can be created in a PARTNER_HOLDING account → BAD_USER_INPUT, nothing written", async () => {
      const holding = await account("r17-token-hold.com", { type: SmartAccountType.PARTNER_HOLDING });
      const customer = await account("r17-token-cust.com");
      const create = `mutation($input: CreateRegistrationTokenInput!) { createRegistrationToken(input: $input) { __typename } }`;
      const before = { tokens: await countRows(server, "registration_tokens"), events: await eventCount(server) };
      const refused = await server.gql(create, { input: { virtualAccountId: holding.defaultVaId, expiresInDays: 30 } }, holding.admin);
      expect(codeOf(refused)).toBe("BAD_USER_INPUT");
      expect({ tokens: await countRows(server, "registration_tokens"), events: await eventCount(server) }).toEqual(before);
      // The same admin rights in a customer account do create one.
      const created = await server.gql(create, { input: { virtualAccountId: customer.defaultVaId, expiresInDays: 30 } }, customer.admin);
      expect(created.errors).toBeUndefined();
      expect(await countRows(server, "registration_tokens")).toBe(before.tokens + 1);
    });

    it("R17 orders placed into a holding account are fulfilled there like any active account", async () => {
      const holding = await account("r17-place-hold.com", { type: SmartAccountType.PARTNER_HOLDING });
      const result = await place(holding.domain, [{ sku: "C9300-NW-A", quantity: 6 }], INTEGRATION, "orders:write");
      expect(result.errors).toBeUndefined();
      expect(result.data.placeOrder.status).toBe("FULFILLED");
      expect((await licensesOf(holding.defaultVaId, holding.admin)).map((l) => l.quantity)).toEqual([6]);
    });
  });

  describe("SmartAccount.orders and Order.lines", () => {
    it("SmartAccount.orders lists the account's orders newest first, filtered by status, for SA roles that see orders", async () => {
      const { built, admin, domain } = await account("orders-list.com");
      const first = await built.order([{ sku: "C9300-NW-A", quantity: 1 }]);
      const second = await built.order([
        { sku: "C9300-DNA-A-3Y", quantity: 2, termMonths: 12, kind: LicenseKind.SMART },
        { sku: "ISR4K-SEC", quantity: 3 },
      ]);
      // A pending order, as one assigned into a pending account would be.
      await server.db.dataSource.query("UPDATE orders SET status = 'PENDING' WHERE id = ?", [first.order.id]);
      const all = await server.gql(ACCOUNT_ORDERS, { domain }, admin);
      expect(all.errors).toBeUndefined();
      expect(all.data.smartAccount.orders.totalCount).toBe(2);
      expect(all.data.smartAccount.orders.nodes.map((o: { id: string }) => o.id)).toEqual([
        gid("Order", second.order.id),
        gid("Order", first.order.id),
      ]);
      expect(all.data.smartAccount.orders.nodes[0].lines).toEqual([
        {
          kind: "SMART",
          quantity: 2,
          product: { sku: "C9300-DNA-A-3Y" },
          virtualAccount: { id: gid("VirtualAccount", built.defaultVirtualAccount.id), name: "Default" },
        },
        {
          kind: "SMART",
          quantity: 3,
          product: { sku: "ISR4K-SEC" },
          virtualAccount: { id: gid("VirtualAccount", built.defaultVirtualAccount.id), name: "Default" },
        },
      ]);
      const pending = await server.gql(ACCOUNT_ORDERS, { domain, status: "PENDING" }, admin);
      expect(pending.data.smartAccount.orders.nodes.map((o: { id: string }) => o.id)).toEqual([gid("Order", first.order.id)]);
      const fulfilled = await server.gql(ACCOUNT_ORDERS, { domain, status: "FULFILLED" }, admin);
      expect(fulfilled.data.smartAccount.orders.nodes.map((o: { id: string }) => o.id)).toEqual([gid("Order", second.order.id)]);

      const us = await built.virtualAccount("US");
      await built.grant("viewer@orders-list.com", Role.SMART_ACCOUNT_VIEWER);
      await built.grant("va-admin@orders-list.com", Role.VIRTUAL_ACCOUNT_ADMIN, us);
      const viewer = await server.gql(ACCOUNT_ORDERS, { domain }, "viewer@orders-list.com");
      expect(viewer.data.smartAccount.orders.totalCount).toBe(2);
      const vaAdmin: GqlResult = await server.gql(ACCOUNT_ORDERS, { domain }, "va-admin@orders-list.com");
      expect(vaAdmin.data.smartAccount.orders).toBeNull();
      expect(codeOf(vaAdmin)).toBe("FORBIDDEN");
    });
  });
});
