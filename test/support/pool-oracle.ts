import type { EntityManager } from "typeorm";

/**
 * The oracle of the kept pools (R27, R22): the pools summed from the lots and the devices' usage on every
 * call, as the service did before it kept them (48ca111: `poolAggregate` in src/licenses/sql.ts and what
 * `loadPools` in src/licenses/pools.ts made of its rows). Its own code, on purpose: nothing here comes from
 * src, so a mistake there cannot hide in both.
 *
 * Two ways, which must agree with each other:
 * - `oraclePools`: the old aggregate's SQL, copied (the lots and the usage grouped apart, UNION ALL'd, summed);
 * - `recountPools`: the same figures summed in JavaScript from the raw rows (R22's `endsAt > now` compared
 *   as instants, the subtree as a path prefix), so that not even a predicate is shared with the database.
 *
 * Both give, at `now`, every pool per Virtual Account, per subtree (each Virtual Account as a root:
 * includeDescendants) and per Smart Account (all its Virtual Accounts), as plain comparable objects,
 * each owner's list sorted by SKU in code point order.
 */

/** One pool as a test compares it. */
export interface OraclePool {
  sku: string;
  productId: number;
  purchased: number;
  inUse: number;
  available: number;
  shortage: number;
  status: "AUTHORIZED" | "OUT_OF_COMPLIANCE";
  /** ISO 8601, or null when no counted lot ends. */
  nextExpiry: string | null;
}

/** Every pool of the accounts asked about, by owner id; an owner with no pool has no entry. */
export interface OracleView {
  byVirtualAccount: Map<number, OraclePool[]>;
  bySubtree: Map<number, OraclePool[]>;
  byAccount: Map<number, OraclePool[]>;
}

/** Timestamps as read back: Date (MySQL/MariaDB), or 'YYYY-MM-DD HH:MM:SS.SSS' UTC text (SQLite). */
export function instant(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}

const bySku = (a: OraclePool, b: OraclePool) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0);

/** A pool from its two sums and soonest end, with R27's derived figures. */
export function pool(sku: string, productId: number, purchased: number, inUse: number, nextExpiry: Date | null): OraclePool {
  return {
    sku,
    productId,
    purchased,
    inUse,
    available: Math.max(purchased - inUse, 0),
    shortage: Math.max(inUse - purchased, 0),
    status: inUse > purchased ? "OUT_OF_COMPLIANCE" : "AUTHORIZED",
    nextExpiry: nextExpiry ? nextExpiry.toISOString() : null,
  };
}

/** Runs SQL with TypeORM's named parameters (`:now`, `:...ids`): each driver binds dates its own way. */
async function query(manager: EntityManager, text: string, params: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const [statement, values] = manager.connection.driver.escapeQueryWithParameters(text, params, {});
  return manager.query(statement, values);
}

/**
 * The old `poolAggregate` (48ca111), with its owners written out: `owner` groups the Virtual Accounts
 * `va` that `from` yields and `where` keeps. Columns: owner_id, product_id, purchased, in_use, next_expiry.
 * Only pools with a non-zero side (R27: a product appears when either side is non-zero).
 */
function oldAggregate(owner: string, from: string, where: string): string {
  return `
      SELECT x.owner_id, x.product_id, SUM(x.purchased) AS purchased, SUM(x.in_use) AS in_use, MIN(x.next_expiry) AS next_expiry
      FROM (
        SELECT ${owner} AS owner_id, l.product_id AS product_id, SUM(l.quantity) AS purchased, 0 AS in_use, MIN(l.ends_at) AS next_expiry
          FROM ${from} JOIN licenses l ON l.virtual_account_id = va.id
         WHERE ${where} AND l.kind = 'SMART' AND (l.ends_at IS NULL OR l.ends_at > :now) AND l.quantity > 0
         GROUP BY ${owner}, l.product_id
        UNION ALL
        SELECT ${owner} AS owner_id, u.product_id AS product_id, 0 AS purchased, SUM(u.count) AS in_use, NULL AS next_expiry
          FROM ${from} JOIN product_instances pi ON pi.virtual_account_id = va.id
          JOIN license_usages u ON u.product_instance_id = pi.id
         WHERE ${where}
         GROUP BY ${owner}, u.product_id
      ) x
      GROUP BY x.owner_id, x.product_id
      HAVING SUM(x.purchased) > 0 OR SUM(x.in_use) > 0`;
}

/** The old `loadPools`: the aggregate with each product's SKU joined, keyed by owner, sorted by SKU. */
async function loadOld(manager: EntityManager, owner: string, from: string, where: string, params: Record<string, unknown>) {
  const rows = await query(
    manager,
    `SELECT g.owner_id, g.product_id, g.purchased, g.in_use, g.next_expiry, p.sku AS sku FROM (${oldAggregate(owner, from, where)}) g
       JOIN products p ON p.id = g.product_id`,
    params,
  );
  const pools = new Map<number, OraclePool[]>();
  for (const row of rows) {
    const owned = pools.get(Number(row.owner_id)) ?? [];
    owned.push(pool(String(row.sku), Number(row.product_id), Number(row.purchased), Number(row.in_use), instant(row.next_expiry)));
    pools.set(Number(row.owner_id), owned);
  }
  for (const list of pools.values()) list.sort(bySku);
  return pools;
}

/** R27 at `now` from scratch with the old SQL, for every Virtual Account, subtree and account of these Smart Accounts. */
export async function oraclePools(manager: EntityManager, accountIds: readonly number[], now: Date): Promise<OracleView> {
  const params = { now, accounts: [...accountIds] };
  const vas = "virtual_accounts va";
  const ofAccounts = "va.smart_account_id IN (:...accounts)";
  return {
    byVirtualAccount: await loadOld(manager, "va.id", vas, ofAccounts, params),
    bySubtree: await loadOld(
      manager,
      "root.id",
      "virtual_accounts root JOIN virtual_accounts va ON va.smart_account_id = root.smart_account_id AND va.path LIKE CONCAT(root.path, '%')",
      "root.smart_account_id IN (:...accounts)",
      params,
    ),
    byAccount: await loadOld(manager, "va.smart_account_id", vas, ofAccounts, params),
  };
}

/** The same figures summed in JavaScript from the raw rows of these accounts' Virtual Accounts. */
export async function recountPools(manager: EntityManager, accountIds: readonly number[], now: Date): Promise<OracleView> {
  const params = { accounts: [...accountIds] };
  const vas = (await query(manager, "SELECT id, smart_account_id, path FROM virtual_accounts WHERE smart_account_id IN (:...accounts)", params)).map(
    (row) => ({ id: Number(row.id), accountId: Number(row.smart_account_id), path: String(row.path) }),
  );
  const vaIds = vas.map((va) => va.id);
  const inVas = { vas: vaIds.length ? vaIds : [-1] };
  const lots = await query(
    manager,
    "SELECT virtual_account_id, product_id, kind, quantity, ends_at FROM licenses WHERE virtual_account_id IN (:...vas)",
    inVas,
  );
  const usages = await query(
    manager,
    `SELECT pi.virtual_account_id, u.product_id, u.count FROM product_instances pi JOIN license_usages u ON u.product_instance_id = pi.id
      WHERE pi.virtual_account_id IN (:...vas)`,
    inVas,
  );
  const skus = new Map((await query(manager, "SELECT id, sku FROM products", {})).map((row) => [Number(row.id), String(row.sku)]));

  /** Per Virtual Account, per product: Σ counted quantity, Σ usage, soonest end. */
  type Sums = { purchased: number; inUse: number; nextExpiry: Date | null };
  const perVa = new Map<number, Map<number, Sums>>();
  const sums = (vaId: number, productId: number): Sums => {
    const products = perVa.get(vaId) ?? new Map<number, Sums>();
    perVa.set(vaId, products);
    const found = products.get(productId) ?? { purchased: 0, inUse: 0, nextExpiry: null };
    products.set(productId, found);
    return found;
  };
  for (const lot of lots) {
    const endsAt = instant(lot.ends_at);
    const quantity = Number(lot.quantity);
    // R27: ACTIVE (R22: no end, or an end after now) SMART lots that hold licenses.
    if (lot.kind !== "SMART" || quantity <= 0 || (endsAt !== null && endsAt.getTime() <= now.getTime())) continue;
    const into = sums(Number(lot.virtual_account_id), Number(lot.product_id));
    into.purchased += quantity;
    if (endsAt && (!into.nextExpiry || endsAt.getTime() < into.nextExpiry.getTime())) into.nextExpiry = endsAt;
  }
  for (const usage of usages) sums(Number(usage.virtual_account_id), Number(usage.product_id)).inUse += Number(usage.count);

  /** The pools of a set of Virtual Accounts summed together. */
  const over = (members: readonly number[]): OraclePool[] => {
    const total = new Map<number, Sums>();
    for (const vaId of members)
      for (const [productId, figures] of perVa.get(vaId) ?? []) {
        const into = total.get(productId) ?? { purchased: 0, inUse: 0, nextExpiry: null };
        into.purchased += figures.purchased;
        into.inUse += figures.inUse;
        if (figures.nextExpiry && (!into.nextExpiry || figures.nextExpiry.getTime() < into.nextExpiry.getTime()))
          into.nextExpiry = figures.nextExpiry;
        total.set(productId, into);
      }
    return [...total]
      .filter(([, figures]) => figures.purchased > 0 || figures.inUse > 0)
      .map(([productId, figures]) => pool(skus.get(productId) as string, productId, figures.purchased, figures.inUse, figures.nextExpiry))
      .sort(bySku);
  };
  const keep = (entries: [number, OraclePool[]][]) => new Map(entries.filter(([, list]) => list.length > 0));
  return {
    byVirtualAccount: keep(vas.map((va) => [va.id, over([va.id])])),
    bySubtree: keep(
      vas.map((root) => [root.id, over(vas.filter((va) => va.accountId === root.accountId && va.path.startsWith(root.path)).map((va) => va.id))]),
    ),
    byAccount: keep(accountIds.map((accountId) => [accountId, over(vas.filter((va) => va.accountId === accountId).map((va) => va.id))])),
  };
}

/** Every lot's quantity summed per product, kind and dates, all accounts (R19: transfers keep these; R20 moves CLASSIC to SMART). */
export async function lotTotals(manager: EntityManager): Promise<Map<string, number>> {
  const rows = await query(manager, "SELECT product_id, kind, starts_at, ends_at, quantity FROM licenses", {});
  const totals = new Map<string, number>();
  for (const row of rows) {
    const key = totalKey(Number(row.product_id), String(row.kind), instant(row.starts_at), instant(row.ends_at));
    totals.set(key, (totals.get(key) ?? 0) + Number(row.quantity));
  }
  for (const [key, quantity] of totals) if (quantity === 0) totals.delete(key);
  return totals;
}

/** The key of `lotTotals`: product, kind, start and end. */
export const totalKey = (productId: number, kind: string, startsAt: Date | null, endsAt: Date | null): string =>
  `${productId} ${kind} ${startsAt?.toISOString() ?? "-"} ${endsAt?.toISOString() ?? "-"}`;

/** A map as sorted entries, for a readable toEqual. */
export const sortedEntries = <V>(map: Map<number | string, V>): [number | string, V][] => [...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
