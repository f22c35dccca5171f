import { EntityManager } from "typeorm";
import { LicenseKind, Product } from "../../entities";
import { cached } from "../collections";
import { hydrate, prefixedColumns } from "../db/windowed";

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

/** Which rows a pool query groups, by `owner`: a Virtual Account, a subtree root, or a Smart Account. */
export interface PoolScope {
  /** The grouping key, e.g. `va.id`, `root.id` or `va.smart_account_id`. */
  owner: string;
  /** FROM clause that yields the Virtual Accounts as `va` (joined to their owner where needed). */
  from: string;
  where: string;
  params: Record<string, unknown>;
  /** Also report each owner's Smart Account (e.g. `va.smart_account_id`), to split a batch by account. */
  account?: string;
}

export const exactVirtualAccounts = (ids: number[]): PoolScope => ({
  owner: "va.id",
  from: "virtual_accounts va",
  where: "va.id IN (:...poolIds)",
  params: { poolIds: ids },
});

/** includeDescendants: every Virtual Account whose path starts with the root's. */
export const subtrees = (rootIds: number[]): PoolScope => ({
  owner: "root.id",
  from: "virtual_accounts root JOIN virtual_accounts va ON va.smart_account_id = root.smart_account_id AND va.path LIKE CONCAT(root.path, '%')",
  where: "root.id IN (:...poolIds)",
  params: { poolIds: rootIds },
});

/**
 * R27 in one statement for any number of owners: purchased = Σ ACTIVE SMART lots, inUse = Σ the
 * devices' usage, UNION ALL'd and grouped by (owner, product). A product appears when either side
 * is non-zero. Rows come back keyed by owner.
 */
export async function loadPools(
  manager: EntityManager,
  scope: PoolScope,
  now: Date,
  productId?: number,
): Promise<Map<number, LicensePool[]>> {
  const product = productId === undefined ? "" : " AND l.product_id = :productId";
  const usageProduct = productId === undefined ? "" : " AND u.product_id = :productId";
  const account = scope.account ? `, ${scope.account} AS account_id` : ", 0 AS account_id";
  const groupAccount = scope.account ? `, ${scope.account}` : "";
  const sql = `
    SELECT g.*, ${prefixedColumns(manager.connection, Product, "p", "p__", GRAPH_PRODUCT_COLUMNS)} FROM (
      SELECT x.owner_id, MIN(x.account_id) AS account_id, x.product_id, SUM(x.purchased) AS purchased, SUM(x.in_use) AS in_use, MIN(x.next_expiry) AS next_expiry
      FROM (
        SELECT ${scope.owner} AS owner_id${account}, l.product_id AS product_id, SUM(l.quantity) AS purchased, 0 AS in_use, MIN(l.ends_at) AS next_expiry
          FROM ${scope.from} JOIN licenses l ON l.virtual_account_id = va.id
         WHERE ${scope.where} AND l.kind = :smart AND (l.ends_at IS NULL OR l.ends_at > :now)${product}
         GROUP BY ${scope.owner}${groupAccount}, l.product_id
        UNION ALL
        SELECT ${scope.owner} AS owner_id${account}, u.product_id AS product_id, 0 AS purchased, SUM(u.count) AS in_use, NULL AS next_expiry
          FROM ${scope.from} JOIN product_instances pi ON pi.virtual_account_id = va.id
          JOIN license_usages u ON u.product_instance_id = pi.id
         WHERE ${scope.where}${usageProduct}
         GROUP BY ${scope.owner}${groupAccount}, u.product_id
      ) x
      GROUP BY x.owner_id, x.product_id
      HAVING SUM(x.purchased) > 0 OR SUM(x.in_use) > 0
    ) g JOIN products p ON p.id = g.product_id`;
  const [text, values] = manager.connection.driver.escapeQueryWithParameters(
    sql,
    { ...scope.params, smart: LicenseKind.SMART, now, productId },
    {},
  );
  const rows: Record<string, unknown>[] = await manager.query(text, values);
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
