import type { DataSource, EntityManager, QueryRunner } from "typeorm";

/**
 * A piece of SQL with its values bound positionally: `text` has one `?` per value, in order, and no
 * value ever appears in `text`. Built only by the `sql` tag and its helpers, so every value in a
 * statement went through a placeholder; fragments nest, carrying their values along.
 */
export class Sql {
  /** `strings.length === values.length + 1`: the text around each placeholder. */
  private constructor(
    private readonly strings: readonly string[],
    readonly values: readonly SqlValue[],
  ) {}

  /** The statement text, `?` where each value goes (both drivers take `?` in a raw query). */
  get text(): string {
    return this.strings.join("?");
  }

  /** Whether the fragment holds no text and no value (e.g. an absent optional term). */
  get isEmpty(): boolean {
    return this.values.length === 0 && this.strings[0].trim() === "";
  }

  /** Renders the fragment with `:<prefix><n>` names, for TypeORM's query builders. */
  toNamed(prefix: string): { sql: string; params: Record<string, SqlValue> } {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new Error(`Not a parameter prefix: ${JSON.stringify(prefix)}`);
    const params: Record<string, SqlValue> = {};
    let text = this.strings[0];
    this.values.forEach((value, index) => {
      params[`${prefix}${index}`] = value;
      text += `:${prefix}${index}${this.strings[index + 1]}`;
    });
    return { sql: text, params };
  }

  /** A fragment is never a string: a plain template literal around one would drop its values. */
  toString(): string {
    throw new Error("An Sql fragment was used as a string: nest it with sql`…${fragment}…` instead.");
  }

  /** @internal Assembles a fragment from literal text and arguments (values or fragments). */
  static assemble(literals: readonly string[], args: readonly unknown[]): Sql {
    const strings: string[] = [checkLiteral(literals[0])];
    const values: SqlValue[] = [];
    args.forEach((arg, index) => {
      const next = checkLiteral(literals[index + 1]);
      if (arg instanceof Sql) {
        strings[strings.length - 1] += arg.strings[0];
        for (let i = 0; i < arg.values.length; i++) {
          values.push(arg.values[i]);
          strings.push(arg.strings[i + 1]);
        }
        strings[strings.length - 1] += next;
      } else {
        values.push(checkValue(arg));
        strings.push(next);
      }
    });
    // `??` is mysql2's identifier placeholder: two values must never touch.
    for (let i = 1; i < strings.length - 1; i++) if (strings[i] === "") strings[i] = " ";
    return new Sql(strings, values);
  }
}

/** What a placeholder may carry: scalars, dates and bytes. Lists go through `sql.in`. */
export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;

function checkValue(value: unknown): SqlValue {
  if (
    value === null ||
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "bigint" ||
    typeof value === "boolean" ||
    value instanceof Date ||
    Buffer.isBuffer(value)
  ) {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`Not a SQL value: ${value}`);
    return value;
  }
  if (value === undefined) throw new Error("undefined is not a SQL value (pass null for NULL).");
  if (Array.isArray(value)) throw new Error("A list is not a SQL value: use sql.in(column, values).");
  throw new Error(`Not a SQL value: ${Object.prototype.toString.call(value)}`);
}

/** Literal text never holds a `?` of its own: every `?` of a statement is one of its values. */
function checkLiteral(text: string | undefined): string {
  if (text === undefined) throw new Error("sql`…` must be used as a tagged template.");
  if (text.includes("?")) throw new Error(`SQL text may not contain "?" (values go in \${…}): ${text.slice(0, 80)}`);
  return text;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const NAMED = /:(\.\.\.)?([A-Za-z_][A-Za-z0-9_]*)/g;

type SqlTag = {
  (strings: TemplateStringsArray, ...args: unknown[]): Sql;
  /** `a SEP b SEP c`; no fragments → an empty fragment. */
  join(fragments: readonly Sql[], separator: string): Sql;
  /** `expr IN (?, ?, …)`; an empty list is `(1 = 0)`, a predicate that is false (and `NOT` of it true). */
  in(expr: Sql, values: readonly unknown[]): Sql;
  /** A trusted identifier (`table`, `alias.column`), never user input: refused unless it is one. */
  raw(identifier: string): Sql;
  /** The empty fragment. */
  empty: Sql;
  /**
   * A TypeORM-style named fragment (`:name`, `:...list`) as a positional one, e.g. `Access.sqlScope`'s.
   * Every name must have its parameter; `IN (:...list)` with an empty list matches nothing.
   */
  fromNamed(fragment: { sql: string; params: Record<string, unknown> }): Sql;
};

/**
 * The tag: `sql\`SELECT … WHERE l.id = ${id} AND ${other}\`` — values become placeholders, nested
 * fragments are spliced in with their values.
 */
export const sql: SqlTag = Object.assign((strings: TemplateStringsArray, ...args: unknown[]): Sql => Sql.assemble(strings, args), {
  join(fragments: readonly Sql[], separator: string): Sql {
    if (!fragments.every((fragment) => fragment instanceof Sql)) throw new Error("sql.join takes fragments.");
    if (!fragments.length) return Sql.assemble([""], []);
    return Sql.assemble(["", ...fragments.slice(1).map(() => separator), ""], fragments);
  },

  in(expr: Sql, values: readonly unknown[]): Sql {
    if (!(expr instanceof Sql)) throw new Error("sql.in takes the expression as a fragment, e.g. sql.in(sql`l.id`, ids).");
    if (!values.length) return Sql.assemble(["(1 = 0)"], []);
    return Sql.assemble(["", " IN (", ...values.slice(1).map(() => ", "), ")"], [expr, ...values]);
  },

  raw(identifier: string): Sql {
    if (!IDENTIFIER.test(identifier)) throw new Error(`sql.raw takes an identifier, not ${JSON.stringify(identifier)}`);
    return Sql.assemble([identifier], []);
  },

  empty: Sql.assemble([""], []),

  fromNamed({ sql: text, params }: { sql: string; params: Record<string, unknown> }): Sql {
    const literals: string[] = [];
    const values: SqlValue[] = [];
    let pending = "";
    let from = 0;
    for (const match of text.matchAll(NAMED)) {
      const [whole, list, name] = match;
      pending += text.slice(from, match.index);
      from = (match.index as number) + whole.length;
      if (!Object.prototype.hasOwnProperty.call(params, name)) throw new Error(`No parameter for :${name}`);
      const value = params[name];
      if (!list) {
        literals.push(pending);
        values.push(checkValue(value));
        pending = "";
        continue;
      }
      if (!Array.isArray(value)) throw new Error(`:...${name} needs a list`);
      if (!value.length) {
        if (/NOT\s+IN\s*\(\s*$/i.test(pending)) throw new Error(`NOT IN (:...${name}) with an empty list`);
        pending += "NULL";
        continue;
      }
      value.forEach((item, index) => {
        literals.push(index === 0 ? pending : ", ");
        values.push(checkValue(item));
      });
      pending = "";
    }
    literals.push(pending + text.slice(from));
    return Sql.assemble(literals, values);
  },
});

/** Anything TypeORM runs raw SQL on. */
type Runner = EntityManager | DataSource | QueryRunner;

/**
 * Runs a fragment. Values go through the driver's own conversion of native parameters (SQLite: dates
 * as UTC 'YYYY-MM-DD HH:MM:SS.SSS' text, booleans as 1/0; MySQL/MariaDB: as they are), as TypeORM's
 * named parameters do, so `${now}` compares with stored timestamps alike on both databases.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw rows are loosely typed until hydrated
export function runSql<T = Record<string, any>>(runner: Runner, fragment: Sql): Promise<T[]> {
  const { driver } = "connection" in runner ? runner.connection : runner;
  const native = Object.fromEntries(fragment.values.map((value, index) => [String(index), value]));
  const [, values] = driver.escapeQueryWithParameters(fragment.text, {}, native);
  return runner.query(fragment.text, values);
}

/** Timestamps as read back: Date (MySQL/MariaDB) or 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (SQLite aggregates). */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}
