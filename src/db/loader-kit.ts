import DataLoader from "dataloader";
import { EntityMetadata, EntityTarget, ObjectLiteral } from "typeorm";
import { cached, groupBy } from "../collections";
import { Connection, emptyConnection, PageRequest } from "../paging";
import { Database } from "./database";
import { hydrate, loadWindowedPages, WindowedPageQuery } from "./windowed";

/** Rows by primary key, one `IN (…)` statement per batch, results in key order (null where missing). */
export function byIdLoader<T extends ObjectLiteral & { id: number }>(db: Database, entity: EntityTarget<T>) {
  return new DataLoader<number, T | null>(async (ids) => {
    const rows = await selectIn(db, entity, "id", ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * Every row of `entity` whose `column` (its database name) is one of `keys`, in one hand-written
 * statement hydrated straight into entities: a loader's batch costs no query-builder work.
 */
export async function selectIn<T extends ObjectLiteral>(
  db: Database,
  entity: EntityTarget<T>,
  column: string,
  keys: readonly (number | string)[],
  orderBy?: string,
): Promise<T[]> {
  if (!keys.length) return [];
  const sql = `${selectFrom(db.dataSource.getMetadata(entity))} WHERE ${column} IN (${keys.map(() => "?").join(", ")})${orderBy ? ` ORDER BY ${orderBy}` : ""}`;
  const rows: Record<string, unknown>[] = await db.dataSource.query(sql, [...keys]);
  return rows.map((row) => hydrate(db, entity, row));
}

const selects = new WeakMap<EntityMetadata, string>();

/** `SELECT <every column> FROM <table>` of an entity, built once. */
function selectFrom(metadata: EntityMetadata): string {
  return cached(
    selects,
    metadata,
    () =>
      `SELECT ${metadata.columns
        .filter((c) => c.isSelect)
        .map((c) => c.databaseName)
        .join(", ")} FROM ${metadata.tableName}`,
  );
}

/** Rows by any unique column, e.g. the default Virtual Account by Smart Account id. */
export function byColumnLoader<T extends ObjectLiteral, K extends number | string>(load: (keys: readonly K[]) => Promise<T[]>, keyOf: (row: T) => K) {
  return new DataLoader<K, T | null>(async (keys) => {
    const rows = await load(keys);
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** Every row of each key (a one-to-many), one statement per batch; rows keep the statement's order. */
export function byGroupLoader<T extends ObjectLiteral, V = T>(
  load: (keys: number[]) => Promise<T[]>,
  keyOf: (row: T) => number,
  valueOf: (row: T) => V = (row) => row as unknown as V,
) {
  return new DataLoader<number, V[]>(async (keys) => {
    const groups = groupBy(await load([...keys]), keyOf, valueOf);
    return keys.map((key) => groups.get(key) ?? []);
  });
}

/** The one parent of a batch that has only one (a `single` page query), else undefined. */
export const oneOf = (parents: number[]): number | undefined => (parents.length === 1 ? parents[0] : undefined);

export interface PageKey<F = undefined> {
  parent: number;
  request: PageRequest;
  filter?: F;
}

/**
 * A connection per parent, batched: all parents asking with the same page arguments and filter
 * share ONE windowed statement (so a level of the tree costs one query, whatever its width).
 */
export function pagedLoader<T extends ObjectLiteral, F = undefined>(
  db: Database,
  build: (parents: number[], filter: F | undefined) => WindowedPageQuery<T>,
) {
  return new DataLoader<PageKey<F>, Connection<T>, string>(
    async (keys) => {
      const groups = groupBy(keys, (key) => JSON.stringify([key.request, key.filter ?? null]));
      const results = new Map<string, Connection<T>>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const parents = [...new Set(group.map((key) => key.parent))];
          const query = { ...build(parents, group[0].filter), single: parents.length === 1 };
          const pages = await loadWindowedPages(db, query, group[0].request);
          for (const key of group) results.set(cacheKey(key), pages.get(key.parent) ?? emptyConnection<T>());
        }),
      );
      return keys.map((key) => results.get(cacheKey(key)) as Connection<T>);
    },
    { cacheKeyFn: cacheKey },
  );
}

const cacheKey = (key: PageKey<unknown>): string => JSON.stringify([key.parent, key.request, key.filter ?? null]);
