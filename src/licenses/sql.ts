import { LicenseKind } from "../../entities";
import { Sql, sql } from "../db/sql";

/*
 * The licensing SQL that several statements share, each written once. Predicates are over
 * `licenses l`; the pool aggregate reads lots and usage through Virtual Accounts `va`.
 */

/** R22: a lot whose end has not passed at `now` is ACTIVE. */
export const lotActive = (now: Date): Sql => sql`(l.ends_at IS NULL OR l.ends_at > ${now})`;

/** R22: a lot whose end has passed is EXPIRED. */
export const lotExpired = (now: Date): Sql => sql`l.ends_at <= ${now}`;

/**
 * R27: the lots a pool counts — ACTIVE `SMART` lots that hold licenses. Every column is in the
 * (virtual_account_id, product_id, kind, ends_at, quantity) index, so a pool's lots are summed from it
 * alone; a transfer moves licenses out of exactly these lots (R19).
 */
export const countedLots = (now: Date): Sql => sql`l.kind = ${LicenseKind.SMART} AND ${lotActive(now)} AND l.quantity > 0`;

/** Whose pools an aggregate sums: the Virtual Accounts `va` an `owner` (a Virtual Account, a subtree root, an account) covers. */
export interface PoolOwners {
  /** The grouping key, e.g. sql`va.id`, sql`root.id` or sql`va.smart_account_id`. */
  owner: Sql;
  /** FROM clause that yields the Virtual Accounts as `va` (joined to their owner where needed). */
  from: Sql;
  /** Which of them. */
  where: Sql;
  /** Also report each owner's Smart Account (e.g. sql`va.smart_account_id`), to split a batch by account. */
  account?: Sql;
  /**
   * Each owner is one of these Virtual Accounts itself: a kept pool is then one row, read as it is,
   * with nothing to group (`keptPools`).
   */
  virtualAccountIds?: readonly number[];
  /** Each owner is its Virtual Account `va` (owner sql`va.id`): one kept row per owner and product, nothing grouped. */
  perVirtualAccount?: boolean;
}

/** The sums a pool aggregate's HAVING may test. */
export interface PoolSums {
  purchased: Sql;
  inUse: Sql;
}

/**
 * R27 from scratch, for any number of owners in one SELECT: per (owner, product), `purchased` =
 * Σ quantity of the counted lots, `in_use` = Σ the devices' usage, `next_expiry` = the soonest end of
 * those lots. Each side is grouped on its own and the two UNION ALL'd, then summed; `having` keeps the
 * rows wanted (any figure, shortages, figures past a bound). `products` limits it to those products.
 * Columns: owner_id, account_id (0 without `owners.account`), product_id, purchased, in_use, next_expiry.
 * Reads use the kept rows instead (`keptPools`, src/licenses/kept-pools.ts), which return the same
 * columns; this one builds and checks them (`rebuildPools`, `comparePools`).
 */
export function poolsFromLots(owners: PoolOwners, now: Date, options: { having: (sums: PoolSums) => Sql; products?: readonly number[] }): Sql {
  const { owner, from, where } = owners;
  const account = owners.account ?? sql`0`;
  const groupAccount = owners.account ? sql`, ${owners.account}` : sql.empty;
  const lotProducts = options.products ? sql` AND ${sql.in(sql`l.product_id`, options.products)}` : sql.empty;
  const usageProducts = options.products ? sql` AND ${sql.in(sql`u.product_id`, options.products)}` : sql.empty;
  const having = options.having({ purchased: sql`SUM(x.purchased)`, inUse: sql`SUM(x.in_use)` });
  return sql`
      SELECT x.owner_id, MIN(x.account_id) AS account_id, x.product_id, SUM(x.purchased) AS purchased, SUM(x.in_use) AS in_use, MIN(x.next_expiry) AS next_expiry
      FROM (
        SELECT ${owner} AS owner_id, ${account} AS account_id, l.product_id AS product_id, SUM(l.quantity) AS purchased, 0 AS in_use, MIN(l.ends_at) AS next_expiry
          FROM ${from} JOIN licenses l ON l.virtual_account_id = va.id
         WHERE ${where} AND ${countedLots(now)}${lotProducts}
         GROUP BY ${owner}${groupAccount}, l.product_id
        UNION ALL
        SELECT ${owner} AS owner_id, ${account} AS account_id, u.product_id AS product_id, 0 AS purchased, SUM(u.count) AS in_use, NULL AS next_expiry
          FROM ${from} JOIN product_instances pi ON pi.virtual_account_id = va.id
          JOIN license_usages u ON u.product_instance_id = pi.id
         WHERE ${where}${usageProducts}
         GROUP BY ${owner}${groupAccount}, u.product_id
      ) x
      GROUP BY x.owner_id, x.product_id
      HAVING ${having}`;
}
