import { EntityManager } from "typeorm";
import { Product } from "../../entities";
import { cached } from "../collections";
import { runSql, sql, toDate } from "../db/sql";
import { hydrate, selectColumns } from "../db/windowed";
import { keptPools } from "./kept-pools";
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

/** Which Virtual Accounts a pool query groups, by owner: a Virtual Account, a subtree root, or a Smart Account. */
export type PoolScope = PoolOwners;

export const exactVirtualAccounts = (ids: readonly number[]): PoolScope => ({
  owner: sql`va.id`,
  from: sql`virtual_accounts va`,
  where: sql.in(sql`va.id`, ids),
  virtualAccountIds: ids,
});

/** includeDescendants: every Virtual Account whose path starts with the root's. */
export const subtrees = (rootIds: readonly number[]): PoolScope => ({
  owner: sql`root.id`,
  from: sql`virtual_accounts root JOIN virtual_accounts va ON va.smart_account_id = root.smart_account_id AND va.path LIKE CONCAT(root.path, '%')`,
  where: sql.in(sql`root.id`, rootIds),
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
  const rows = await runSql(
    manager,
    sql`SELECT g.*, ${selectColumns(manager.connection, Product, "p", "p__", GRAPH_PRODUCT_COLUMNS)} FROM (${aggregate}
    ) g JOIN products p ON p.id = g.product_id`,
  );
  const pools = new Map<number, LicensePool[]>();
  // One Product per distinct product, not per row: a tree's pools repeat the same few hundred products.
  const products = new Map<number, Product>();
  for (const row of rows) {
    const productId = Number(row.product_id);
    const product = cached(products, productId, () => hydrate(manager.connection, Product, row, "p__"));
    const owner = Number(row.owner_id);
    const purchased = Number(row.purchased);
    const inUse = Number(row.in_use);
    cached(pools, owner, () => []).push({
      productId,
      product,
      accountId: scope.account ? Number(row.account_id) : undefined,
      purchased,
      inUse,
      available: Math.max(purchased - inUse, 0),
      shortage: Math.max(inUse - purchased, 0),
      status: inUse > purchased ? "OUT_OF_COMPLIANCE" : "AUTHORIZED",
      nextExpiry: toDate(row.next_expiry),
    });
  }
  // Sorted here, not in SQL: the database would sort every row of a tree again after grouping. By SKU,
  // code point order, alike on every database.
  for (const list of pools.values()) list.sort((a, b) => (a.product.sku < b.product.sku ? -1 : a.product.sku > b.product.sku ? 1 : 0));
  return pools;
}

/**
 * The product columns a pool or an alert carries: what the graph shows of a Product, not its timestamps.
 * Tens of thousands of pool rows repeat a few hundred products; each is hydrated once.
 */
export const GRAPH_PRODUCT_COLUMNS = ["id", "sku", "name", "model", "smart_enabled"];
