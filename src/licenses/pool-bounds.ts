import { EntityManager } from "typeorm";
import { runSql, sql } from "../db/sql";
import { ConflictError } from "../errors";
import { keptPools } from "./kept-pools";

/** GraphQL's Int: the largest figure a pool may show (R27). */
export const MAX_POOL_FIGURE = 2_147_483_647;

/**
 * R27: every pool figure fits GraphQL's Int. Called inside a write's transaction, after the write that
 * adds to `smartAccountId`'s pools of these products (and after the locks it takes): the account-wide
 * `purchased` (Σ ACTIVE SMART lots) and `inUse` (Σ its devices' usage) of each product, in one statement.
 * Every Virtual Account and subtree figure is at most its account's, so this bounds them all. Past
 * 2,147,483,647 → CONFLICT, and the throw rolls the whole write back: it changes nothing.
 */
export async function assertPoolsFit(manager: EntityManager, smartAccountId: number, productIds: Iterable<number>, now: Date): Promise<void> {
  const products = [...new Set(productIds)];
  if (!products.length) return;
  // The kept pools of the account's Virtual Accounts, as the pools read them, after this write's own
  // changes to them.
  const aggregate = keptPools(
    { owner: sql`va.smart_account_id`, from: sql`virtual_accounts va`, where: sql`va.smart_account_id = ${smartAccountId}` },
    now,
    { products, having: ({ purchased, inUse }) => sql`${purchased} > ${MAX_POOL_FIGURE} OR ${inUse} > ${MAX_POOL_FIGURE}` },
  );
  const [over] = await runSql<{ sku: string; purchased: unknown; in_use: unknown }>(
    manager,
    sql`SELECT p.sku, t.purchased, t.in_use FROM (${aggregate}
    ) t JOIN products p ON p.id = t.product_id
    ORDER BY p.sku`,
  );
  if (!over) return;
  const figure = Number(over.purchased) > MAX_POOL_FIGURE ? "purchased" : "in use";
  throw new ConflictError(
    `This would take the Smart Account's ${over.sku} licenses ${figure} past ${MAX_POOL_FIGURE.toLocaleString("en-US")}, ` +
      "the most a license pool can count.",
  );
}
