import { EntityManager } from "typeorm";
import { Product, ProductInstance, SmartAccountType, VirtualAccount } from "../../entities";
import { cached, groupBy } from "../collections";
import { runSql, Sql, sql } from "../db/sql";
import { hydrate, selectColumns } from "../db/windowed";
import { Alert, AlertType, NOT_REPORTING_DAYS } from "./alerts";
import { ALERT_WINDOW_DAYS, DAY_MS } from "./expiry";
import { GRAPH_PRODUCT_COLUMNS, toDate } from "./pools";
import { keptPools } from "./kept-pools";

/** A silent device as an alert shows it: never its credential hash. */
const DEVICE_COLUMNS = [
  "id",
  "smart_account_id",
  "virtual_account_id",
  "pid",
  "serial_number",
  "hostname",
  "registration_token_id",
  "registered_at",
  "last_reported_at",
];

/**
 * R28 in ONE statement for any number of Virtual Accounts or accounts: shortages (the kept pools
 * with HAVING in_use > purchased), lots ending within 90 days either side of now, and devices silent for
 * over 30 days, UNION ALL'd, with each alert's Virtual Account, product and device joined in.
 * `where` is a predicate over `va` (the Virtual Accounts to look at); `partition` groups the result
 * by Virtual Account (`id`) or by Smart Account (`smart_account_id`).
 */
export async function loadAlerts(
  manager: EntityManager,
  scope: { where: Sql; partition: "id" | "smart_account_id" },
  now: Date,
): Promise<Map<number, Alert[]>> {
  const ds = manager.connection;
  const { where } = scope;
  const shortages = keptPools({ owner: sql`va.id`, from: sql`virtual_accounts va`, where, perVirtualAccount: true }, now, {
    having: ({ purchased, inUse }) => sql`${inUse} > ${purchased}`,
  });
  const from = new Date(now.getTime() - ALERT_WINDOW_DAYS * DAY_MS);
  const to = new Date(now.getTime() + ALERT_WINDOW_DAYS * DAY_MS);
  const silentSince = new Date(now.getTime() - NOT_REPORTING_DAYS * DAY_MS);
  const rows = await runSql(
    manager,
    sql`
    SELECT a.kind, a.quantity, a.due_at, a.lot_id, a.order_id, a.held, a.used, o.number AS order_number,
           ${selectColumns(ds, VirtualAccount, "va", "va__")},
           ${selectColumns(ds, Product, "p", "p__", GRAPH_PRODUCT_COLUMNS)},
           ${selectColumns(ds, ProductInstance, "pi", "pi__", DEVICE_COLUMNS)}
    FROM (
      SELECT 'SHORTAGE' AS kind, s.owner_id AS va_id, s.product_id, s.in_use - s.purchased AS quantity,
             NULL AS due_at, NULL AS device_id, NULL AS lot_id, NULL AS order_id, s.purchased AS held, s.in_use AS used
        FROM (${shortages}) s
      UNION ALL
      SELECT 'LOT', l.virtual_account_id, l.product_id, l.quantity, l.ends_at, NULL, l.id, NULL, NULL, NULL
        FROM licenses l JOIN virtual_accounts va ON va.id = l.virtual_account_id
       WHERE ${where} AND l.quantity > 0 AND l.ends_at > ${from} AND l.ends_at <= ${to}
      UNION ALL
      SELECT 'SILENT', d.virtual_account_id, NULL, NULL, COALESCE(d.last_reported_at, d.registered_at), d.id, NULL, NULL, NULL, NULL
        FROM product_instances d JOIN virtual_accounts va ON va.id = d.virtual_account_id
       WHERE ${where} AND COALESCE(d.last_reported_at, d.registered_at) < ${silentSince}
      UNION ALL
      SELECT 'ORDER', l.virtual_account_id, NULL, SUM(l.quantity), NULL, NULL, NULL, l.order_id, NULL, NULL
        FROM licenses l JOIN virtual_accounts va ON va.id = l.virtual_account_id
        JOIN smart_accounts holding ON holding.id = va.smart_account_id
       WHERE ${where} AND holding.type = ${SmartAccountType.PARTNER_HOLDING} AND l.order_id IS NOT NULL AND l.quantity > 0
       GROUP BY l.virtual_account_id, l.order_id
    ) a
    JOIN virtual_accounts va ON va.id = a.va_id
    LEFT JOIN products p ON p.id = a.product_id
    LEFT JOIN product_instances pi ON pi.id = a.device_id
    LEFT JOIN orders o ON o.id = a.order_id`,
  );
  // Thousands of alerts share a few hundred Virtual Accounts and products: hydrate each once.
  const vas = new Map<unknown, VirtualAccount>();
  const products = new Map<unknown, Product>();
  const alerts = rows.map((row) => {
    const va = cached(vas, row.va__id, () => hydrate(ds, VirtualAccount, row, "va__"));
    const product = row.p__id == null ? null : cached(products, row.p__id, () => hydrate(ds, Product, row, "p__"));
    const device = row.pi__id == null ? null : hydrate(ds, ProductInstance, row, "pi__");
    return new AlertRow(
      row.kind as AlertKind,
      va,
      product,
      device,
      Number(row.quantity),
      toDate(row.due_at),
      now,
      Number(row.held),
      Number(row.used),
      row.lot_id == null ? null : Number(row.lot_id),
      row.order_id == null ? null : { id: Number(row.order_id), number: String(row.order_number) },
    );
  });
  return groupBy(alerts, (alert) => (scope.partition === "id" ? alert.virtualAccountId : alert.virtualAccount.smartAccountId));
}

/** The four branches of the alert statement. */
type AlertKind = "SHORTAGE" | "LOT" | "SILENT" | "ORDER";

/**
 * An alert as read: its message is composed only when asked for (a dashboard listing thousands of
 * alerts rarely asks for their text). `due` is a lot's end, or when a silent device last reported.
 */
class AlertRow implements Alert {
  type: AlertType;
  severity: "MAJOR" | "MINOR";
  virtualAccountId: number;
  productId: number | null;
  productInstanceId: number | null;
  quantity: number | null;
  dueAt: Date | null;
  orderId: number | null;

  constructor(
    private readonly kind: AlertKind,
    readonly virtualAccount: VirtualAccount,
    readonly product: Product | null,
    readonly productInstance: ProductInstance | null,
    quantity: number,
    private readonly due: Date | null,
    private readonly now: Date,
    private readonly held: number,
    private readonly used: number,
    readonly lotId: number | null,
    private readonly order: { id: number; number: string } | null,
  ) {
    this.virtualAccountId = virtualAccount.id;
    this.orderId = order?.id ?? null;
    this.productId = product?.id ?? null;
    this.productInstanceId = productInstance?.id ?? null;
    this.quantity = kind === "SILENT" ? null : quantity;
    this.dueAt = kind === "LOT" ? due : null;
    if (kind === "SHORTAGE") {
      this.type = "INSUFFICIENT_LICENSES";
      this.severity = "MAJOR";
    } else if (kind === "SILENT") {
      this.type = "PRODUCT_INSTANCE_NOT_REPORTING";
      this.severity = "MINOR";
    } else if (kind === "ORDER") {
      this.type = "ORDER_AWAITING_ASSIGNMENT";
      this.severity = "MINOR";
    } else {
      const expired = (due as Date).getTime() <= now.getTime();
      this.type = expired ? "LICENSES_EXPIRED" : "LICENSES_EXPIRING";
      this.severity = expired ? "MAJOR" : "MINOR";
    }
  }

  get message(): string {
    const va = this.virtualAccount;
    const sku = this.product?.sku ?? "";
    if (this.kind === "SHORTAGE") return `"${va.name}" uses ${this.used} ${sku} but holds ${this.held}: ${this.quantity} short.`;
    if (this.kind === "ORDER") {
      const order = this.order as { number: string };
      return `Order ${order.number} (${this.quantity} licenses) waits in "${va.name}" to be assigned to a customer.`;
    }
    const due = this.due as Date;
    if (this.kind === "SILENT") {
      const device = this.productInstance as ProductInstance;
      const days = Math.floor((this.now.getTime() - due.getTime()) / DAY_MS);
      return `${device.hostname ?? `${device.pid} ${device.serialNumber}`} in "${va.name}" has not reported for ${days} days.`;
    }
    const date = due.toISOString().slice(0, 10);
    if (this.type === "LICENSES_EXPIRED") return `${this.quantity} ${sku} in "${va.name}" expired on ${date}.`;
    const days = Math.ceil((due.getTime() - this.now.getTime()) / DAY_MS);
    return `${this.quantity} ${sku} in "${va.name}" expire${days <= 1 ? " within a day" : ` in ${days} days`} (${date}).`;
  }
}
