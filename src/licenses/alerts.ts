import { Product, ProductInstance, VirtualAccount } from "../../entities";

export type AlertType =
  "INSUFFICIENT_LICENSES" | "LICENSES_EXPIRING" | "LICENSES_EXPIRED" | "PRODUCT_INSTANCE_NOT_REPORTING" | "ORDER_AWAITING_ASSIGNMENT";

export interface Alert {
  type: AlertType;
  /** Loaded with the alert where its query joined them. */
  virtualAccount?: VirtualAccount;
  product?: Product | null;
  productInstance?: ProductInstance | null;
  severity: "MAJOR" | "MINOR";
  message: string;
  virtualAccountId: number;
  productId: number | null;
  productInstanceId: number | null;
  /** The lot of a LICENSES_EXPIRING / LICENSES_EXPIRED alert. */
  lotId?: number | null;
  /** The waiting order of an ORDER_AWAITING_ASSIGNMENT alert. */
  orderId?: number | null;
  quantity: number | null;
  dueAt: Date | null;
}

/** R35: an alert's identity within its Virtual Account: its type and what it is about. */
export function alertKey(alert: Pick<Alert, "type" | "productId" | "productInstanceId" | "lotId" | "orderId">): string {
  if (alert.type === "INSUFFICIENT_LICENSES") return `${alert.type}:product:${alert.productId}`;
  if (alert.type === "PRODUCT_INSTANCE_NOT_REPORTING") return `${alert.type}:device:${alert.productInstanceId}`;
  if (alert.type === "ORDER_AWAITING_ASSIGNMENT") return `${alert.type}:order:${alert.orderId}`;
  return `${alert.type}:lot:${alert.lotId}`;
}

/** R28: a device is silent after 30 days without a report (counted from registration if it never reported). */
export const NOT_REPORTING_DAYS = 30;

/** MAJOR first, then the soonest due, then by Virtual Account: a stable order for dashboards. */
export const byUrgency = (a: Alert, b: Alert): number =>
  (a.severity === b.severity ? 0 : a.severity === "MAJOR" ? -1 : 1) ||
  (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0) ||
  a.virtualAccountId - b.virtualAccountId ||
  (a.productId ?? 0) - (b.productId ?? 0) ||
  // Ties last: the device, then the type and message, so two alerts never trade places between reads.
  (a.productInstanceId ?? 0) - (b.productInstanceId ?? 0) ||
  (a.orderId ?? 0) - (b.orderId ?? 0) ||
  a.type.localeCompare(b.type) ||
  a.message.localeCompare(b.message);
