import { Role } from "../entities";
import { codeOf, GqlResult, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, snapshot } from "./support/db-counts";
import { gid } from "./support/ids";
import { parseGlobalId } from "../src/ids";

/** Rules R6 (input hygiene: NFC, lengths, control and format characters), R15 (100 lines per order), R21 (tags). */

const CREATE_VA = `mutation($input: CreateVirtualAccountInput!) { createVirtualAccount(input: $input) { id name description } }`;
const UPDATE_VA = `mutation($input: UpdateVirtualAccountInput!) { updateVirtualAccount(input: $input) { id name description } }`;
const REQUEST_SA = `mutation($input: RequestSmartAccountInput!) { requestSmartAccount(input: $input) { id name } }`;
const UPDATE_SA = `mutation($input: UpdateSmartAccountInput!) { updateSmartAccount(input: $input) { id name } }`;
const REQUEST_ACCESS = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id message } }`;
const UPSERT = `mutation($input: UpsertProductInput!) { upsertProduct(input: $input) { id sku name } }`;
const CREATE_TOKEN = `mutation($input: CreateRegistrationTokenInput!) { createRegistrationToken(input: $input) { token { id description } } }`;
const PLACE = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status lines { quantity } } }`;
const SET_TAGS = `mutation($input: SetLicenseTagsInput!) { setLicenseTags(input: $input) { id tags } }`;

/** Control and invisible format characters (Cc, Cf) a name must refuse, by what they are. */
const INVISIBLE: Record<string, string> = {
  NUL: "\u0000",
  "ESC sequence": "\u001b[31m",
  DEL: "\u007f",
  "C1 control": "\u0085",
  "zero-width space": "\u200b",
  "zero-width joiner": "\u200d",
  "right-to-left override": "\u202e",
  "left-to-right isolate": "\u2066",
  "word joiner": "\u2060",
  "soft hyphen": "\u00ad",
  "line break": "\n",
  tab: "\t",
};
/** The same minus what free text keeps: line breaks and tabs. */
const INVISIBLE_IN_TEXT = Object.fromEntries(Object.entries(INVISIBLE).filter(([what]) => what !== "line break" && what !== "tab"));

// These suites try every refused character one request at a time (hundreds of requests per test): on a busy
// machine a test may take minutes, which is a slow test, not a failing one.
jest.setTimeout(240_000);

describe("rules R6, R15, R21: input hygiene", () => {
  let server: TestServer;
  let accountId: string;
  let defaultVaId: string;
  const admin = "admin@r6-hygiene.com";
  beforeAll(async () => {
    server = await startTestServer();
    const built = await server.build.account("r6-hygiene.com");
    await built.grant(admin, Role.SMART_ACCOUNT_ADMIN);
    accountId = gid("SmartAccount", built.id);
    defaultVaId = gid("VirtualAccount", built.defaultVirtualAccount.id);
  });
  afterAll(() => server.close());

  /** BAD_USER_INPUT naming `field`, and nothing written (R3). */
  async function refused(run: () => Promise<GqlResult>, field: string, label: string) {
    const before = await snapshot(server);
    const products = await countRows(server, "products");
    const result = await run();
    expect({ label, code: codeOf(result), field: result.errors?.[0]?.extensions.field }).toEqual({ label, code: "BAD_USER_INPUT", field });
    const after = await snapshot(server);
    // the viewer's own user row is created by the token (R1); nothing else may change
    expect({ label, ...after, users: before.users }).toEqual({ label, ...before });
    expect(await countRows(server, "products")).toBe(products);
  }

  describe("R6 names", () => {
    it("R6 `Finance` and `Finance\\u200b` can never be two siblings: the second is BAD_USER_INPUT naming input.name", async () => {
      const first = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "Finance" } }, admin);
      expect(first.errors).toBeUndefined();
      for (const lookalike of ["Finance\u200b", "\u200bFinance", "Fin\u200cance", "Finance\u202e", "Finance\ufeff\u200b"]) {
        await refused(
          () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: lookalike } }, admin),
          "input.name",
          JSON.stringify(lookalike),
        );
      }
      // renaming a sibling into the look-alike is refused alike
      const other = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "Sales" } }, admin);
      await refused(
        () => server.gql(UPDATE_VA, { input: { id: other.data.createVirtualAccount.id, name: "Finance\u200b" } }, admin),
        "input.name",
        "rename",
      );
    });

    it("R6 every control and format character is refused in every name input, naming the field", async () => {
      for (const [what, char] of Object.entries(INVISIBLE)) {
        const name = `Bad${char}Name`;
        await refused(
          () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name } }, admin),
          "input.name",
          `createVirtualAccount ${what}`,
        );
        await refused(() => server.gql(UPDATE_VA, { input: { id: defaultVaId, name } }, admin), "input.name", `updateVirtualAccount ${what}`);
        await refused(() => server.gql(UPDATE_SA, { input: { smartAccountId: accountId, name } }, admin), "input.name", `updateSmartAccount ${what}`);
        await refused(
          () =>
            server.gql(
              REQUEST_SA,
              { input: { name, domain: "bad-name.com", type: "CUSTOMER", approverEmail: "boss@bad-name.com" } },
              "someone@bad-name.com",
            ),
          "input.name",
          `requestSmartAccount ${what}`,
        );
        await refused(
          () =>
            server.gql(
              UPSERT,
              { input: { sku: "R6-BAD-NAME", name, model: "PERPETUAL", smartEnabled: true } },
              "catalog@shop.example",
              "catalog:write",
            ),
          "input.name",
          `upsertProduct ${what}`,
        );
      }
    });

    it("R6 names are normalized to NFC before they are compared, stored and measured", async () => {
      const decomposed = "Cafe\u0301"; // e + combining acute accent
      const created = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: `  ${decomposed}  ` } }, admin);
      expect(created.errors).toBeUndefined();
      expect(created.data.createVirtualAccount.name).toBe("Caf\u00e9");
      const rows: { name: string }[] = await server.db.dataSource.query("SELECT name FROM virtual_accounts WHERE id = ?", [
        parseGlobalId(created.data.createVirtualAccount.id)!.id,
      ]);
      expect(rows.map((row) => row.name)).toEqual(["Caf\u00e9"]);
      // the precomposed spelling is the same sibling (R12)
      const again = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "caf\u00e9" } }, admin);
      expect(codeOf(again)).toBe("CONFLICT");
      // 100 characters once composed, though 200 code points as sent
      const composedHundred = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "e\u0301".repeat(100) } }, admin);
      expect(composedHundred.errors).toBeUndefined();
      expect(composedHundred.data.createVirtualAccount.name).toBe("\u00e9".repeat(100));
      await refused(
        () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "e\u0301".repeat(101) } }, admin),
        "input.name",
        "101 composed",
      );
    });

    it("R6 lengths count characters, not UTF-16 units: 100 emoji are a valid name, 101 are not", async () => {
      const ok = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "\u{1F600}".repeat(100) } }, admin);
      expect(ok.errors).toBeUndefined();
      expect([...ok.data.createVirtualAccount.name]).toHaveLength(100);
      await refused(
        () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "\u{1F600}".repeat(101) } }, admin),
        "input.name",
        "101 emoji",
      );
    });

    it("R6 visible non-ASCII names stay allowed (accents, CJK, RTL script without overrides)", async () => {
      for (const name of ["Zürich – Büro", "東京 支社", "מחלקת כספים", "Ünïcödé & Co."]) {
        const result = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name } }, admin);
        expect({ name, errors: result.errors, stored: result.data?.createVirtualAccount.name }).toEqual({ name, errors: undefined, stored: name });
      }
    });
  });

  describe("R6 descriptions and messages", () => {
    it("R6 descriptions keep line breaks and tabs inside; other control and format characters are refused", async () => {
      const text = "first line\r\nsecond\tcolumn\nthird";
      const ok = await server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "Described", description: `  ${text}\n` } }, admin);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.createVirtualAccount.description).toBe(text);
      for (const [what, char] of Object.entries(INVISIBLE_IN_TEXT)) {
        const description = `a ${char} description`;
        await refused(
          () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: `Desc ${what}`, description } }, admin),
          "input.description",
          `create ${what}`,
        );
        await refused(
          () => server.gql(UPDATE_VA, { input: { id: ok.data.createVirtualAccount.id, description } }, admin),
          "input.description",
          `update ${what}`,
        );
        await refused(
          () => server.gql(CREATE_TOKEN, { input: { virtualAccountId: defaultVaId, description, expiresInDays: 30 } }, admin),
          "input.description",
          `token ${what}`,
        );
      }
      const token = await server.gql(
        CREATE_TOKEN,
        { input: { virtualAccountId: defaultVaId, description: "rack 1\nrack 2", expiresInDays: 30 } },
        admin,
      );
      expect(token.errors).toBeUndefined();
      expect(token.data.createRegistrationToken.token.description).toBe("rack 1\nrack 2");
    });

    it("R6 access-request messages keep line breaks and tabs; other control and format characters are refused", async () => {
      for (const [what, char] of Object.entries(INVISIBLE_IN_TEXT)) {
        const events = await eventCount(server);
        const result = await server.gql(
          REQUEST_ACCESS,
          { input: { domain: "r6-hygiene.com", message: `please${char}let me in` } },
          "asker@elsewhere.com",
        );
        expect({ what, code: codeOf(result), field: result.errors?.[0]?.extensions.field }).toEqual({
          what,
          code: "BAD_USER_INPUT",
          field: "input.message",
        });
        expect(await eventCount(server)).toBe(events);
      }
      expect(await countRows(server, "access_requests")).toBe(0);
      const ok = await server.gql(
        REQUEST_ACCESS,
        { input: { domain: "r6-hygiene.com", message: "Hello,\r\n\tplease let me in.\n" } },
        "asker@elsewhere.com",
      );
      expect(ok.errors).toBeUndefined();
      expect(ok.data.requestAccess.message).toBe("Hello,\r\n\tplease let me in.");
    });

    it("R6 description and message lengths are measured after NFC", async () => {
      const ok = await server.gql(
        CREATE_VA,
        { input: { smartAccountId: accountId, name: "Long description", description: "e\u0301".repeat(500) } },
        admin,
      );
      expect(ok.errors).toBeUndefined();
      expect(ok.data.createVirtualAccount.description).toBe("\u00e9".repeat(500));
      await refused(
        () => server.gql(CREATE_VA, { input: { smartAccountId: accountId, name: "Too long", description: "e\u0301".repeat(501) } }, admin),
        "input.description",
        "501",
      );
    });
  });

  describe("R15 lines per order", () => {
    it("R15 at most 100 lines per order: 101 → BAD_USER_INPUT naming input.lines, nothing written; 100 are placed", async () => {
      const line = { sku: "C9300-NW-A", quantity: 1 };
      const before = {
        orders: await countRows(server, "orders"),
        lines: await countRows(server, "order_lines"),
        licenses: await countRows(server, "licenses"),
        events: await eventCount(server),
      };
      const tooMany = await server.gql(
        PLACE,
        { input: { smartAccountDomain: "r6-hygiene.com", lines: Array(101).fill(line) } },
        "commerce@shop.example",
        "orders:write",
      );
      expect(codeOf(tooMany)).toBe("BAD_USER_INPUT");
      expect(tooMany.errors![0].extensions.field).toBe("input.lines");
      expect({
        orders: await countRows(server, "orders"),
        lines: await countRows(server, "order_lines"),
        licenses: await countRows(server, "licenses"),
        events: await eventCount(server),
      }).toEqual(before);
      const hundred = await server.gql(
        PLACE,
        { input: { smartAccountDomain: "r6-hygiene.com", lines: Array(100).fill(line) } },
        "commerce@shop.example",
        "orders:write",
      );
      expect(hundred.errors).toBeUndefined();
      expect(hundred.data.placeOrder.lines).toHaveLength(100);
      expect(hundred.data.placeOrder.status).toBe("FULFILLED");
    });
  });

  describe("R21 tags", () => {
    let lotId: string;
    beforeAll(async () => {
      const built = await server.build.account("r21-tags.com");
      await built.grant("admin@r21-tags.com", Role.SMART_ACCOUNT_ADMIN);
      lotId = gid("License", (await built.license(built.defaultVirtualAccount, "C9300-NW-A", 5)).id);
    });
    const setTags = (tags: string[]) => server.gql(SET_TAGS, { input: { licenseId: lotId, tags } }, "admin@r21-tags.com");
    const stored = async () =>
      ((await server.db.dataSource.query("SELECT tag FROM license_tags ORDER BY tag")) as { tag: string }[]).map((row) => row.tag);

    it('R21 ["a","a","A"] keeps "a" once (no internal error), one event', async () => {
      const events = await eventCount(server);
      const result = await setTags(["a", "a", "A"]);
      expect(result.errors).toBeUndefined();
      expect(result.data.setLicenseTags.tags).toEqual(["a"]);
      expect(await stored()).toEqual(["a"]);
      expect(await eventCount(server)).toBe(events + 1);
    });

    it("R21 tags that repeat, case set aside, are kept once in the first spelling given", async () => {
      const result = await setTags(["Rack 1", "lab", "RACK 1", " rack 1 ", "Lab", "cost_center-4.2"]);
      expect(result.errors).toBeUndefined();
      expect([...result.data.setLicenseTags.tags].sort()).toEqual(["Rack 1", "cost_center-4.2", "lab"].sort());
      expect((await stored()).sort()).toEqual(["Rack 1", "cost_center-4.2", "lab"].sort());
    });

    it("R21 at most 20 tags after folding: 20 distinct with repeats pass, 21 distinct → BAD_USER_INPUT, nothing changed", async () => {
      const twenty = Array.from({ length: 20 }, (_, i) => `tag-${i}`);
      const ok = await setTags([...twenty, ...twenty.map((tag) => tag.toUpperCase())]);
      expect(ok.errors).toBeUndefined();
      expect(ok.data.setLicenseTags.tags).toHaveLength(20);
      const before = { tags: await stored(), events: await eventCount(server) };
      const tooMany = await setTags([...twenty, "tag-20"]);
      expect(codeOf(tooMany)).toBe("BAD_USER_INPUT");
      expect(tooMany.errors![0].extensions.field).toBe("input.tags");
      expect({ tags: await stored(), events: await eventCount(server) }).toEqual(before);
    });

    it("R21 each tag 1–50 of A-Za-z0-9 space _ . - ; otherwise BAD_USER_INPUT naming input.tags[i]", async () => {
      const before = { tags: await stored(), events: await eventCount(server) };
      for (const [index, bad] of [
        [1, ""],
        [1, "x".repeat(51)],
        [1, "=HYPERLINK(1)"],
        [1, "Zürich"],
        [1, "zero\u200bwidth"],
      ] as [number, string][]) {
        const result = await setTags(["ok", bad]);
        expect({ bad, code: codeOf(result), field: result.errors?.[0]?.extensions.field }).toEqual({
          bad,
          code: "BAD_USER_INPUT",
          field: `input.tags[${index}]`,
        });
      }
      expect({ tags: await stored(), events: await eventCount(server) }).toEqual(before);
      const fifty = await setTags(["x".repeat(50)]);
      expect(fifty.errors).toBeUndefined();
    });
  });
});
