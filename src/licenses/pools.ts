import { EntityManager } from "typeorm";
import { Product } from "../../entities";
import { cached } from "../collections";
import { pathIds } from "../accounts/tree";
import { runSql, Sql, sql, toDate } from "../db/sql";
import { hydrate, selectColumns } from "../db/windowed";
import { keptPools, keptRowsUnder, SubtreeRoot } from "./kept-pools";
import { PoolOwners } from "./sql";

export { toDate } from "../db/sql";

/** A product's pool in one Virtual Account, a subtree, or an account (R27). */
export interface LicensePool {
  productId: number;
  /** Joined in the pool's own statement, so resolving `product` costs nothing more. */
  product: Product;
  /** The owning Smart Account, where the scope asked for it (`PoolScope.account`). */
  accountId?: number;
  purchased: number;
  inUse: number;
  available: number;
  shortage: number;
  status: "AUTHORIZED" | "OUT_OF_COMPLIANCE";
  nextExpiry: Date | null;
}

/** Which Virtual Accounts a pool query groups, by owner: a Virtual Account or a Smart Account (subtrees: loadSubtreePools). */
export type PoolScope = PoolOwners;

export const exactVirtualAccounts = (ids: readonly number[]): PoolScope => ({
  owner: sql`va.id`,
  from: sql`virtual_accounts va`,
  where: sql.in(sql`va.id`, ids),
  virtualAccountIds: ids,
});

/**
 * R27 in one statement for any number of owners: the kept pool rows summed (src/licenses/kept-pools.ts)
 * with each product joined in. A product appears when either side is non-zero. Rows come back keyed by owner.
 */
export async function loadPools(manager: EntityManager, scope: PoolScope, now: Date, productId?: number): Promise<Map<number, LicensePool[]>> {
  const aggregate = keptPools(scope, now, {
    products: productId === undefined ? undefined : [productId],
    having: ({ purchased, inUse }) => sql`${purchased} > 0 OR ${inUse} > 0`,
  });
  const pools = new Map<number, LicensePool[]>();
  await withProducts(manager, aggregate, false, (row) => {
    const pool = poolOf(row.product, row.purchased, row.in_use, row.next_expiry);
    if (scope.account) pool.accountId = row.account_id;
    cached(pools, row.owner_id, () => []).push(pool);
  });
  return bySku(pools);
}

/**
 * includeDescendants for any number of roots in one statement: each kept row below any root is read once
 * with its Virtual Account's path, and added here to every requested root on that path.
 */
export async function loadSubtreePools(manager: EntityManager, subtreeRoots: readonly SubtreeRoot[], now: Date): Promise<Map<number, LicensePool[]>> {
  const roots = new Set(subtreeRoots.map((root) => root.id));
  // A path names its ancestors: tens of pool rows share each Virtual Account's path, split once.
  const paths = new Map<string, number[]>();
  const sums = new Map<number, Map<number, { product: Product; purchased: number; inUse: number; nextExpiry: Date | null }>>();
  await withProducts(manager, keptRowsUnder(subtreeRoots, now), true, (row) => {
    const { product, purchased, in_use: inUse, next_expiry: nextExpiry } = row;
    const path = String(row.path);
    for (const rootId of cached(paths, path, () => pathIds(path))) {
      if (!roots.has(rootId)) continue;
      const sum = cached(
        cached(sums, rootId, () => new Map()),
        product.id,
        () => ({ product, purchased: 0, inUse: 0, nextExpiry: null }),
      );
      sum.purchased += purchased;
      sum.inUse += inUse;
      if (nextExpiry && (!sum.nextExpiry || nextExpiry < sum.nextExpiry)) sum.nextExpiry = nextExpiry;
    }
  });
  const pools = new Map<number, LicensePool[]>();
  for (const [rootId, byProduct] of sums) {
    pools.set(
      rootId,
      [...byProduct.values()].map((sum) => poolOf(sum.product, sum.purchased, sum.inUse, sum.nextExpiry)),
    );
  }
  return bySku(pools);
}

/** A pool row as `withProducts` hands it on: figures as numbers, the soonest end as a Date (one per distinct moment). */
interface PoolRow {
  owner_id: number;
  account_id: number;
  product_id: number;
  purchased: number;
  in_use: number;
  next_expiry: Date | null;
  path?: string;
  product: Product;
}

/**
 * A pool statement's rows with each product joined in, hydrated once per distinct product. Figures and
 * ends come as integers: on MySQL/MariaDB a DATETIME per row is otherwise a Date parsed from text and a
 * SUM a decimal string, for tens of thousands of rows. (Sending each product's columns on its first row
 * only, by ROW_NUMBER over the product, cost the database a sort of every row: at 1,000,000 lots the
 * Tree's statement took longer than the columns it saved.)
 */
async function withProducts(manager: EntityManager, statement: Sql, withPath: boolean, visit: (row: Readonly<PoolRow>) => void): Promise<void> {
  const mysql = manager.connection.driver.options.type !== "better-sqlite3";
  const integer = (column: Sql) => (mysql ? sql`CAST(${column} AS SIGNED)` : column);
  // Milliseconds since 1970 of a UTC DATETIME, with no time zone in between (SQLite keeps the text).
  const end = mysql ? sql`CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01', g.next_expiry) DIV 1000 AS SIGNED)` : sql`g.next_expiry`;
  const rows = await runSql<Record<string, unknown>>(
    manager,
    sql`SELECT g.owner_id, ${withPath ? sql`0` : sql`g.account_id`} AS account_id, g.product_id, ${integer(sql`g.purchased`)} AS purchased,
               ${integer(sql`g.in_use`)} AS in_use, ${end} AS next_expiry${withPath ? sql`, g.path` : sql.empty},
               ${selectColumns(manager.connection, Product, "p", "p__", GRAPH_PRODUCT_COLUMNS)}
          FROM (${statement}
          ) g JOIN products p ON p.id = g.product_id`,
  );
  // One Product per distinct product, not per row: a tree's pools repeat the same few hundred products.
  const products = new Map<number, Product>();
  const productOf = (row: Record<string, unknown>): Product =>
    cached(products, Number(row.product_id), () => hydrate(manager.connection, Product, row, "p__"));
  const ends = new Map<unknown, Date>();
  const endOf = (value: unknown): Date => cached(ends, value, () => (mysql ? new Date(Number(value)) : (toDate(value) as Date)));
  // One object, refilled for each row: the callers copy what they keep (no object per row to collect).
  const current = {} as PoolRow;
  for (const row of rows) {
    current.owner_id = Number(row.owner_id);
    current.account_id = Number(row.account_id ?? 0);
    current.product_id = Number(row.product_id);
    current.purchased = Number(row.purchased);
    current.in_use = Number(row.in_use);
    current.next_expiry = row.next_expiry == null ? null : endOf(row.next_expiry);
    current.path = row.path as string | undefined;
    current.product = productOf(row);
    visit(current);
  }
}

function poolOf(product: Product, purchased: number, inUse: number, nextExpiry: Date | null): LicensePool {
  return {
    productId: product.id,
    product,
    purchased,
    inUse,
    available: Math.max(purchased - inUse, 0),
    shortage: Math.max(inUse - purchased, 0),
    status: inUse > purchased ? "OUT_OF_COMPLIANCE" : "AUTHORIZED",
    nextExpiry,
  };
}

/**
 * Each owner's pools by SKU, in code point order alike on every database: sorted here, not in SQL, where
 * the database would sort every row of a tree again after grouping.
 */
function bySku(pools: Map<number, LicensePool[]>): Map<number, LicensePool[]> {
  for (const list of pools.values()) list.sort((a, b) => (a.product.sku < b.product.sku ? -1 : a.product.sku > b.product.sku ? 1 : 0));
  return pools;
}

/**
 * The product columns a pool or an alert carries: what the graph shows of a Product, not its timestamps.
 * Tens of thousands of pool rows repeat a few hundred products; each is hydrated once.
 */
export const GRAPH_PRODUCT_COLUMNS = ["id", "sku", "name", "model", "smart_enabled"];
