import { EntityManager } from "typeorm";
import { Product } from "../../entities";
import { cached } from "../collections";
import { runSql, sql } from "../db/sql";
import { hydrate, selectColumns } from "../db/windowed";
import { poolAggregate, PoolOwners } from "./sql";

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
});

/** includeDescendants: every Virtual Account whose path starts with the root's. */
export const subtrees = (rootIds: readonly number[]): PoolScope => ({
  owner: sql`root.id`,
  from: sql`virtual_accounts root JOIN virtual_accounts va ON va.smart_account_id = root.smart_account_id AND va.path LIKE CONCAT(root.path, '%')`,
  where: sql.in(sql`root.id`, rootIds),
});

/**
 * R27 in one statement for any number of owners: the pool aggregate (src/licenses/sql.ts) with each
 * product joined in. A product appears when either side is non-zero. Rows come back keyed by owner.
 */
export async function loadPools(manager: EntityManager, scope: PoolScope, now: Date, productId?: number): Promise<Map<number, LicensePool[]>> {
  const aggregate = poolAggregate(scope, now, {
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

/** The pool of one product in each of these Virtual Accounts (for transfers, R19). */
export async function poolTotals(manager: EntityManager, vaIds: number[], productId: number, now: Date): Promise<LicensePool[]> {
  const pools = await loadPools(manager, exactVirtualAccounts(vaIds), now, productId);
  return vaIds.map((id) => pools.get(id)?.[0]).filter((pool): pool is LicensePool => !!pool);
}

/** Aggregates come back as Date (MySQL) or 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (SQLite). */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}
