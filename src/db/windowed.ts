import { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { cached } from "../collections";
import { Connection, PageRequest, toConnection } from "../paging";
import { Database } from "./database";

/** One sort key of a connection: a column of the alias, and the entity property it hydrates to. */
export interface SortKey {
  column: string;
  property: string;
  descending?: boolean;
}

export interface WindowedPageQuery<T> {
  entity: EntityTarget<T>;
  /** Cursor kind, e.g. "VirtualAccount.children". */
  kind: string;
  /** `FROM … [JOIN …]` with the entity's table aliased as `alias`, e.g. "virtual_accounts va". */
  from: string;
  alias: string;
  /** The column rows are grouped by (the parent key), or null for a single, top-level list. */
  partitionBy: string | null;
  /** The WHERE clause (already scoped to the viewer), with its named parameters. */
  where: string;
  params: Record<string, unknown>;
  /** A total order: the last key must be unique. */
  sort: SortKey[];
  /** Set when `where` selects a single partition (one parent): a cheaper plan without window functions. */
  single?: boolean;
  /**
   * For a single partition: an equivalent WHERE for its total that the database can count from a
   * narrower index (e.g. the lots of a subtree's Virtual Accounts rather than all of an account's).
   */
  totalWhere?: string;
}

/**
 * Loads one page for each partition (parent) in ONE statement, with each partition's total:
 * `COUNT(*) OVER (PARTITION BY …)` before the cursor filter, `ROW_NUMBER()` after it.
 * Works on MySQL 8, MariaDB 10.2+ and SQLite 3.25+. Returns connections keyed by partition value.
 */
export async function loadWindowedPages<T extends ObjectLiteral>(
  db: Database,
  query: WindowedPageQuery<T>,
  request: PageRequest,
): Promise<Map<unknown, Connection<T>>> {
  const metadata = db.dataSource.getMetadata(query.entity);
  const a = query.alias;
  const partition = query.partitionBy ? `PARTITION BY ${query.partitionBy}` : "";
  const partitionSelect = query.partitionBy ? `, ${query.partitionBy} AS partition__` : ", 0 AS partition__";
  const order = query.sort.map((key) => `${key.column.replace(`${a}.`, "t.")} ${key.descending ? "DESC" : "ASC"}`).join(", ");
  const params: Record<string, unknown> = { ...query.params, limit__: request.first + 1 };
  let afterSql = "1 = 1";
  if (request.after && !query.single) {
    afterSql = keysetCondition(query.sort.map((key) => ({ ...key, column: key.column.replace(`${a}.`, "t.") })), request.after, params);
  }
  const columns = metadata.columns.map((column) => `${a}.${column.databaseName}`).join(", ");
  let sql: string;
  if (query.single) {
    // One list (a single parent): plain keyset + LIMIT, its total from an uncorrelated scalar subquery
    // that the database evaluates once — no numbering of every row of a large account. A deferred
    // join: the page's ids come from the index alone, then only those rows are read, by primary key.
    const keyset = request.after ? keysetCondition(query.sort, request.after, params) : "1 = 1";
    const ownOrder = query.sort.map((key) => `${key.column} ${key.descending ? "DESC" : "ASC"}`).join(", ");
    sql =
      `SELECT ${columns}${partitionSelect}, (SELECT COUNT(*) FROM ${query.from} WHERE ${query.totalWhere ?? query.where}) AS total__ ` +
      `FROM ${metadata.tableName} ${a} JOIN (` +
      `SELECT ${a}.id AS id__ FROM ${query.from} WHERE ${query.where} AND ${keyset} ORDER BY ${ownOrder} LIMIT ${request.first + 1}` +
      `) page__ ON page__.id__ = ${a}.id ORDER BY ${ownOrder}`;
  } else {
    sql =
      `SELECT * FROM (` +
      `SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.partition__ ORDER BY ${order}) AS rn__ FROM (` +
      `SELECT ${columns}${partitionSelect}, COUNT(*) OVER (${partition}) AS total__ FROM ${query.from} WHERE ${query.where}` +
      `) t WHERE ${afterSql}` +
      `) u WHERE u.rn__ <= :limit__ ORDER BY u.partition__, u.rn__`;
  }
  const [text, values] = db.dataSource.driver.escapeQueryWithParameters(sql, params, {});
  const rows: Record<string, unknown>[] = await db.dataSource.query(text, values);

  const grouped = new Map<unknown, { rows: T[]; total: number }>();
  for (const raw of rows) {
    const key = normalizeKey(raw.partition__);
    const group = grouped.get(key) ?? { rows: [], total: Number(raw.total__) };
    group.rows.push(hydrate(db, query.entity, raw));
    grouped.set(key, group);
  }
  const keyOf = (row: T) => query.sort.map((key) => cursorValue(row[key.property]));
  const pages = new Map<unknown, Connection<T>>();
  for (const [key, group] of grouped) pages.set(key, toConnection(query.kind, request, group.rows, group.total, keyOf));
  return pages;
}

/** `(k1 > :c0) OR (k1 = :c0 AND k2 > :c1) …`, honouring each key's direction. */
function keysetCondition(sort: SortKey[], after: unknown[], params: Record<string, unknown>): string {
  const terms: string[] = [];
  sort.forEach((key, index) => {
    const equal = sort.slice(0, index).map((previous, j) => `${previous.column} = :after__${j}`);
    equal.push(`${key.column} ${key.descending ? "<" : ">"} :after__${index}`);
    terms.push(`(${equal.join(" AND ")})`);
    params[`after__${index}`] = after[index];
  });
  return `(${terms.join(" OR ")})`;
}

const normalizeKey = (value: unknown): unknown => (typeof value === "bigint" || typeof value === "string" ? Number(value) : value);

const cursorValue = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : value);

/**
 * Raw snake_case row → entity, with each driver's own value conversions (dates, booleans); `prefix`
 * reads the entity's columns of a joined row, selected with `prefixedColumns`.
 */
export function hydrate<T extends ObjectLiteral>(db: Database | DataSource, entity: EntityTarget<T>, raw: Record<string, unknown>, prefix = ""): T {
  const dataSource = db instanceof Database ? db.dataSource : db;
  const metadata = dataSource.getMetadata(entity);
  const instance = metadata.create() as Record<string, unknown>;
  for (const { column, key } of readPlan(metadata, prefix)) {
    const value = raw[key];
    if (value === undefined && !(key in raw)) continue;
    instance[column.propertyName] = dataSource.driver.prepareHydratedValue(value, column);
  }
  return instance as T;
}

/** Each column of an entity with the key it has in a row read under `prefix`, built once per entity and prefix. */
const readPlans = new WeakMap<EntityMetadata, Map<string, { column: ColumnMetadata; key: string }[]>>();

function readPlan(metadata: EntityMetadata, prefix: string): { column: ColumnMetadata; key: string }[] {
  const byPrefix = cached(readPlans, metadata, () => new Map());
  return cached(byPrefix, prefix, () => metadata.columns.map((column) => ({ column, key: prefix + column.databaseName })));
}

/**
 * The columns of `entity` under `alias`, each renamed `<prefix><column>`, for a joined row to hydrate;
 * `only` limits them to what the graph shows (e.g. no timestamps or credential hashes).
 */
export function prefixedColumns(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, alias: string, prefix: string, only?: string[]): string {
  return dataSource
    .getMetadata(entity)
    .columns.filter((column) => !only || only.includes(column.databaseName))
    .map((column) => `${alias}.${column.databaseName} AS ${prefix}${column.databaseName}`)
    .join(", ");
}
