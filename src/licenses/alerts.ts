import { License, Product, ProductInstance } from "../../entities";
import { DAY_MS } from "./expiry";
import { LicensePool } from "./pools";

export type AlertType = "INSUFFICIENT_LICENSES" | "LICENSES_EXPIRING" | "LICENSES_EXPIRED" | "PRODUCT_INSTANCE_NOT_REPORTING";

export interface Alert {
  type: AlertType;
  severity: "MAJOR" | "MINOR";
  message: string;
  virtualAccountId: number;
  productId: number | null;
  productInstanceId: number | null;
  quantity: number | null;
  dueAt: Date | null;
}

/**
 * R28, computed on read from a Virtual Account's pools and its lots ending within 90 days either side
 * of now: a shortage is MAJOR, an expiring lot MINOR, a lot expired in the last 90 days MAJOR.
 */
export function licenseAlerts(
  vaId: number,
  vaName: string,
  pools: LicensePool[],
  lots: License[],
  products: Map<number, Product>,
  now: Date,
  silentDevices: ProductInstance[] = [],
): Alert[] {
  const sku = (productId: number) => products.get(productId)?.sku ?? `product ${productId}`;
  const alerts: Alert[] = [];
  for (const pool of pools) {
    if (pool.shortage > 0) {
      alerts.push({
        type: "INSUFFICIENT_LICENSES",
        severity: "MAJOR",
        message: `"${vaName}" uses ${pool.inUse} ${sku(pool.productId)} but holds ${pool.purchased}: ${pool.shortage} short.`,
        virtualAccountId: vaId,
        productId: pool.productId,
        productInstanceId: null,
        quantity: pool.shortage,
        dueAt: null,
      });
    }
  }
  for (const lot of lots) {
    if (!lot.endsAt) continue;
    const days = Math.ceil((lot.endsAt.getTime() - now.getTime()) / DAY_MS);
    const expired = lot.endsAt.getTime() <= now.getTime();
    alerts.push({
      type: expired ? "LICENSES_EXPIRED" : "LICENSES_EXPIRING",
      severity: expired ? "MAJOR" : "MINOR",
      message: expired
        ? `${lot.quantity} ${sku(lot.productId)} in "${vaName}" expired on ${lot.endsAt.toISOString().slice(0, 10)}.`
        : `${lot.quantity} ${sku(lot.productId)} in "${vaName}" expire${days <= 1 ? " within a day" : ` in ${days} days`} (${lot.endsAt.toISOString().slice(0, 10)}).`,
      virtualAccountId: vaId,
      productId: lot.productId,
      productInstanceId: null,
      quantity: lot.quantity,
      dueAt: lot.endsAt,
    });
  }
  for (const device of silentDevices) {
    const since = device.lastReportedAt ?? device.registeredAt;
    const days = Math.floor((now.getTime() - since.getTime()) / DAY_MS);
    alerts.push({
      type: "PRODUCT_INSTANCE_NOT_REPORTING",
      severity: "MINOR",
      message: `${device.hostname ?? `${device.pid} ${device.serialNumber}`} in "${vaName}" has not reported for ${days} days.`,
      virtualAccountId: vaId,
      productId: null,
      productInstanceId: device.id,
      quantity: null,
      dueAt: null,
    });
  }
  return alerts;
}

/** R28: a device is silent after 30 days without a report (counted from registration if it never reported). */
export const NOT_REPORTING_DAYS = 30;

/** MAJOR first, then the soonest due, then by Virtual Account: a stable order for dashboards. */
export const byUrgency = (a: Alert, b: Alert): number =>
  (a.severity === b.severity ? 0 : a.severity === "MAJOR" ? -1 : 1) ||
  (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0) ||
  a.virtualAccountId - b.virtualAccountId ||
  (a.productId ?? 0) - (b.productId ?? 0);
