import { Product, ProductInstance, VirtualAccount } from "../../entities";

export type AlertType = "INSUFFICIENT_LICENSES" | "LICENSES_EXPIRING" | "LICENSES_EXPIRED" | "PRODUCT_INSTANCE_NOT_REPORTING";

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
  quantity: number | null;
  dueAt: Date | null;
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
  a.type.localeCompare(b.type) ||
  a.message.localeCompare(b.message);
