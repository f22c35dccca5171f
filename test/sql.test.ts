import { Sql, sql } from "../src/db/sql";

// The tagged-template helper alone: no database. Values only ever travel as placeholders.
describe("sql`…` fragments", () => {
  it("turn every value into a positional placeholder, in order", () => {
    const now = new Date("2026-11-23T10:00:00.000Z");
    const fragment = sql`SELECT * FROM licenses l WHERE l.id = ${42} AND l.kind = ${"SMART"} AND l.ends_at > ${now} AND l.pak IS ${null}`;
    expect(fragment.text).toBe("SELECT * FROM licenses l WHERE l.id = ? AND l.kind = ? AND l.ends_at > ? AND l.pak IS ?");
    expect(fragment.values).toEqual([42, "SMART", now, null]);
  });

  it("never put a value in the text, however it looks", () => {
    const evil = "x' OR '1'='1'; DROP TABLE products; --";
    const fragment = sql`SELECT 1 FROM products p WHERE p.sku_key = ${evil} OR p.name = ${":name"} OR p.id IN (SELECT ${"?"})`;
    expect(fragment.text).toBe("SELECT 1 FROM products p WHERE p.sku_key = ? OR p.name = ? OR p.id IN (SELECT ?)");
    expect(fragment.text).not.toContain("DROP");
    expect(fragment.values).toEqual([evil, ":name", "?"]);
  });

  it("nest, carrying their values in order", () => {
    const active = sql`l.kind = ${"SMART"} AND (l.ends_at IS NULL OR l.ends_at > ${"t0"})`;
    const scope = sql`l.smart_account_id = ${7}`;
    const outer = sql`SELECT l.id FROM licenses l WHERE ${scope} AND ${active} AND l.id > ${100} LIMIT ${10}`;
    expect(outer.text).toBe(
      "SELECT l.id FROM licenses l WHERE l.smart_account_id = ? AND l.kind = ? AND (l.ends_at IS NULL OR l.ends_at > ?) AND l.id > ? LIMIT ?",
    );
    expect(outer.values).toEqual([7, "SMART", "t0", 100, 10]);
    // A fragment nests twice (e.g. in both branches of a UNION ALL): its values are bound twice.
    const twice = sql`(${scope}) UNION ALL (${scope})`;
    expect(twice.text).toBe("(l.smart_account_id = ?) UNION ALL (l.smart_account_id = ?)");
    expect(twice.values).toEqual([7, 7]);
    // Deeper nesting, and fragments at the very start and end.
    const deep = sql`${sql`${sql`a = ${1}`} AND b = ${2}`}`;
    expect(deep.text).toBe("a = ? AND b = ?");
    expect(deep.values).toEqual([1, 2]);
  });

  it("join with a separator; no fragments join to an empty one", () => {
    const joined = sql.join([sql`a = ${1}`, sql`b = ${2}`, sql`c IS NULL`], " OR ");
    expect(joined.text).toBe("a = ? OR b = ? OR c IS NULL");
    expect(joined.values).toEqual([1, 2]);
    expect(sql.join([], " AND ").text).toBe("");
    expect(sql.join([], " AND ").isEmpty).toBe(true);
    expect(sql`x = ${1}`.isEmpty).toBe(false);
    expect(sql.empty.isEmpty).toBe(true);
    expect(sql`WHERE 1 = 1${sql.empty}`.text).toBe("WHERE 1 = 1");
  });

  it("expand lists with sql.in; an empty list is a false predicate, and valid SQL", () => {
    const ids = sql.in(sql`va.id`, [3, 1, 2]);
    expect(ids.text).toBe("va.id IN (?, ?, ?)");
    expect(ids.values).toEqual([3, 1, 2]);
    expect(sql.in(sql`va.id`, [5]).text).toBe("va.id IN (?)");
    const none = sql.in(sql`va.id`, []);
    expect(none.text).toBe("(1 = 0)");
    expect(none.values).toEqual([]);
    expect(sql`WHERE NOT ${none}`.text).toBe("WHERE NOT (1 = 0)");
    expect(sql.in(sql`LOWER(${sql.raw("p.name")})`, ["a"]).text).toBe("LOWER(p.name) IN (?)");
  });

  it("take identifiers raw only when they are identifiers", () => {
    expect(sql`SELECT ${sql.raw("va.smart_account_id")} FROM ${sql.raw("virtual_accounts")} va`.text).toBe(
      "SELECT va.smart_account_id FROM virtual_accounts va",
    );
    for (const bad of ["va.id; DROP TABLE x", "1 = 1", "a.b.c", "", "id'", "x OR y"]) expect(() => sql.raw(bad)).toThrow(/identifier/);
  });

  it("refuse lists, objects and undefined as values, and a literal `?` in the text", () => {
    expect(() => sql`a IN (${[1, 2]})`).toThrow(/sql.in/);
    expect(() => sql`a = ${{ id: 1 }}`).toThrow(/Not a SQL value/);
    expect(() => sql`a = ${undefined}`).toThrow(/undefined/);
    expect(() => sql`a = ${Number.NaN}`).toThrow(/Not a SQL value/);
    expect(() => sql`a = ?`).toThrow(/"\?"/);
    expect(() => sql.in(sql`a`, [[1]])).toThrow(/sql.in/);
    expect(() => sql.join(["a = 1" as unknown as Sql], " OR ")).toThrow(/fragments/);
  });

  it("keep two values from touching (mysql2 reads `??` as an identifier)", () => {
    const fragment = sql`${1}${2}`;
    expect(fragment.text).not.toContain("??");
  });

  it("refuse to become a string, so a plain template literal cannot drop their values", () => {
    const fragment = sql`l.id = ${1}`;
    expect(() => `WHERE ${fragment}`).toThrow(/tagged|nest/);
  });

  it("render as named parameters for TypeORM query builders", () => {
    const named = sql`l.kind = ${"SMART"} AND (l.ends_at IS NULL OR l.ends_at > ${"t0"})`.toNamed("active");
    expect(named).toEqual({ sql: "l.kind = :active0 AND (l.ends_at IS NULL OR l.ends_at > :active1)", params: { active0: "SMART", active1: "t0" } });
    expect(() => sql`a`.toNamed("x; --")).toThrow(/prefix/);
  });
});

describe("sql.fromNamed", () => {
  it("turns :name and :...list parameters into positional ones, in text order", () => {
    const scope = {
      sql: "(va.smart_account_id IN (:...scope_licenses_read_accounts) OR va.path LIKE :scope_licenses_read_p0 OR va.path LIKE :scope_licenses_read_p1)",
      params: { scope_licenses_read_p1: "/0000000002/%", scope_licenses_read_accounts: [4, 5], scope_licenses_read_p0: "/0000000001/%" },
    };
    const fragment = sql.fromNamed(scope);
    expect(fragment.text).toBe("(va.smart_account_id IN (?, ?) OR va.path LIKE ? OR va.path LIKE ?)");
    expect(fragment.values).toEqual([4, 5, "/0000000001/%", "/0000000002/%"]);
  });

  it("reads whole names (p1 is not p10) and repeats a name's value where it repeats", () => {
    const fragment = sql.fromNamed({ sql: "a = :p1 OR b = :p10 OR c = :p1", params: { p1: 1, p10: 10 } });
    expect(fragment.text).toBe("a = ? OR b = ? OR c = ?");
    expect(fragment.values).toEqual([1, 10, 1]);
  });

  it("nests inside sql`…` like any fragment", () => {
    const reach = sql.fromNamed({ sql: "(l.smart_account_id IN (:...rows_accounts))", params: { rows_accounts: [9] } });
    const fragment = sql`SELECT l.id FROM licenses l WHERE l.id > ${3} AND ${reach} ORDER BY l.id`;
    expect(fragment.text).toBe("SELECT l.id FROM licenses l WHERE l.id > ? AND (l.smart_account_id IN (?)) ORDER BY l.id");
    expect(fragment.values).toEqual([3, 9]);
  });

  it("keeps text without parameters as it is (e.g. no reach: 1 = 0)", () => {
    const fragment = sql.fromNamed({ sql: "1 = 0", params: {} });
    expect(fragment.text).toBe("1 = 0");
    expect(fragment.values).toEqual([]);
  });

  it("makes IN with an empty list match nothing, and refuses NOT IN with one", () => {
    const none = sql.fromNamed({ sql: "va.id IN (:...ids) AND x = :x", params: { ids: [], x: 1 } });
    expect(none.text).toBe("va.id IN (NULL) AND x = ?");
    expect(none.values).toEqual([1]);
    expect(() => sql.fromNamed({ sql: "va.id NOT IN (:...ids)", params: { ids: [] } })).toThrow(/NOT IN/);
  });

  it("refuses a missing parameter, a list where a value belongs and a value where a list belongs", () => {
    expect(() => sql.fromNamed({ sql: "a = :missing", params: {} })).toThrow(/:missing/);
    expect(() => sql.fromNamed({ sql: "a = :x", params: { x: [1, 2] } })).toThrow(/sql.in/);
    expect(() => sql.fromNamed({ sql: "a IN (:...x)", params: { x: 1 } })).toThrow(/list/);
    expect(() => sql.fromNamed({ sql: "a = :x", params: { x: sql`1 = 1` } })).toThrow(/Not a SQL value/);
  });

  it("leaves values out of the text", () => {
    const fragment = sql.fromNamed({ sql: "p.name = :name", params: { name: "'; DROP TABLE products; --" } });
    expect(fragment.text).toBe("p.name = ?");
  });
});
