import { EntityManager } from "typeorm";
import { touchVirtualAccounts } from "../notifications/transaction";
import { runSql, Sql, sql, toDate } from "../db/sql";
import { countedLots, PoolOwners, PoolSums, poolsFromLots } from "./sql";

/**
 * Kept pools (R27): one `license_pools` row per Virtual Account and product holds `purchased`,
 * `inUse` and `nextExpiry`, written in the transaction of every write that changes them, so a pool read
 * adds rows, never lots.
 *
 * - Lots (fulfilment, assignment, transfers, conversion) → `countLots`: the row's lot figures are
 *   summed again from that Virtual Account's lots of that product, an index range bounded by the lots
 *   it holds. The row remembers when (`counted_at`).
 * - Usage (reports, device moves and removals) → `addUsage`: `in_use` moves by the difference, in one
 *   statement per write; devices are never summed again.
 * - Expiry (R22) needs no write: a row's figures hold until `next_expiry`. A read that finds that
 *   moment past (or a row counted after its `now`) sums that row's lots in the same statement
 *   (`keptPools`), so no figure is ever stale; `countDuePools` writes such rows again ahead of reads.
 *
 * `rebuildPools` and `comparePools` (npm run pools:check) sum everything from scratch.
 */

/** One kept pool: a product in a Virtual Account. */
export interface PoolKey {
  virtualAccountId: number;
  productId: number;
}

/** A pool's key as one text, for maps. */
const poolKey = (key: PoolKey) => `${key.virtualAccountId}:${key.productId}`;

/** Keys once each, in (Virtual Account, product) order: every write locks pool rows in that order. */
export function poolKeys(keys: Iterable<PoolKey>): PoolKey[] {
  const unique = new Map<string, PoolKey>();
  for (const key of keys) unique.set(poolKey(key), { virtualAccountId: key.virtualAccountId, productId: key.productId });
  return [...unique.values()].sort((a, b) => a.virtualAccountId - b.virtualAccountId || a.productId - b.productId);
}

/** `(virtual_account_id, product_id)` is one of the keys: equalities on the primary key, one per Virtual Account. */
function keyIn(keys: readonly PoolKey[]): Sql {
  const byAccount = new Map<number, number[]>();
  for (const key of keys) byAccount.set(key.virtualAccountId, [...(byAccount.get(key.virtualAccountId) ?? []), key.productId]);
  const terms = [...byAccount].map(([vaId, products]) => sql`(virtual_account_id = ${vaId} AND ${sql.in(sql`product_id`, products)})`);
  return terms.length ? sql`(${sql.join(terms, " OR ")})` : sql`(1 = 0)`;
}

const isSqlite = (manager: EntityManager) => manager.connection.driver.options.type === "better-sqlite3";

/**
 * Inserts each row with these starting figures, or on an existing row adds `in_use` to it. On MariaDB
 * the statement locks the rows either way; keys come sorted, so writes lock them in one order.
 */
async function upsert(manager: EntityManager, rows: readonly (PoolKey & { inUse: number })[], now: Date): Promise<void> {
  if (!rows.length) return;
  // R35: a pool that changes may raise or clear its Virtual Account's alerts.
  touchVirtualAccounts(
    manager,
    rows.map((row) => row.virtualAccountId),
  );
  const values = sql.join(
    rows.map((row) => sql`(${row.virtualAccountId}, ${row.productId}, 0, ${row.inUse}, NULL, ${now})`),
    ", ",
  );
  const onExisting = isSqlite(manager)
    ? sql`ON CONFLICT (virtual_account_id, product_id) DO UPDATE SET in_use = in_use + excluded.in_use`
    : sql`ON DUPLICATE KEY UPDATE in_use = in_use + VALUES(in_use)`;
  await runSql(
    manager,
    sql`INSERT INTO license_pools (virtual_account_id, product_id, purchased, in_use, next_expiry, counted_at) VALUES ${values} ${onExisting}`,
  );
}

/**
 * The pool rows of these keys exist and are this transaction's until it ends (on MariaDB the upsert locks
 * each row). Writes of lots lock their pools before the lots, so that two writes never wait on each
 * other's lots and pools crosswise.
 */
export async function lockPools(manager: EntityManager, keys: Iterable<PoolKey>, now: Date): Promise<void> {
  await upsert(
    manager,
    poolKeys(keys).map((key) => ({ ...key, inUse: 0 })),
    now,
  );
}

/** A kept row as a locking read found it; `current`: its figures hold at the read's `now` as they are. */
export interface KeptRow {
  purchased: number;
  inUse: number;
  nextExpiry: Date | null;
  current: boolean;
}

/**
 * Locks these pools and reads them as committed (a locking read, not the transaction's snapshot): a
 * transfer checks its source's `available` under this lock, so no usage report slips in between the
 * check and the move. Found by key with `.get(key)`.
 */
export async function lockedPools(manager: EntityManager, keys: readonly PoolKey[], now: Date): Promise<{ get(key: PoolKey): KeptRow | undefined }> {
  const sorted = poolKeys(keys);
  const lock = isSqlite(manager) ? sql.empty : sql` FOR UPDATE`;
  const read = () =>
    runSql(
      manager,
      sql`SELECT virtual_account_id, product_id, purchased, in_use, next_expiry, counted_at FROM license_pools WHERE ${keyIn(sorted)}
          ORDER BY virtual_account_id, product_id${lock}`,
    );
  let rows = await read();
  if (rows.length < sorted.length) {
    // A pool without its row yet: every row is made (locking it), and all are read again.
    await lockPools(manager, sorted, now);
    rows = await read();
  }
  const byKey = new Map<string, KeptRow>();
  for (const row of rows) {
    const nextExpiry = toDate(row.next_expiry);
    const countedAt = toDate(row.counted_at) as Date;
    byKey.set(poolKey({ virtualAccountId: Number(row.virtual_account_id), productId: Number(row.product_id) }), {
      purchased: Number(row.purchased),
      inUse: Number(row.in_use),
      nextExpiry,
      current: countedAt.getTime() <= now.getTime() && (nextExpiry === null || nextExpiry.getTime() > now.getTime()),
    });
  }
  return { get: (key) => byKey.get(poolKey(key)) };
}

/** The soonest of these ends (null: none, all perpetual). */
export function soonest(ends: readonly (Date | null)[]): Date | null {
  let first: Date | null = null;
  for (const end of ends) if (end && (!first || end.getTime() < first.getTime())) first = end;
  return first;
}

/**
 * Locked pools' lot figures as the caller knows them at `now` (a transfer knows what left and what
 * joined), written in one statement without reading the lots again.
 */
export async function setLotFigures(
  manager: EntityManager,
  figures: readonly (PoolKey & { purchased: number; nextExpiry: Date | null })[],
  now: Date,
): Promise<void> {
  if (!figures.length) return;
  touchVirtualAccounts(
    manager,
    figures.map((f) => f.virtualAccountId),
  );
  const which = (f: PoolKey) => sql`virtual_account_id = ${f.virtualAccountId} AND product_id = ${f.productId}`;
  const each = (column: (f: (typeof figures)[number]) => unknown) =>
    sql`CASE ${sql.join(
      figures.map((f) => sql`WHEN ${which(f)} THEN ${column(f)}`),
      " ",
    )} END`;
  await runSql(
    manager,
    sql`UPDATE license_pools SET purchased = ${each((f) => f.purchased)}, next_expiry = ${each((f) => f.nextExpiry)}, counted_at = ${now}
         WHERE ${keyIn(figures)}`,
  );
}

/**
 * After lots of these pools were created, moved, split or shrunk: their `purchased` and `next_expiry`
 * are summed again from the lots, as R27 and R22 say at `now`, in one statement for all of them. The
 * subqueries of an UPDATE read the lots as committed (InnoDB reads them with shared locks), not as of
 * the transaction's snapshot. `locked`: the rows exist and are this transaction's already (`lockPools`).
 */
export async function countLots(manager: EntityManager, keys: Iterable<PoolKey>, now: Date, options: { locked?: boolean } = {}): Promise<void> {
  const sorted = poolKeys(keys);
  if (!sorted.length) return;
  if (!options.locked) {
    await upsert(
      manager,
      sorted.map((key) => ({ ...key, inUse: 0 })),
      now,
    );
  }
  const lots = (figure: Sql) =>
    sql`(SELECT ${figure} FROM licenses l WHERE l.virtual_account_id = license_pools.virtual_account_id AND l.product_id = license_pools.product_id AND ${countedLots(now)})`;
  await runSql(
    manager,
    sql`UPDATE license_pools
           SET purchased = COALESCE(${lots(sql`SUM(l.quantity)`)}, 0), next_expiry = ${lots(sql`MIN(l.ends_at)`)}, counted_at = ${now}
         WHERE ${keyIn(sorted)}`,
  );
}

/** After devices' usage changed: each pool's `in_use` moves by `delta` (negative when usage leaves). */
export async function addUsage(manager: EntityManager, changes: Iterable<PoolKey & { delta: number }>, now: Date): Promise<void> {
  const byKey = new Map<string, PoolKey & { inUse: number }>();
  for (const change of changes) {
    const id = poolKey(change);
    const row = byKey.get(id) ?? { virtualAccountId: change.virtualAccountId, productId: change.productId, inUse: 0 };
    row.inUse += change.delta;
    byKey.set(id, row);
  }
  const rows = poolKeys(byKey.values())
    .map((key) => byKey.get(poolKey(key)) as PoolKey & { inUse: number })
    .filter((row) => row.inUse !== 0);
  await upsert(manager, rows, now);
}

/**
 * A device's usage: what its pools count for it. By default a locking read, so it is the usage as
 * committed, not as of the transaction's snapshot: a report that committed while this write waited for
 * the device is in it. `lock: false` where the transaction's first plain read came after it locked the
 * device (every write of a device's usage locks the device first), so its snapshot is current.
 */
export async function deviceUsage(
  manager: EntityManager,
  productInstanceId: number,
  options: { lock?: boolean } = {},
): Promise<{ productId: number; count: number }[]> {
  const lock = isSqlite(manager) || options.lock === false ? sql.empty : sql` FOR UPDATE`;
  const rows = await runSql<{ product_id: unknown; count: unknown }>(
    manager,
    sql`SELECT product_id, count FROM license_usages WHERE product_instance_id = ${productInstanceId}${lock}`,
  );
  return rows.map((row) => ({ productId: Number(row.product_id), count: Number(row.count) }));
}

/** A device and its usage went from one Virtual Account to another (either may be null: registered, removed). */
export async function moveUsage(
  manager: EntityManager,
  usage: readonly { productId: number; count: number }[],
  from: number | null,
  to: number | null,
  now: Date,
): Promise<void> {
  if (from === to) return;
  const changes: (PoolKey & { delta: number })[] = [];
  for (const { productId, count } of usage) {
    if (from !== null) changes.push({ virtualAccountId: from, productId, delta: -count });
    if (to !== null) changes.push({ virtualAccountId: to, productId, delta: count });
  }
  await addUsage(manager, changes, now);
}

/** A kept row's figures as they stand at `now`: its own, or, where its soonest lot has ended, its lots'. */
function rowFigures(now: Date): { purchased: Sql; nextExpiry: Sql } {
  const stale = sql`(kp.next_expiry <= ${now} OR kp.counted_at > ${now})`;
  const lots = (figure: Sql) =>
    sql`(SELECT ${figure} FROM licenses l WHERE l.virtual_account_id = kp.virtual_account_id AND l.product_id = kp.product_id AND ${countedLots(now)})`;
  return {
    purchased: sql`CASE WHEN ${stale} THEN COALESCE(${lots(sql`SUM(l.quantity)`)}, 0) ELSE kp.purchased END`,
    nextExpiry: sql`CASE WHEN ${stale} THEN ${lots(sql`MIN(l.ends_at)`)} ELSE kp.next_expiry END`,
  };
}

/** A subtree's root as `keptRowsUnder` needs it: where it sits. */
export interface SubtreeRoot {
  id: number;
  smartAccountId: number;
  path: string;
}

/**
 * The roots no other root contains (by path prefix, within one account): their subtrees hold every
 * other root's. Sorted by path, a root is contained exactly when it starts with the last kept one.
 */
export function outermostRoots(roots: readonly SubtreeRoot[]): SubtreeRoot[] {
  const sorted = [...roots].sort((a, b) => a.smartAccountId - b.smartAccountId || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const outermost: SubtreeRoot[] = [];
  for (const root of sorted) {
    const last = outermost[outermost.length - 1];
    if (last && last.smartAccountId === root.smartAccountId && root.path.startsWith(last.path)) continue;
    outermost.push(root);
  }
  return outermost;
}

/**
 * The non-empty kept rows of every Virtual Account in the subtrees of these roots, each once, with the
 * Virtual Account's path (which names all its ancestors): subtree sums are added from them by the caller,
 * rather than the database joining every root to every Virtual Account below it and grouping. Only the
 * outermost roots reach the database, each one indexed (account, path prefix) range: a tree of 500 roots
 * is then read as the one or few subtrees that hold them all.
 * Columns: owner_id (the row's Virtual Account), product_id, purchased, in_use, next_expiry, path.
 */
export function keptRowsUnder(roots: readonly SubtreeRoot[], now: Date): Sql {
  const { purchased, nextExpiry } = rowFigures(now);
  const ranges = outermostRoots(roots).map((root) => {
    // Paths are zero-padded ids between slashes (entities/virtual-account.ts): nothing LIKE would read as a wildcard.
    if (!/^[/0-9]+$/.test(root.path)) throw new Error(`Virtual Account ${root.id} has an unexpected path "${root.path}"`);
    return sql`(va.smart_account_id = ${root.smartAccountId} AND va.path LIKE ${`${root.path}%`})`;
  });
  return sql`
      SELECT r.* FROM (
        SELECT kp.virtual_account_id AS owner_id, kp.product_id AS product_id, ${purchased} AS purchased, kp.in_use AS in_use, ${nextExpiry} AS next_expiry, va.path AS path
          FROM virtual_accounts va JOIN license_pools kp ON kp.virtual_account_id = va.id
         WHERE ${ranges.length ? sql`(${sql.join(ranges, " OR ")})` : sql`1 = 0`}
      ) r
      WHERE r.purchased > 0 OR r.in_use > 0`;
}

/**
 * R27 read from kept rows, for any number of owners in one SELECT, with the columns of the
 * from-scratch aggregate (`poolsFromLots`): owner_id, account_id, product_id, purchased, in_use,
 * next_expiry. A row whose `next_expiry` has passed, or that was counted after `now`, is summed from
 * its own lots here (the correlated subqueries run for those rows only), so every figure is exact now.
 */
export function keptPools(owners: PoolOwners, now: Date, options: { having: (sums: PoolSums) => Sql; products?: readonly number[] }): Sql {
  const { owner, from, where } = owners;
  const account = owners.account ?? sql`0`;
  const groupAccount = owners.account ? sql`, ${owners.account}` : sql.empty;
  const products = options.products ? sql` AND ${sql.in(sql`kp.product_id`, options.products)}` : sql.empty;
  const { purchased: rowPurchased, nextExpiry: rowNextExpiry } = rowFigures(now);
  if (owners.virtualAccountIds || owners.perVirtualAccount) {
    // One row per Virtual Account and product: read along the primary key, nothing grouped or sorted.
    const condition = options.having({ purchased: sql`r.purchased`, inUse: sql`r.in_use` });
    const rows = owners.virtualAccountIds
      ? sql`license_pools kp WHERE ${sql.in(sql`kp.virtual_account_id`, owners.virtualAccountIds)}`
      : sql`${from} JOIN license_pools kp ON kp.virtual_account_id = va.id WHERE ${where}`;
    return sql`
      SELECT r.* FROM (
        SELECT kp.virtual_account_id AS owner_id, ${account} AS account_id, kp.product_id AS product_id, ${rowPurchased} AS purchased, kp.in_use AS in_use, ${rowNextExpiry} AS next_expiry
          FROM ${rows}${products}
      ) r
      WHERE ${condition}`;
  }
  const purchased = sql`SUM(${rowPurchased})`;
  const nextExpiry = sql`MIN(${rowNextExpiry})`;
  const inUse = sql`SUM(kp.in_use)`;
  return sql`
      SELECT ${owner} AS owner_id, MIN(${account}) AS account_id, kp.product_id AS product_id, ${purchased} AS purchased, ${inUse} AS in_use, ${nextExpiry} AS next_expiry
        FROM ${from} JOIN license_pools kp ON kp.virtual_account_id = va.id
       WHERE ${where}${products}
       GROUP BY ${owner}${groupAccount}, kp.product_id
      HAVING ${options.having({ purchased, inUse })}`;
}

/**
 * Rows whose `next_expiry` has passed, counted again from their lots (at most `limit`, soonest first),
 * so that reads find them current. Returns how many were counted.
 */
export async function countDuePools(manager: EntityManager, now: Date, limit = 500): Promise<number> {
  const due = await runSql<{ virtual_account_id: unknown; product_id: unknown }>(
    manager,
    sql`SELECT virtual_account_id, product_id FROM license_pools WHERE next_expiry <= ${now} ORDER BY next_expiry LIMIT ${limit}`,
  );
  await countLots(
    manager,
    due.map((row) => ({ virtualAccountId: Number(row.virtual_account_id), productId: Number(row.product_id) })),
    now,
  );
  return due.length;
}

/** Which Virtual Accounts a rebuild or a check covers: a predicate over `va`, every one by default. */
const everyVirtualAccount = sql`1 = 1`;

/**
 * How many Virtual Accounts a rebuild or a check takes per statement: each statement sums only their
 * lots, so none runs into the statement timeout (R33) however large the database (5,000,000 lots in one
 * statement took longer than 30 s on MariaDB).
 */
const VIRTUAL_ACCOUNTS_PER_STATEMENT = 100;

/** The ids of the Virtual Accounts `where` covers, in chunks of VIRTUAL_ACCOUNTS_PER_STATEMENT. */
async function virtualAccountChunks(manager: EntityManager, where: Sql): Promise<number[][]> {
  const ids = (await runSql<{ id: unknown }>(manager, sql`SELECT va.id FROM virtual_accounts va WHERE ${where} ORDER BY va.id`)).map((row) =>
    Number(row.id),
  );
  const chunks: number[][] = [];
  for (let start = 0; start < ids.length; start += VIRTUAL_ACCOUNTS_PER_STATEMENT)
    chunks.push(ids.slice(start, start + VIRTUAL_ACCOUNTS_PER_STATEMENT));
  return chunks;
}

/**
 * Every pool row of these Virtual Accounts written again from the lots and usage (the migration,
 * `pools:check --repair`, data loaded in bulk): for each chunk of Virtual Accounts, their rows are
 * deleted and the from-scratch aggregate is inserted.
 */
export async function rebuildPools(manager: EntityManager, now: Date, where: Sql = everyVirtualAccount): Promise<void> {
  for (const chunk of await virtualAccountChunks(manager, where)) {
    await runSql(manager, sql`DELETE FROM license_pools WHERE ${sql.in(sql`virtual_account_id`, chunk)}`);
    const aggregate = poolsFromLots({ owner: sql`va.id`, from: sql`virtual_accounts va`, where: sql.in(sql`va.id`, chunk) }, now, {
      having: ({ purchased, inUse }) => sql`${purchased} > 0 OR ${inUse} > 0`,
    });
    await runSql(
      manager,
      sql`INSERT INTO license_pools (virtual_account_id, product_id, purchased, in_use, next_expiry, counted_at)
          SELECT g.owner_id, g.product_id, g.purchased, g.in_use, g.next_expiry, ${now} FROM (${aggregate}) g`,
    );
  }
}

/** A pool whose kept figures differ from its lots and usage. */
export interface PoolDifference extends PoolKey {
  kept: PoolFigures;
  actual: PoolFigures;
}

export interface PoolFigures {
  purchased: number;
  inUse: number;
  nextExpiry: string | null;
}

/**
 * Every pool of these Virtual Accounts as kept (read as a pool read reads it) against the from-scratch
 * aggregate of lots and usage. A pool absent on one side counts as zero there.
 */
export async function comparePools(
  manager: EntityManager,
  now: Date,
  where: Sql = everyVirtualAccount,
): Promise<{ pools: number; differences: PoolDifference[] }> {
  const any = ({ purchased, inUse }: PoolSums) => sql`${purchased} > 0 OR ${inUse} > 0`;
  const chunks = await virtualAccountChunks(manager, where);
  const owners = (chunk: number[]): PoolOwners => ({ owner: sql`va.id`, from: sql`virtual_accounts va`, where: sql.in(sql`va.id`, chunk) });
  const read = async (statement: (chunk: number[]) => Sql) => {
    const figures = new Map<string, PoolKey & PoolFigures>();
    const rows = [];
    for (const chunk of chunks) rows.push(...(await runSql(manager, statement(chunk))));
    for (const row of rows) {
      const key = { virtualAccountId: Number(row.owner_id), productId: Number(row.product_id) };
      const expiry = toDate(row.next_expiry)?.toISOString() ?? null;
      figures.set(poolKey(key), {
        ...key,
        purchased: Number(row.purchased),
        inUse: Number(row.in_use),
        nextExpiry: expiry,
      });
    }
    return figures;
  };
  const kept = await read((chunk) => keptPools(owners(chunk), now, { having: any }));
  const actual = await read((chunk) => poolsFromLots(owners(chunk), now, { having: any }));
  const none: PoolFigures = { purchased: 0, inUse: 0, nextExpiry: null };
  const figures = ({ purchased, inUse, nextExpiry }: PoolFigures): PoolFigures => ({ purchased, inUse, nextExpiry });
  const ids = new Set([...kept.keys(), ...actual.keys()]);
  const differences: PoolDifference[] = [];
  for (const id of ids) {
    const key = (kept.get(id) ?? actual.get(id)) as PoolKey;
    const k = figures(kept.get(id) ?? none);
    const a = figures(actual.get(id) ?? none);
    if (k.purchased !== a.purchased || k.inUse !== a.inUse || k.nextExpiry !== a.nextExpiry) {
      differences.push({ virtualAccountId: key.virtualAccountId, productId: key.productId, kept: k, actual: a });
    }
  }
  differences.sort((x, y) => x.virtualAccountId - y.virtualAccountId || x.productId - y.productId);
  return { pools: ids.size, differences };
}
