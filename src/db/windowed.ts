import { DataSource, EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { cached } from "../collections";
import { Connection, PageRequest, toConnection } from "../paging";
import { Database } from "./database";
import { runSql, Sql, sql } from "./sql";

/**
 * One sort key of a connection: the entity property it orders by (its column under the query's alias).
 * `column`, where given, is that same column spelled out (`va.path`) and must agree.
 */
export interface SortKey {
  property: string;
  descending?: boolean;
  column?: string;
}

export interface WindowedPageQuery<T> {
  entity: EntityTarget<T>;
  /** Cursor kind, e.g. "VirtualAccount.children". */
  kind: string;
  /** `FROM … [JOIN …]` with the entity's table aliased as `alias`, e.g. "virtual_accounts va". */
  from: string | Sql;
  alias: string;
  /** The column rows are grouped by (the parent key), e.g. `l.virtual_account_id`, or null for a single, top-level list. */
  partitionBy: string | null;
  /**
   * The WHERE clause (already scoped to the viewer): a fragment, or text with TypeORM-style named
   * parameters (`:name`, `:...list`) from `params`.
   */
  where: string | Sql;
  params?: Record<string, unknown>;
  /** A total order: the last key must be unique. */
  sort: SortKey[];
  /** Set when `where` selects a single partition (one parent): a cheaper plan without window functions. */
  single?: boolean;
  /**
   * For a single partition: an equivalent WHERE for its total that the database can count from a
   * narrower index (e.g. the lots of a subtree's Virtual Accounts rather than all of an account's).
   */
  totalWhere?: string | Sql;
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
  const a = sql.raw(query.alias);
  const fragment = (part: string | Sql): Sql => (part instanceof Sql ? part : sql.fromNamed({ sql: part, params: query.params ?? {} }));
  const from = fragment(query.from);
  const where = fragment(query.where);
  const partitionBy = query.partitionBy === null ? null : sql.raw(query.partitionBy);
  const partitionSelect = partitionBy ? sql`, ${partitionBy} AS partition__` : sql`, 0 AS partition__`;
  // Each key's column, under the query's alias (inside) and under `t` (the numbered rows, outside).
  const keys = query.sort.map((key) => {
    const column = sortColumn(metadata, query.alias, key);
    return { ...key, inner: sql`${a}.${column}`, outer: sql`t.${column}` };
  });
  const limit = request.first + 1;
  const columns = sql.join(
    metadata.columns.map((column) => sql`${a}.${sql.raw(column.databaseName)}`),
    ", ",
  );
  let statement: Sql;
  if (query.single) {
    // One list (a single parent): plain keyset + LIMIT, its total from an uncorrelated scalar subquery
    // that the database evaluates once — no numbering of every row of a large account. A deferred
    // join: the page's ids come from the index alone, then only those rows are read, by primary key.
    const keyset = request.after
      ? keysetCondition(
          keys.map((key) => ({ ...key, column: key.inner })),
          request.after,
        )
      : sql`1 = 1`;
    const ownOrder = orderBy(keys.map((key) => ({ ...key, column: key.inner })));
    const totalWhere = query.totalWhere === undefined ? where : fragment(query.totalWhere);
    statement = sql`SELECT ${columns}${partitionSelect}, (SELECT COUNT(*) FROM ${from} WHERE ${totalWhere}) AS total__
       FROM ${sql.raw(metadata.tableName)} ${a} JOIN (
         SELECT ${a}.id AS id__ FROM ${from} WHERE ${where} AND ${keyset} ORDER BY ${ownOrder} LIMIT ${limit}
       ) page__ ON page__.id__ = ${a}.id ORDER BY ${ownOrder}`;
  } else {
    const outer = keys.map((key) => ({ ...key, column: key.outer }));
    const after = request.after ? keysetCondition(outer, request.after) : sql`1 = 1`;
    const partition = partitionBy ? sql`PARTITION BY ${partitionBy}` : sql.empty;
    statement = sql`SELECT * FROM (
         SELECT t.*, ROW_NUMBER() OVER (PARTITION BY t.partition__ ORDER BY ${orderBy(outer)}) AS rn__ FROM (
           SELECT ${columns}${partitionSelect}, COUNT(*) OVER (${partition}) AS total__ FROM ${from} WHERE ${where}
         ) t WHERE ${after}
       ) u WHERE u.rn__ <= ${limit} ORDER BY u.partition__, u.rn__`;
  }
  const rows = await runSql(db.dataSource, statement);

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

/** The database column of a sort key's property; a `column` given with it must be that column under `alias`. */
function sortColumn(metadata: EntityMetadata, alias: string, key: SortKey): Sql {
  const column = metadata.findColumnWithPropertyName(key.property);
  if (!column) throw new Error(`${metadata.name} has no property ${key.property} to sort by`);
  if (key.column !== undefined && key.column !== `${alias}.${column.databaseName}`) {
    throw new Error(`Sort key ${key.column} is not ${alias}.${column.databaseName} (${metadata.name}.${key.property})`);
  }
  return sql.raw(column.databaseName);
}

const orderBy = (keys: { column: Sql; descending?: boolean }[]): Sql =>
  sql.join(
    keys.map((key) => (key.descending ? sql`${key.column} DESC` : sql`${key.column} ASC`)),
    ", ",
  );

/** `(k1 > c0) OR (k1 = c0 AND k2 > c1) …`, honouring each key's direction. */
function keysetCondition(keys: { column: Sql; descending?: boolean }[], after: unknown[]): Sql {
  const terms = keys.map((key, index) => {
    const equal = keys.slice(0, index).map((previous, j) => sql`${previous.column} = ${after[j]}`);
    equal.push(key.descending ? sql`${key.column} < ${after[index]}` : sql`${key.column} > ${after[index]}`);
    return sql`(${sql.join(equal, " AND ")})`;
  });
  return sql`(${sql.join(terms, " OR ")})`;
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
export function selectColumns(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, alias: string, prefix: string, only?: string[]): Sql {
  return sql.join(
    dataSource
      .getMetadata(entity)
      .columns.filter((column) => !only || only.includes(column.databaseName))
      .map((column) => sql`${sql.raw(`${alias}.${column.databaseName}`)} AS ${sql.raw(`${prefix}${column.databaseName}`)}`),
    ", ",
  );
}

/** `selectColumns` as text, for statements written as strings. */
export const prefixedColumns = (
  dataSource: DataSource,
  entity: EntityTarget<ObjectLiteral>,
  alias: string,
  prefix: string,
  only?: string[],
): string => selectColumns(dataSource, entity, alias, prefix, only).text;
