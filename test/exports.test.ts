import { EventEmitter } from "node:events";
import http from "node:http";
import { LicenseKind, Role } from "../entities";
import { BATCH_SIZE } from "../src/reporting/exports";
import { isoTimestamp } from "../src/reporting/formats";
import { drainedOrClosed } from "../src/reporting/router";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";

/** GET an export; resolves with status, headers and the whole body. */
async function get(server: TestServer, path: string, as: string | null, accept?: string, options: { direct?: boolean } = {}) {
  const headers: Record<string, string> = {};
  if (as) headers.authorization = `Bearer ${await server.token(as)}`;
  if (accept) headers.accept = accept;
  const response = await fetch((options.direct ? server.direct.url : server.url).replace("/graphql", path), { headers });
  return { status: response.status, type: response.headers.get("content-type") ?? "", body: await response.text() };
}

/** RFC 4180 parser for the tests: quoted fields, doubled quotes, CRLF inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const records = (csv: string) => {
  const [header, ...rows] = parseCsv(csv);
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i]])));
};

describe("streamed exports for reporting tools (issue #6)", () => {
  let server: TestServer;
  let financeId: string;
  let usId: string;
  beforeAll(async () => {
    // The client (fetch) and the server share this process's event loop. A long synchronous stretch (the
    // large-export seeding below on SQLite, a starved CPU) can outlast the server's 5 s keep-alive: fetch
    // then writes its next request on the idle pooled connection before the timers phase runs, the
    // server's keep-alive timer fires before it has read that request, and closes the socket under it:
    // ECONNRESET (reproduced with a 6 s busy loop between two requests). No pause in this suite comes
    // near ten minutes; server.close() closes the idle connections.
    server = await startTestServer({ env: { HTTP_KEEP_ALIVE_TIMEOUT_MS: "600000" } });
    const acme = await server.build.account("acme.com");
    const [us, finance] = await acme.chain("US", 'Finance, "Tax" & Audit');
    const [emea] = await acme.chain("EMEA");
    usId = gid("VirtualAccount", us.id);
    financeId = gid("VirtualAccount", finance.id);
    await acme.grant("admin@acme.com", Role.SMART_ACCOUNT_ADMIN);
    await acme.grant("viewer@acme.com", Role.SMART_ACCOUNT_VIEWER);
    await acme.grant("approver@acme.com", Role.SMART_ACCOUNT_APPROVER);
    await acme.grant("us-viewer@acme.com", Role.VIRTUAL_ACCOUNT_VIEWER, us);
    await acme.grant("finance-user@acme.com", Role.VIRTUAL_ACCOUNT_USER, finance);
    await acme.order([{ sku: "C9300-DNA-A-3Y", quantity: 10, termMonths: 36, virtualAccount: finance }], { placedBy: "admin@acme.com" });
    await acme.license(us, "C9300-NW-A", 4, { tags: ["rack, 1", 'say "hi"', "Zürich – läb"] });
    await acme.license(emea, "C9300-NW-A", 7);
    await acme.license(finance, "ISR4K-SEC", 2, { endsAt: new Date("2026-01-01T00:00:00.000Z") });
    await acme.license(finance, "L-ASA5506-SEC-PL", 1, { kind: LicenseKind.CLASSIC });
    await acme.device(finance, "C9300-48P", "EXPORT0001", { hostname: "fin-sw-1", usage: [{ sku: "C9300-DNA-A-3Y", count: 3 }] });
    await acme.device(emea, "C9300-48P", "EXPORT0002", { hostname: "emea-sw-1", usage: [{ sku: "C9300-NW-A", count: 9 }] });
    const other = await server.build.account("other.com");
    await other.grant("outsider@other.com", Role.SMART_ACCOUNT_ADMIN);
  });
  afterAll(() => server.close());

  it("R1 no or a bad token → 401 UNAUTHENTICATED as JSON", async () => {
    const none = await get(server, "/exports/licenses?domain=acme.com", null);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const bad = await fetch(server.url.replace("/graphql", "/exports/licenses?domain=acme.com"), { headers: { authorization: "Bearer nope" } });
    expect(bad.status).toBe(401);
    await bad.text();
  });

  it("R4 an account the viewer cannot see → 404 NOT_FOUND; unknown domain the same", async () => {
    for (const path of ["/exports/licenses?domain=acme.com", "/exports/pools?domain=acme.com", "/exports/product-instances?domain=acme.com"]) {
      const result = await get(server, path, "outsider@other.com");
      expect(result.status).toBe(404);
      expect(JSON.parse(result.body).errors[0].extensions.code).toBe("NOT_FOUND");
    }
    expect((await get(server, "/exports/licenses?domain=nowhere.com", "admin@acme.com")).status).toBe(404);
  });

  it("§5 a viewer without the right to see licenses → 403 FORBIDDEN", async () => {
    const result = await get(server, "/exports/licenses?domain=acme.com", "approver@acme.com");
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body).errors[0].extensions.code).toBe("FORBIDDEN");
  });

  it("R4 a Virtual Account outside the viewer's scope → 404", async () => {
    const emea = await server.gql(`{ smartAccount(domain: "acme.com") { allVirtualAccounts { nodes { id name } } } }`, {}, "admin@acme.com");
    const emeaId = emea.data.smartAccount.allVirtualAccounts.nodes.find((va: { name: string }) => va.name === "EMEA").id;
    expect((await get(server, `/exports/licenses?domain=acme.com&virtualAccountId=${emeaId}`, "finance-user@acme.com")).status).toBe(404);
  });

  it("bad parameters → 400 BAD_USER_INPUT naming the parameter", async () => {
    for (const [query, field] of [
      ["domain=acme.com&format=xml", "format"],
      ["domain=acme.com&status=SOON", "status"],
      ["domain=acme.com&virtualAccountId=garbage", "virtualAccountId"],
      ["", "domain"],
    ]) {
      const result = await get(server, `/exports/licenses?${query}`, "admin@acme.com");
      expect(result.status).toBe(400);
      expect(JSON.parse(result.body).errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });

  it("CSV per RFC 4180: header row, CRLF, quoted commas, quotes, non-ASCII; every lot of the account for an admin", async () => {
    const result = await get(server, "/exports/licenses?domain=acme.com", "admin@acme.com");
    expect(result.status).toBe(200);
    expect(result.type).toMatch(/^text\/csv; charset=utf-8/);
    expect(result.body.split("\r\n")[0]).toBe(
      "id,sku,productName,kind,quantity,startsAt,endsAt,status,pak,tags,virtualAccountId,virtualAccountName,virtualAccountPath,orderNumber",
    );
    const rows = records(result.body);
    expect(rows).toHaveLength(5);
    const tagged = rows.find((row) => row.quantity === "4")!;
    expect(tagged.tags.split(";").sort()).toEqual(["Zürich – läb", "rack, 1", 'say "hi"'].sort());
    expect(result.body).toContain('"Finance, ""Tax"" & Audit"');
    const finance = rows.find((row) => row.sku === "C9300-DNA-A-3Y")!;
    expect(finance).toMatchObject({ kind: "SMART", status: "ACTIVE", virtualAccountPath: 'US / Finance, "Tax" & Audit' });
    expect(finance.orderNumber).toMatch(/^SO-/);
    expect(new Date(finance.startsAt).toISOString()).toBe(finance.startsAt);
    expect(rows.find((row) => row.kind === "CLASSIC")!.pak).toMatch(/^PAK-/);
  });

  it("NDJSON, by format= or by Accept: one object a line, arrays for tags", async () => {
    const byParam = await get(server, "/exports/licenses?domain=acme.com&format=ndjson", "admin@acme.com");
    const byAccept = await get(server, "/exports/licenses?domain=acme.com", "admin@acme.com", "application/x-ndjson");
    expect(byParam.type).toMatch(/^application\/x-ndjson/);
    expect(byAccept.body).toBe(byParam.body);
    const lines = byParam.body
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(5);
    expect(lines.find((line) => line.quantity === 4).tags).toContain('say "hi"');
  });

  it("§5 a VA user's export holds exactly their subtree; orders only where the viewer sees orders", async () => {
    const rows = records((await get(server, "/exports/licenses?domain=acme.com", "finance-user@acme.com")).body);
    expect(rows.map((row) => row.virtualAccountId).every((id) => id === financeId)).toBe(true);
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.orderNumber === "")).toBe(true);
    expect(rows.every((row) => !row.virtualAccountPath.includes("US"))).toBe(true);
    const us = records((await get(server, "/exports/licenses?domain=acme.com", "us-viewer@acme.com")).body);
    expect(us).toHaveLength(4);
    const viewer = records((await get(server, "/exports/licenses?domain=acme.com", "viewer@acme.com")).body);
    expect(viewer).toHaveLength(5);
    expect(viewer.find((row) => row.sku === "C9300-DNA-A-3Y")!.orderNumber).toMatch(/^SO-/);
  });

  it("filters: status, sku, virtualAccountId with and without includeDescendants", async () => {
    const expired = records((await get(server, "/exports/licenses?domain=acme.com&status=EXPIRED", "admin@acme.com")).body);
    expect(expired.map((row) => row.sku)).toEqual(["ISR4K-SEC"]);
    const active = records((await get(server, "/exports/licenses?domain=acme.com&status=ACTIVE", "admin@acme.com")).body);
    expect(active).toHaveLength(4);
    const sku = records((await get(server, "/exports/licenses?domain=acme.com&sku=c9300-nw-a", "admin@acme.com")).body);
    expect(sku).toHaveLength(2);
    const usOnly = records((await get(server, `/exports/licenses?domain=acme.com&virtualAccountId=${usId}`, "admin@acme.com")).body);
    expect(usOnly).toHaveLength(1);
    const usTree = records(
      (await get(server, `/exports/licenses?domain=acme.com&virtualAccountId=${usId}&includeDescendants=true`, "admin@acme.com")).body,
    );
    expect(usTree).toHaveLength(4);
  });

  it("pools and product instances: R27 totals per Virtual Account, devices with usage, scoped", async () => {
    const pools = records((await get(server, "/exports/pools?domain=acme.com", "admin@acme.com")).body);
    const emea = pools.find((row) => row.virtualAccountPath === "EMEA" && row.sku === "C9300-NW-A")!;
    expect(emea).toMatchObject({ purchased: "7", inUse: "9", shortage: "2", status: "OUT_OF_COMPLIANCE" });
    const devices = records((await get(server, "/exports/product-instances?domain=acme.com", "admin@acme.com")).body);
    expect(devices.map((row) => row.hostname).sort()).toEqual(["emea-sw-1", "fin-sw-1"]);
    expect(devices.find((row) => row.hostname === "fin-sw-1")!.usage).toBe("C9300-DNA-A-3Y:3");
    const scoped = records((await get(server, "/exports/product-instances?domain=acme.com", "finance-user@acme.com")).body);
    expect(scoped.map((row) => row.hostname)).toEqual(["fin-sw-1"]);
  });

  describe("large exports", () => {
    const LOTS = 6 * BATCH_SIZE + 345;
    let big: Awaited<ReturnType<TestServer["build"]["account"]>>;
    /** The statements that read a batch of lots (each batch's deferred join). */
    const batchQueries = (spy: jest.SpyInstance) =>
      spy.mock.calls.filter(([sql]) => String(sql).includes("FROM (SELECT l.id FROM licenses l")).length;

    beforeAll(async () => {
      big = await server.build.account("big.example.com");
      await big.grant("admin@big.example.com", Role.SMART_ACCOUNT_ADMIN);
      const va = big.defaultVirtualAccount;
      for (let from = 0; from < LOTS; from += 3000) {
        const rows = Array.from(
          { length: Math.min(3000, LOTS - from) },
          (_, i) =>
            `(${big.id}, ${va.id}, (SELECT id FROM products WHERE sku = 'C9300-NW-A'), 'SMART', ${from + i + 1}, '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000')`,
        );
        await server.db.dataSource.query(
          `INSERT INTO licenses (smart_account_id, virtual_account_id, product_id, kind, quantity, starts_at, created_at) VALUES ${rows.join(", ")}`,
        );
      }
    });

    afterEach(() => jest.restoreAllMocks());

    it("streams every row in keyset batches, each exactly once and in id order", async () => {
      const spy = jest.spyOn(server.db.dataSource, "query");
      // The spy watches this process: straight to its own copy (with TEST_COPIES=2, not through the proxy).
      const whole = await get(server, "/exports/licenses?domain=big.example.com&format=ndjson", "admin@big.example.com", undefined, { direct: true });
      const quantities = whole.body
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).quantity);
      expect(quantities).toEqual(Array.from({ length: LOTS }, (_, i) => i + 1));
      expect(batchQueries(spy)).toBe(Math.ceil(LOTS / BATCH_SIZE));
    });

    it("stops reading batches when the client goes away, and keeps serving", async () => {
      // Each batch takes a while, as on a large database: the export is still running when the client leaves.
      const query = server.db.dataSource.query.bind(server.db.dataSource);
      const spy = jest.spyOn(server.db.dataSource, "query").mockImplementation(async (sql: string, parameters?: unknown[]) => {
        if (sql.includes("FROM (SELECT l.id FROM licenses l")) await new Promise((resolve) => setTimeout(resolve, 25));
        return query(sql, parameters);
      });
      const token = await server.token("admin@big.example.com");
      const url = new URL(server.direct.url.replace("/graphql", "/exports/licenses?domain=big.example.com"));
      await new Promise<void>((resolve, reject) => {
        // A connection of its own (agent: false), never one pooled for later requests: it is hung up on.
        const request = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (response) => {
          // Read the first chunk, then stop reading and hang up.
          response.once("data", () => {
            response.pause();
            request.destroy();
            resolve();
          });
        });
        request.on("error", (error) => ((error as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(error)));
      });
      // Let the server notice; then its batch count must stay put, short of the whole export.
      let seen = -1;
      while (seen !== batchQueries(spy)) {
        seen = batchQueries(spy);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThan(Math.ceil(LOTS / BATCH_SIZE));
      const after = await server.gql("{ viewer { user { email } } }", {}, "admin@big.example.com");
      expect(after.errors).toBeUndefined();
    });

    it("each wait for a slow client to drain leaves no listener behind on the response", async () => {
      const response = new EventEmitter();
      for (let wait = 0; wait < 20; wait++) {
        const waited = drainedOrClosed(response);
        response.emit("drain");
        await waited;
      }
      const closed = drainedOrClosed(response);
      response.emit("close");
      await closed;
      expect([response.listenerCount("drain"), response.listenerCount("close"), response.listenerCount("error")]).toEqual([0, 0, 0]);
    });

    /** Fails the second batch, once the first is on its way (in this process: ask its own copy, `direct`). */
    const failSecondBatch = () => {
      const query = server.db.dataSource.query.bind(server.db.dataSource);
      let batches = 0;
      jest.spyOn(server.db.dataSource, "query").mockImplementation(async (sql: string, parameters?: unknown[]) => {
        if (sql.includes("FROM (SELECT l.id FROM licenses l") && ++batches === 2) throw new Error("connection lost");
        return query(sql, parameters);
      });
      jest.spyOn(console, "error").mockImplementation(() => undefined);
    };

    it("a failure after the first byte ends a CSV export with a visible truncation row, never a silently short file", async () => {
      failSecondBatch();
      const response = await get(server, "/exports/licenses?domain=big.example.com&format=csv", "admin@big.example.com", undefined, { direct: true });
      expect(response.status).toBe(200);
      const rows = parseCsv(response.body);
      expect(rows).toHaveLength(1 + BATCH_SIZE + 1);
      expect(rows[rows.length - 1]).toEqual(["#TRUNCATED: export truncated by a server error"]);
      expect(response.body).not.toContain("connection lost");
    });

    it("a failure after the first byte ends an NDJSON export with a trailing error line", async () => {
      failSecondBatch();
      const response = await get(server, "/exports/licenses?domain=big.example.com&format=ndjson", "admin@big.example.com", undefined, {
        direct: true,
      });
      const lines = response.body
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(BATCH_SIZE + 1);
      expect(lines[BATCH_SIZE]).toEqual({ error: { code: "INTERNAL_SERVER_ERROR", message: "export truncated by a server error" } });
    });
  });
});

describe("export timestamps", () => {
  it("are exactly Date.toISOString(), whatever the year, millisecond or padding", () => {
    const dates = [
      0,
      1,
      -1,
      Date.UTC(2026, 0, 1, 0, 0, 0, 5),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(1999, 8, 9, 9, 9, 9, 90),
      -62135596800000, // 0001-01-01
      -62198755200000, // 0000-01-01
      253402300799999, // 9999-12-31T23:59:59.999Z
      253402300800000, // +010000-01-01: beyond four digits
      -62198755200001, // -000001-12-31
    ].map((time) => new Date(time));
    for (let i = 0; i < 1000; i++) dates.push(new Date(Date.UTC(1970, 0, 1) + Math.floor(Math.random() * 2 ** 42)));
    for (const date of dates) expect(isoTimestamp(date)).toBe(date.toISOString());
    expect(() => isoTimestamp(new Date(NaN))).toThrow(RangeError);
  });
});
