import { Role } from "../entities";
import { csvField } from "../src/reporting/formats";
import { startTestServer, TestServer } from "./support/harness";

/**
 * R34 (CSV safety: cells a spreadsheet would evaluate are prefixed with `'`, CSV only) and the export
 * requests' errors: always a JSON 4xx with a code, never an HTML page or a 500, and a header-safe
 * Content-Disposition filename.
 */

const FORMULA = '=HYPERLINK("http://x","y")';

/** GET a path on the server as `as` (an email, or null for no token). */
async function get(server: TestServer, path: string, as: string | null) {
  const headers: Record<string, string> = {};
  if (as) headers.authorization = `Bearer ${await server.token(as)}`;
  const response = await fetch(server.url.replace("/graphql", path), { headers });
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    disposition: response.headers.get("content-disposition"),
    body: await response.text(),
  };
}

describe("R34 CSV safety and export request errors", () => {
  let server: TestServer;
  const admin = "admin@acme.com";
  let logged: unknown[][];
  let spy: jest.SpyInstance;
  beforeAll(async () => {
    server = await startTestServer();
    const acme = await server.build.account("acme.com");
    await acme.grant(admin, Role.SMART_ACCOUNT_ADMIN);
    const [formula] = await acme.chain(FORMULA);
    const [plus] = await acme.chain("+1 Sales");
    await acme.license(formula, "C9300-NW-A", 3, { tags: ["-2+3", "plain", "@home"] });
    await acme.license(plus, "C9300-NW-A", 2);
    await acme.device(formula, "C9300-48P", "SAFE0001", { hostname: "=cmd|' /C calc'!A0", usage: [{ sku: "C9300-NW-A", count: 1 }] });
    await acme.device(plus, "C9300-48P", "SAFE0002", { hostname: "@SUM(1+1)" });
  });
  afterAll(() => server.close());
  beforeEach(() => {
    logged = [];
    spy = jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args));
  });
  afterEach(() => spy.mockRestore());

  describe("R34 CSV cells", () => {
    it("R34 a text cell beginning with = + - @ tab or CR is prefixed with ' ; others and numbers are not", () => {
      expect(csvField("=1+1")).toBe("'=1+1");
      expect(csvField("+1")).toBe("'+1");
      expect(csvField("-1")).toBe("'-1");
      expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
      expect(csvField("\tx")).toBe("'\tx");
      expect(csvField("\rx")).toBe('"\'\rx"');
      expect(csvField(FORMULA)).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
      expect(csvField(["-2+3", "plain"])).toBe("'-2+3;plain");
      expect(csvField("a=b")).toBe("a=b");
      expect(csvField("")).toBe("");
      expect(csvField(-5)).toBe("-5");
      expect(csvField(0)).toBe("0");
      expect(csvField(null)).toBe("");
    });

    it("R34 the licenses CSV prefixes a formula-like Virtual Account name, path and tags", async () => {
      const result = await get(server, "/exports/licenses?domain=acme.com", admin);
      expect(result.status).toBe(200);
      expect(result.body).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
      expect(result.body).toContain("'-2+3;@home;plain");
      expect(result.body).toContain(",'+1 Sales,");
      // No cell of any line starts a formula unprefixed.
      for (const line of result.body.split("\r\n").filter(Boolean)) {
        for (const cell of line.split(",")) expect(cell).not.toMatch(/^"?[=+\-@\t\r]/);
      }
    });

    it("R34 the pools and product-instances CSVs prefix names and hostnames; numbers stay numbers", async () => {
      const pools = await get(server, "/exports/pools?domain=acme.com", admin);
      expect(pools.status).toBe(200);
      expect(pools.body).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
      expect(pools.body).toMatch(/,'\+1 Sales,'\+1 Sales,C9300-NW-A,"[^"]*",2,0,2,0,AUTHORIZED,/);
      const devices = await get(server, "/exports/product-instances?domain=acme.com", admin);
      expect(devices.status).toBe(200);
      expect(devices.body).toContain(",'=cmd|' /C calc'!A0,");
      expect(devices.body).toContain(",'@SUM(1+1),");
    });

    it("R34 NDJSON is unchanged", async () => {
      const licenses = await get(server, "/exports/licenses?domain=acme.com&format=ndjson", admin);
      expect(licenses.status).toBe(200);
      const rows = licenses.body
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(rows.map((row) => row.virtualAccountName).sort()).toEqual(["+1 Sales", FORMULA].sort());
      expect(rows.find((row) => row.virtualAccountName === FORMULA).tags).toEqual(["-2+3", "@home", "plain"]);
      const devices = await get(server, "/exports/product-instances?domain=acme.com&format=ndjson", admin);
      expect(devices.body).toContain(JSON.stringify("=cmd|' /C calc'!A0"));
      expect(devices.body).not.toContain("'=cmd");
    });
  });

  describe("export request errors", () => {
    /** A JSON 4xx with errors[0].extensions.code, no HTML, nothing logged as a failure. */
    const expectJsonError = (result: Awaited<ReturnType<typeof get>>, status: number, code: string, label: string) => {
      expect({ label, status: result.status, type: result.type }).toEqual({ label, status, type: expect.stringContaining("application/json") });
      expect(result.body).not.toMatch(/<html|<pre|<!DOCTYPE/i);
      expect({ label, code: JSON.parse(result.body).errors[0].extensions.code }).toEqual({ label, code });
    };

    it("R34 ?domain=acme.com%0a is the account acme.com (trimmed, R6) with a header-safe filename, not a 500", async () => {
      const result = await get(server, "/exports/licenses?domain=acme.com%0a", admin);
      expect(result.status).toBe(200);
      expect(result.disposition).toBe(`attachment; filename="licenses-acme.com-2026-11-23.csv"`);
      expect(logged).toEqual([]);
    });

    it("R34 the filename is built from the stored domain: nothing of the request's text reaches the header", async () => {
      const result = await get(server, "/exports/pools?domain=%20ACME.com%0d%0a&format=ndjson", admin);
      expect(result.status).toBe(200);
      expect(result.disposition).toBe(`attachment; filename="pools-acme.com-2026-11-23.ndjson"`);
    });

    it("R34 every bad export request is a JSON 4xx with a code, never HTML or a 500, and logs no stack", async () => {
      const cases: [string, string | null, number, string][] = [
        // control and format characters inside a parameter are refused (MariaDB's collation would ignore a NUL)
        ["/exports/licenses?domain=acme.com%0aX-Injected:%201", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme%00.com", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com%E2%80%8B%E2%80%8Bx", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&sku=C9300%1b[0m", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=%0d%0a", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&domain=other.com", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&format=xlsx%0a", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&status=%0a", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&virtualAccountId=%E2%80%AE%0a", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=acme.com&includeDescendants=yes%0a", admin, 400, "BAD_USER_INPUT"],
        ["/exports/licenses?domain=%E0%A4%A", admin, 404, "NOT_FOUND"],
        ["/exports/licenses?domain=acme.com", null, 401, "UNAUTHENTICATED"],
        ["/exports/%E0%A4%A?domain=acme.com", admin, 400, "BAD_USER_INPUT"],
        ["/exports/nothing?domain=acme.com", admin, 404, "NOT_FOUND"],
      ];
      for (const [path, as, status, code] of cases) expectJsonError(await get(server, path, as), status, code, path);
      expect(logged).toEqual([]);
    });
  });
});
