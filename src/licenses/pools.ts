import { EntityManager } from "typeorm";
import { Product } from "../../entities";
import { cached } from "../collections";
import { pathIds } from "../accounts/tree";
import { runSql, Sql, sql, toDate } from "../db/sql";
import { hydrate, selectColumns } from "../db/windowed";
import { keptPools, keptRowsUnder } from "./kept-pools";
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
  for (const row of await withProducts(manager, aggregate)) {
    const purchased = Number(row.purchased);
    const inUse = Number(row.in_use);
    const pool = poolOf(row.product, purchased, inUse, toDate(row.next_expiry));
    if (scope.account) pool.accountId = Number(row.account_id);
    cached(pools, Number(row.owner_id), () => []).push(pool);
  }
  return bySku(pools);
}

/**
 * includeDescendants for any number of roots in one statement: each kept row below any root is read once
 * with its Virtual Account's path, and added here to every requested root on that path.
 */
export async function loadSubtreePools(manager: EntityManager, rootIds: readonly number[], now: Date): Promise<Map<number, LicensePool[]>> {
  const roots = new Set(rootIds);
  const sums = new Map<number, Map<number, { product: Product; purchased: number; inUse: number; nextExpiry: Date | null }>>();
  for (const row of await withProducts(manager, keptRowsUnder(rootIds, now))) {
    const purchased = Number(row.purchased);
    const inUse = Number(row.in_use);
    const nextExpiry = toDate(row.next_expiry);
    for (const rootId of pathIds(String(row.path))) {
      if (!roots.has(rootId)) continue;
      const sum = cached(
        cached(sums, rootId, () => new Map()),
        row.product.id,
        () => ({ product: row.product, purchased: 0, inUse: 0, nextExpiry: null }),
      );
      sum.purchased += purchased;
      sum.inUse += inUse;
      if (nextExpiry && (!sum.nextExpiry || nextExpiry < sum.nextExpiry)) sum.nextExpiry = nextExpiry;
    }
  }
  const pools = new Map<number, LicensePool[]>();
  for (const [rootId, byProduct] of sums) {
    pools.set(
      rootId,
      [...byProduct.values()].map((sum) => poolOf(sum.product, sum.purchased, sum.inUse, sum.nextExpiry)),
    );
  }
  return bySku(pools);
}

/** A pool statement's rows with each product joined in and hydrated once per distinct product. */
async function withProducts(manager: EntityManager, statement: Sql): Promise<(Record<string, unknown> & { product: Product })[]> {
  const rows = await runSql(
    manager,
    sql`SELECT g.*, ${selectColumns(manager.connection, Product, "p", "p__", GRAPH_PRODUCT_COLUMNS)} FROM (${statement}
    ) g JOIN products p ON p.id = g.product_id`,
  );
  // One Product per distinct product, not per row: a tree's pools repeat the same few hundred products.
  const products = new Map<number, Product>();
  return rows.map((row) =>
    Object.assign(row, { product: cached(products, Number(row.product_id), () => hydrate(manager.connection, Product, row, "p__")) }),
  );
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
