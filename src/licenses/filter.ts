import { LicenseKind } from "../../entities";
import { isProductWithSku } from "../catalog/sku";
import { Sql, sql } from "../db/sql";
import { InputError } from "../errors";
import { DAY_MS, LicenseStatus } from "./expiry";
import { lotActive, lotExpired } from "./sql";

export interface LicenseFilter {
  sku?: string | null;
  kind?: LicenseKind | null;
  status?: LicenseStatus | null;
  tag?: string | null;
  expiresWithinDays?: number | null;
}

/**
 * The filter as SQL terms over `licenses l`, to AND with the list's own (none without a filter). Tags
 * never restrict access: they only narrow a search (R21).
 */
export function licenseFilterTerms(filter: LicenseFilter | null | undefined, now: Date): Sql[] {
  if (!filter) return [];
  const terms: Sql[] = [];
  // By the SKU's key: the catalog has mixed-case SKUs (ASAv10-THREAT-1Y).
  if (filter.sku != null) terms.push(isProductWithSku(sql`l.product_id`, filter.sku));
  if (filter.kind != null) terms.push(sql`l.kind = ${filter.kind}`);
  if (filter.status === LicenseStatus.ACTIVE) terms.push(lotActive(now));
  if (filter.status === LicenseStatus.EXPIRED) terms.push(lotExpired(now));
  if (filter.tag != null) terms.push(sql`EXISTS (SELECT 1 FROM license_tags t WHERE t.license_id = l.id AND t.tag = ${filter.tag.trim()})`);
  if (filter.expiresWithinDays != null) {
    const days = filter.expiresWithinDays;
    if (!Number.isInteger(days) || days < 0 || days > 3650) {
      throw new InputError("filter.expiresWithinDays", "filter.expiresWithinDays must be a whole number from 0 to 3650.");
    }
    terms.push(sql`l.ends_at > ${now} AND l.ends_at <= ${new Date(now.getTime() + days * DAY_MS)}`);
  }
  return terms;
}
