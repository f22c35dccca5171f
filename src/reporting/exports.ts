import { accountPlace, VISIBILITY } from "../auth/guard";
import { LicenseKind, Order } from "../../entities";
import { Access } from "../auth/access";
import { isProductWithSku, skuKey } from "../catalog/sku";
import { Clock } from "../clock";
import { groupBy } from "../collections";
import { Database } from "../db/database";
import { runSql, Sql, sql } from "../db/sql";
import { InputError } from "../errors";
import { toGlobalId } from "../ids";
import { LicenseStatus } from "../licenses/expiry";
import { exactVirtualAccounts, loadPools, toDate } from "../licenses/pools";
import { lotActive, lotExpired } from "../licenses/sql";
import { Column, isoTimestamp } from "./formats";
import { ExportScope } from "./scope";

/** A streamed export: its columns, and its rows in keyset batches (`after` is the last id, 0 to start). */
export interface ExportDefinition<T> {
  name: string;
  columns: Column<T>[];
  batch(after: number): Promise<{ rows: T[]; last: number | null }>;
}

export const BATCH_SIZE = 2500;

/** A row as the driver returns it: column name → value, untyped (each column reads and converts its own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw SQL rows have no static type
export type SqlRow = Record<string, any>;

const iso = (value: unknown): string | null => {
  const date = toDate(value);
  return date === null ? null : isoTimestamp(date);
};

export interface ExportFilters {
  status?: string;
  sku?: string;
}

/** A statement of an export, in its turn on SQLite. */
function runner(db: Database) {
  return (statement: Sql): Promise<SqlRow[]> => db.exclusive(() => runSql(db.dataSource, statement));
}

/** `/exports/licenses`: the contract's License fields flattened. */
export function licenseExport(db: Database, access: Access, clock: Clock, scope: ExportScope, filters: ExportFilters): ExportDefinition<SqlRow> {
  const now = clock.now();
  // No join to Virtual Accounts: the database walks licenses (smart_account_id, id) in order, batch by batch.
  const terms = [
    sql`l.smart_account_id = ${scope.account.id}`,
    scope.rows({ account: "l.smart_account_id", virtualAccount: "l.virtual_account_id" }),
  ];
  if (filters.status !== undefined) {
    if (filters.status === LicenseStatus.ACTIVE) terms.push(lotActive(now));
    else if (filters.status === LicenseStatus.EXPIRED) terms.push(lotExpired(now));
    else throw new InputError("status", "status must be ACTIVE or EXPIRED.");
  }
  if (filters.sku) terms.push(isProductWithSku(sql`l.product_id`, filters.sku));
  const where = sql.join(terms, " AND ");
  // Order numbers show where the graph would show License.order (R15, §5 "see orders").
  // The Order rule of the one visibility, on the row's own columns: its placer, or who sees the account's orders.
  // It depends on the placer alone, so it is decided once per placer, not once per row.
  const accountWide = accountPlace(scope.account.id);
  const seesOrderOf = new Map<number | null, boolean>();
  const seesOrder = (r: SqlRow): boolean => {
    const placedById = r.placed_by_id === null ? null : Number(r.placed_by_id);
    let sees = seesOrderOf.get(placedById);
    if (sees === undefined) {
      sees = VISIBILITY.Order.visible(access, { placedById, smartAccountId: scope.account.id } as Order, accountWide);
      seesOrderOf.set(placedById, sees);
    }
    return sees;
  };
  // A few hundred products stand behind a million lots: each is read once, when a batch first needs it,
  // rather than joined (and sent, and parsed) again on every row.
  const products = new Map<number, { sku: string; name: string }>();
  const productOf = (r: SqlRow) => products.get(Number(r.product_id)) as { sku: string; name: string };
  // Thousands of Virtual Accounts, a million rows: each one's global id is encoded once.
  const virtualAccountIds = new Map<number, string>();
  const virtualAccountId = (id: number): string => {
    let globalId = virtualAccountIds.get(id);
    if (globalId === undefined) virtualAccountIds.set(id, (globalId = toGlobalId("VirtualAccount", id)));
    return globalId;
  };
  const query = runner(db);
  return {
    name: "licenses",
    columns: [
      { header: "id", value: (r) => toGlobalId("License", Number(r.id)) },
      { header: "sku", value: (r) => productOf(r).sku },
      { header: "productName", value: (r) => productOf(r).name },
      { header: "kind", value: (r) => r.kind },
      { header: "quantity", value: (r) => Number(r.quantity) },
      { header: "startsAt", value: (r) => iso(r.starts_at) },
      { header: "endsAt", value: (r) => iso(r.ends_at) },
      { header: "status", value: (r) => (r.ends_at && (toDate(r.ends_at) as Date) <= now ? LicenseStatus.EXPIRED : LicenseStatus.ACTIVE) },
      { header: "pak", value: (r) => (r.kind === LicenseKind.CLASSIC ? r.pak : null) },
      { header: "tags", value: (r) => r.tags as string[] },
      { header: "virtualAccountId", value: (r) => virtualAccountId(Number(r.virtual_account_id)) },
      { header: "virtualAccountName", value: (r) => scope.names.get(Number(r.virtual_account_id)) ?? null },
      { header: "virtualAccountPath", value: (r) => scope.paths.get(Number(r.virtual_account_id)) ?? null },
      { header: "orderNumber", value: (r) => (r.order_number && seesOrder(r) ? r.order_number : null) },
    ],
    async batch(after) {
      // A deferred join: the page's ids first, from the (smart_account_id, id) index alone, then each row
      // by primary key. Read through the secondary index, every row of a large account cost a lookup ten
      // times slower than by id (MariaDB: 28 ms against 3 ms a batch at 1M lots). A lot's tags come in the
      // same statement, one row per tag (by the tags' primary key), so a batch is one round trip.
      const tagged = await query(
        sql`SELECT lot.id, lot.kind, lot.quantity, lot.starts_at, lot.ends_at, lot.pak, lot.virtual_account_id, lot.product_id,
                ord.number AS order_number, ord.placed_by_id, tag.tag
           FROM (SELECT l.id FROM licenses l
                  WHERE ${where} AND l.id > ${after}
                  ORDER BY l.id
                  LIMIT ${BATCH_SIZE}) page
           JOIN licenses lot ON lot.id = page.id
           LEFT JOIN orders ord ON ord.id = lot.order_id
           LEFT JOIN license_tags tag ON tag.license_id = lot.id
          ORDER BY lot.id, tag.tag`,
      );
      const rows = oneRowPerLot(tagged);
      const missing = new Set<number>();
      for (const row of rows) if (!products.has(Number(row.product_id))) missing.add(Number(row.product_id));
      if (missing.size) {
        for (const product of await query(sql`SELECT id, sku, name FROM products WHERE ${sql.in(sql`id`, [...missing])}`)) {
          products.set(Number(product.id), { sku: product.sku, name: product.name });
        }
      }
      return { rows, last: rows.length === BATCH_SIZE ? Number(rows[rows.length - 1].id) : null };
    },
  };
}

/** Folds the rows of a lot and its tags (in lot order, a row per tag, `tag` null for none) into one row with `tags`. */
function oneRowPerLot(tagged: SqlRow[]): SqlRow[] {
  const rows: SqlRow[] = [];
  let lot: SqlRow | null = null;
  for (const row of tagged) {
    if (lot === null || row.id !== lot.id) {
      lot = row;
      lot.tags = [];
      rows.push(lot);
    }
    if (row.tag !== null) lot.tags.push(row.tag);
  }
  return rows;
}

/** `/exports/pools`: one row per visible Virtual Account and product (R27), by path. */
export function poolExport(db: Database, clock: Clock, scope: ExportScope, filters: ExportFilters): ExportDefinition<SqlRow> {
  if (filters.status !== undefined) throw new InputError("status", "status filters licenses only.");
  return {
    name: "pools",
    columns: [
      { header: "virtualAccountId", value: (r) => toGlobalId("VirtualAccount", r.vaId) },
      { header: "virtualAccountName", value: (r) => scope.names.get(r.vaId) ?? null },
      { header: "virtualAccountPath", value: (r) => scope.paths.get(r.vaId) ?? null },
      { header: "sku", value: (r) => r.sku },
      { header: "productName", value: (r) => r.productName },
      { header: "purchased", value: (r) => r.purchased },
      { header: "inUse", value: (r) => r.inUse },
      { header: "available", value: (r) => r.available },
      { header: "shortage", value: (r) => r.shortage },
      { header: "status", value: (r) => r.status },
      { header: "nextExpiry", value: (r) => r.nextExpiry?.toISOString() ?? null },
    ],
    // Pools are aggregates, bounded by Virtual Accounts × products, not by lots: one batch.
    async batch(after) {
      if (after > 0) return { rows: [], last: null };
      const vaIds = (
        await runner(db)(sql`SELECT va.id FROM virtual_accounts va WHERE va.smart_account_id = ${scope.account.id} AND ${scope.where}`)
      ).map((row) => Number(row.id));
      if (!vaIds.length) return { rows: [], last: null };
      // Each pool carries its product (SKU and name), joined in the pools' own statement.
      const pools = await db.exclusive(() => loadPools(db.manager, exactVirtualAccounts(vaIds), clock.now()));
      const sku = filters.sku ? skuKey(filters.sku) : null;
      const rows = [...pools.entries()]
        .flatMap(([vaId, list]) => list.map((pool) => ({ ...pool, vaId, sku: pool.product.sku, productName: pool.product.name })))
        .filter((row) => sku === null || skuKey(row.sku) === sku)
        .sort((a, b) => String(scope.paths.get(a.vaId)).localeCompare(String(scope.paths.get(b.vaId))) || String(a.sku).localeCompare(String(b.sku)));
      return { rows, last: null };
    },
  };
}

/** `/exports/product-instances`: the contract's ProductInstance fields, usage as `SKU:count` items. */
export function productInstanceExport(db: Database, scope: ExportScope, filters: ExportFilters): ExportDefinition<SqlRow> {
  if (filters.status !== undefined) throw new InputError("status", "status filters licenses only.");
  const terms = [
    sql`pi.smart_account_id = ${scope.account.id}`,
    scope.rows({ account: "pi.smart_account_id", virtualAccount: "pi.virtual_account_id" }),
  ];
  if (filters.sku) {
    terms.push(
      sql`EXISTS (SELECT 1 FROM license_usages fu WHERE fu.product_instance_id = pi.id AND ${isProductWithSku(sql`fu.product_id`, filters.sku)})`,
    );
  }
  const where = sql.join(terms, " AND ");
  const query = runner(db);
  return {
    name: "product-instances",
    columns: [
      { header: "id", value: (r) => toGlobalId("ProductInstance", Number(r.id)) },
      { header: "pid", value: (r) => r.pid },
      { header: "serialNumber", value: (r) => r.serial_number },
      { header: "hostname", value: (r) => r.hostname },
      { header: "virtualAccountId", value: (r) => toGlobalId("VirtualAccount", Number(r.virtual_account_id)) },
      { header: "virtualAccountName", value: (r) => scope.names.get(Number(r.virtual_account_id)) ?? null },
      { header: "virtualAccountPath", value: (r) => scope.paths.get(Number(r.virtual_account_id)) ?? null },
      { header: "registeredAt", value: (r) => iso(r.registered_at) },
      { header: "lastReportedAt", value: (r) => iso(r.last_reported_at) },
      { header: "usage", value: (r) => r.usage as string[] },
    ],
    async batch(after) {
      // A deferred join, as for licenses: the page's ids from the index, then each row by primary key.
      const rows = await query(
        sql`SELECT d.id, d.pid, d.serial_number, d.hostname, d.virtual_account_id, d.registered_at, d.last_reported_at
           FROM (SELECT pi.id FROM product_instances pi
                  WHERE ${where} AND pi.id > ${after} ORDER BY pi.id LIMIT ${BATCH_SIZE}) page
           JOIN product_instances d ON d.id = page.id
          ORDER BY d.id`,
      );
      if (rows.length) {
        const ids = rows.map((row) => row.id);
        const usage = await query(
          sql`SELECT u.product_instance_id, p.sku, u.count FROM license_usages u JOIN products p ON p.id = u.product_id WHERE ${sql.in(sql`u.product_instance_id`, ids)} ORDER BY p.sku`,
        );
        const byDevice = groupBy(
          usage,
          (line) => Number(line.product_instance_id),
          (line) => `${line.sku}:${line.count}`,
        );
        for (const row of rows) row.usage = byDevice.get(Number(row.id)) ?? [];
      }
      return { rows, last: rows.length === BATCH_SIZE ? Number(rows[rows.length - 1].id) : null };
    },
  };
}
