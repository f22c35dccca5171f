import { LicenseKind } from "../../entities";
import { InputError } from "../errors";
import { DAY_MS, LicenseStatus } from "./expiry";

export interface LicenseFilter {
  sku?: string | null;
  kind?: LicenseKind | null;
  status?: LicenseStatus | null;
  tag?: string | null;
  expiresWithinDays?: number | null;
}

/** The filter as SQL over `licenses l` (tags never restrict access: they only narrow a search, R21). */
export function licenseFilterSql(filter: LicenseFilter | null | undefined, now: Date): { sql: string; params: Record<string, unknown> } {
  const terms: string[] = [];
  const params: Record<string, unknown> = { filterNow: now };
  if (!filter) return { sql: "", params };
  if (filter.sku != null) {
    // Case-insensitive on both databases: the catalog has mixed-case SKUs (ASAv10-THREAT-1Y).
    terms.push("l.product_id IN (SELECT p.id FROM products p WHERE LOWER(p.sku) = :filterSku)");
    params.filterSku = filter.sku.trim().toLowerCase();
  }
  if (filter.kind != null) {
    terms.push("l.kind = :filterKind");
    params.filterKind = filter.kind;
  }
  if (filter.status === LicenseStatus.ACTIVE) terms.push("(l.ends_at IS NULL OR l.ends_at > :filterNow)");
  if (filter.status === LicenseStatus.EXPIRED) terms.push("l.ends_at <= :filterNow");
  if (filter.tag != null) {
    terms.push("EXISTS (SELECT 1 FROM license_tags t WHERE t.license_id = l.id AND t.tag = :filterTag)");
    params.filterTag = filter.tag.trim();
  }
  if (filter.expiresWithinDays != null) {
    const days = filter.expiresWithinDays;
    if (!Number.isInteger(days) || days < 0 || days > 3650) {
      throw new InputError("filter.expiresWithinDays", "filter.expiresWithinDays must be a whole number from 0 to 3650.");
    }
    terms.push("l.ends_at > :filterNow AND l.ends_at <= :filterHorizon");
    params.filterHorizon = new Date(now.getTime() + days * DAY_MS);
  }
  return { sql: terms.map((term) => ` AND ${term}`).join(""), params };
}
