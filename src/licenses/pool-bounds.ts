import { EntityManager } from "typeorm";
import { LicenseKind } from "../../entities";
import { ConflictError } from "../errors";

/** GraphQL's Int: the largest figure a pool may show (R27). */
export const MAX_POOL_FIGURE = 2_147_483_647;

/**
 * R27: every pool figure fits GraphQL's Int. Called inside a write's transaction, after the write that
 * adds to `smartAccountId`'s pools of these products (and after the locks it takes): the account-wide
 * `purchased` (Σ ACTIVE SMART lots) and `inUse` (Σ its devices' usage) of each product, in one statement.
 * Every Virtual Account and subtree figure is at most its account's, so this bounds them all. Past
 * 2,147,483,647 → CONFLICT, and the throw rolls the whole write back: it changes nothing.
 */
export async function assertPoolsFit(
  manager: EntityManager,
  smartAccountId: number,
  productIds: Iterable<number>,
  now: Date,
): Promise<void> {
  const products = [...new Set(productIds)];
  if (!products.length) return;
  // Through the account's Virtual Accounts, as the pools read: each lot sum comes off the covering
  // (virtual_account_id, product_id, kind, ends_at, quantity) index.
  const sql = `
    SELECT p.sku, t.purchased, t.in_use FROM (
      SELECT x.product_id, SUM(x.purchased) AS purchased, SUM(x.in_use) AS in_use
      FROM (
        SELECT l.product_id AS product_id, SUM(l.quantity) AS purchased, 0 AS in_use
          FROM virtual_accounts va JOIN licenses l ON l.virtual_account_id = va.id
         WHERE va.smart_account_id = :account AND l.product_id IN (:...products)
           AND l.kind = :smart AND (l.ends_at IS NULL OR l.ends_at > :now)
         GROUP BY l.product_id
        UNION ALL
        SELECT u.product_id AS product_id, 0 AS purchased, SUM(u.count) AS in_use
          FROM virtual_accounts va JOIN product_instances pi ON pi.virtual_account_id = va.id
          JOIN license_usages u ON u.product_instance_id = pi.id
         WHERE va.smart_account_id = :account AND u.product_id IN (:...products)
         GROUP BY u.product_id
      ) x
      GROUP BY x.product_id
      HAVING SUM(x.purchased) > :max OR SUM(x.in_use) > :max
    ) t JOIN products p ON p.id = t.product_id
    ORDER BY p.sku`;
  const [text, values] = manager.connection.driver.escapeQueryWithParameters(
    sql,
    { account: smartAccountId, products, smart: LicenseKind.SMART, now, max: MAX_POOL_FIGURE },
    {},
  );
  const [over]: { sku: string; purchased: unknown; in_use: unknown }[] = await manager.query(text, values);
  if (!over) return;
  const figure = Number(over.purchased) > MAX_POOL_FIGURE ? "purchased" : "in use";
  throw new ConflictError(
    `This would take the Smart Account's ${over.sku} licenses ${figure} past ${MAX_POOL_FIGURE.toLocaleString("en-US")}, ` +
      "the most a license pool can count.",
  );
}
