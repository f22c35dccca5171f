import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Role } from "../entities";
import {
  accountField,
  anonymous,
  cellOf,
  COLUMNS,
  covers,
  IMPLEMENTED_ROWS,
  member,
  mutationOutcome,
  objectField,
  objectRead,
  outsider,
  ROW,
  ROLE_OF,
  RowId,
  SECTION_5,
  visibleItems,
} from "./support/section5";
import { casesOfOperation, Operation, SUITES } from "./support/section5-cases";

/**
 * The §5 table itself (test/support/section5.ts) and its registry of cases (test/support/section5-cases.ts),
 * without a server: every implemented row has cases in a role-table suite, and the table reads as SPEC R4 says.
 */

const operations = Object.entries(SUITES).flatMap(([suite, ops]) =>
  Object.entries(ops as Record<string, Operation>).map(([key, operation]) => ({ suite, key, operation })),
);

describe("§5 the role table, as written in test/support/section5.ts", () => {
  it("§5 has the spec's 21 rows and seven role columns, SA_APPROVER … VA_VIEWER", () => {
    expect(COLUMNS).toEqual(["SA_APPROVER", "SA_ADMIN", "SA_USER", "SA_VIEWER", "VA_ADMIN", "VA_USER", "VA_VIEWER"]);
    expect(SECTION_5).toHaveLength(21);
    expect(new Set(SECTION_5.map((row) => row.id)).size).toBe(21);
    for (const row of SECTION_5) expect(Object.keys(row.cells)).toEqual([...COLUMNS]);
  });

  it("§5 place orders (R15): only the orders:write scope (R2), no role", () => {
    expect(ROW.placeOrders.scope).toBe("orders:write");
    expect(Object.values(ROW.placeOrders.cells)).toEqual(COLUMNS.map(() => "–"));
    expect(SECTION_5.filter((row) => row.scope !== null).map((row) => row.id)).toEqual(["placeOrders"]);
  });

  it("§5 every row of §8 is implemented: none is marked not yet implemented", () => {
    expect(SECTION_5.filter((row) => row.pending).map((row) => row.id)).toEqual([]);
  });

  describe("every implemented §5 row has cases in the role-table suites", () => {
    it.each(IMPLEMENTED_ROWS.map((row) => ({ id: row.id, capability: row.capability })))("§5 $capability", ({ id }) => {
      const covering = operations.filter(({ operation }) => operation.rows.includes(id)).map(({ suite, key }) => `${suite}:${key}`);
      expect(covering.length).toBeGreaterThan(0);
    });

    for (const row of SECTION_5.filter((candidate) => candidate.pending)) it.todo(`§5 ${row.capability}: ${row.pending}`);

    it("§5 no case exercises a row that is not implemented yet", () => {
      const pending = operations.filter(({ operation }) => operation.rows.some((id) => ROW[id].pending)).map(({ key }) => key);
      expect(pending).toEqual([]);
    });

    it.each(Object.keys(SUITES))("§5 test/%s.test.ts exists and declares its cases from the registry", (suite) => {
      const file = join(__dirname, `${suite}.test.ts`);
      expect(existsSync(file)).toBe(true);
      expect(readFileSync(file, "utf8")).toContain(`section5Suite("${suite}")`);
    });
  });

  describe("every cell of every operation", () => {
    it.each(operations.map(({ suite, key, operation }) => ({ suite, key, operation, title: operation.title })))(
      "$title ($suite)",
      ({ operation }) => {
        const cases = casesOfOperation(operation);
        const targets = operation.targets === "tree" ? 2 : 1;
        const scopes = new Set(operation.rows.map((row) => ROW[row].scope).filter(Boolean)).size;
        // Each role at each target, the outsider, with and without each scope of a scope row; and no token.
        expect(cases).toHaveLength((COLUMNS.length * targets + 1) * (1 + scopes) + 1);
        expect(new Set(cases.map((cell) => cell.name)).size).toBe(cases.length);
        for (const column of COLUMNS) {
          for (const target of operation.targets === "tree" ? ["in scope", "out of scope"] : ["account"]) {
            expect(cases.filter((cell) => cell.who === "member" && cell.role === ROLE_OF[column] && cell.target === target)).toHaveLength(1 + scopes);
          }
        }
        expect(cases.filter((cell) => cell.who === "outsider")).toHaveLength(1 + scopes);
        expect(cases.filter((cell) => cell.who === "anonymous")).toHaveLength(1);
        expect(cases.every((cell) => cell.name.startsWith(`${operation.title}: `) && /§5/.test(cell.name))).toBe(true);
      },
    );
  });
});

describe("§5 reading a cell, R4", () => {
  it("§5 account-wide values reach every target; scope values only the role's subtree; – nowhere", () => {
    const reach = (value: Parameters<typeof covers>[0]) => (["in scope", "out of scope", "account"] as const).map((target) => covers(value, target));
    expect(reach("all")).toEqual([true, true, true]);
    expect(reach("✓")).toEqual([true, true, true]);
    expect(reach("scope")).toEqual([true, false, false]);
    expect(reach("in scope")).toEqual([true, false, false]);
    expect(reach("VA roles in scope")).toEqual([true, false, false]);
    expect(reach("–")).toEqual([false, false, false]);
  });

  it("§5 cells read as the spec's table: e.g. VA_ADMIN sees VA roles in scope, SA_VIEWER sees orders, nobody but SA_APPROVER activates", () => {
    expect(cellOf("seeRoles", Role.VIRTUAL_ACCOUNT_ADMIN)).toBe("VA roles in scope");
    expect(cellOf("seeOrders", Role.SMART_ACCOUNT_VIEWER)).toBe("✓");
    expect(SECTION_5.find((row) => row.id === "activate")!.cells).toMatchObject({ SA_APPROVER: "✓", SA_ADMIN: "–" });
    expect(cellOf("vaRoles", Role.VIRTUAL_ACCOUNT_ADMIN)).toBe("in scope");
  });

  it("R4 mutations: invisible → NOT_FOUND, visible but not allowed → FORBIDDEN, no token → UNAUTHENTICATED", () => {
    // Tagging a lot (manage licenses; a lot is visible by "see licenses").
    const tag = (viewer: Parameters<typeof mutationOutcome>[0], target: "in scope" | "out of scope") =>
      mutationOutcome(viewer, ["manageLicenses"], "seeLicenses", target);
    expect(tag(member(Role.SMART_ACCOUNT_USER), "out of scope")).toBe("allowed");
    expect(tag(member(Role.SMART_ACCOUNT_VIEWER), "in scope")).toBe("FORBIDDEN");
    expect(tag(member(Role.SMART_ACCOUNT_APPROVER), "in scope")).toBe("NOT_FOUND");
    expect(tag(member(Role.VIRTUAL_ACCOUNT_USER), "in scope")).toBe("allowed");
    expect(tag(member(Role.VIRTUAL_ACCOUNT_USER), "out of scope")).toBe("NOT_FOUND");
    expect(tag(member(Role.VIRTUAL_ACCOUNT_VIEWER), "in scope")).toBe("FORBIDDEN");
    expect(tag(outsider(), "in scope")).toBe("NOT_FOUND");
    expect(tag(anonymous, "in scope")).toBe("UNAUTHENTICATED");
  });

  it("R19/R26 amended: moving out of the Smart Account needs SA_ADMIN or SA_USER on the source, whatever a VA role manages", () => {
    const moveOut = (role: Role, target: "in scope" | "out of scope") => mutationOutcome(member(role), ["manageLicenses", "moveOut"], "tree", target);
    expect(moveOut(Role.SMART_ACCOUNT_ADMIN, "in scope")).toBe("allowed");
    expect(moveOut(Role.SMART_ACCOUNT_USER, "out of scope")).toBe("allowed");
    expect(moveOut(Role.VIRTUAL_ACCOUNT_ADMIN, "in scope")).toBe("FORBIDDEN");
    expect(moveOut(Role.VIRTUAL_ACCOUNT_ADMIN, "out of scope")).toBe("NOT_FOUND");
    expect(moveOut(Role.SMART_ACCOUNT_APPROVER, "in scope")).toBe("FORBIDDEN");
  });

  it("R15 amended: the orders:write scope places orders, with or without a role; no role does without it", () => {
    const place = (viewer: Parameters<typeof mutationOutcome>[0]) => mutationOutcome(viewer, ["placeOrders"], "account", "in scope");
    expect(place(member(Role.SMART_ACCOUNT_ADMIN))).toBe("FORBIDDEN");
    expect(place(member(Role.SMART_ACCOUNT_ADMIN, ["orders:write"]))).toBe("allowed");
    expect(place(member(Role.VIRTUAL_ACCOUNT_VIEWER, ["orders:write"]))).toBe("allowed");
    expect(place(outsider())).toBe("NOT_FOUND");
    expect(place(outsider(["orders:write"]))).toBe("allowed");
    expect(place(outsider(["catalog:write"]))).toBe("NOT_FOUND");
    expect(place(anonymous)).toBe("UNAUTHENTICATED");
  });

  it("R4 reads: a guarded field is null with FORBIDDEN where the row does not reach; absent on an invisible object", () => {
    expect(accountField(member(Role.SMART_ACCOUNT_APPROVER), "seeLicenses")).toBe("FORBIDDEN");
    expect(accountField(member(Role.VIRTUAL_ACCOUNT_VIEWER), "seeLicenses")).toBe("readable");
    expect(accountField(outsider(), "seeLicenses")).toBe("absent");
    expect(accountField(anonymous, "seeLicenses")).toBe("UNAUTHENTICATED");
    // On a Virtual Account: the approver sees it (the tree) but not its licenses; a VA role out of scope sees neither.
    expect(objectField(member(Role.SMART_ACCOUNT_APPROVER), "seeLicenses", "tree", "in scope")).toBe("FORBIDDEN");
    expect(objectField(member(Role.VIRTUAL_ACCOUNT_USER), "seeLicenses", "tree", "in scope")).toBe("readable");
    expect(objectField(member(Role.VIRTUAL_ACCOUNT_USER), "seeLicenses", "tree", "out of scope")).toBe("absent");
    // An event of the account itself is no VA_ADMIN's: "in scope" reaches Virtual Accounts only.
    expect(objectRead(member(Role.VIRTUAL_ACCOUNT_ADMIN), "events", "account")).toBe("absent");
    const items = (["in scope", "out of scope", "account"] as const).map((target) => ({ target }));
    expect(visibleItems(member(Role.VIRTUAL_ACCOUNT_ADMIN), "seeRoles", items).map((item) => item.target)).toEqual(["in scope"]);
    expect(visibleItems(member(Role.SMART_ACCOUNT_APPROVER), "seeRoles", items)).toHaveLength(3);
    expect(visibleItems(member(Role.SMART_ACCOUNT_USER), "seeRoles", items)).toEqual([]);
    expect(visibleItems(outsider(), "tree", items)).toEqual([]);
  });

  it("§5 every implemented row is named by its id in the registry's type (no stray ids)", () => {
    const ids = new Set<RowId>(SECTION_5.map((row) => row.id));
    for (const { operation } of operations) for (const id of operation.rows) expect(ids.has(id)).toBe(true);
  });
});
