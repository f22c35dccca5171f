import { EntityManager, SelectQueryBuilder } from "typeorm";
import { Product } from "../../entities";
import { Sql, sql } from "../db/sql";

/**
 * SKU lookup, in one place: case and spacing set aside, alike on SQLite and MySQL/MariaDB (the
 * seeded catalog has mixed-case SKUs such as `ASAv10-THREAT-1Y`).
 */

/** What identifies a SKU: trimmed and lower-cased. */
export const skuKey = (sku: string): string => sku.trim().toLowerCase();

/** The product with this SKU, as a query builder (to read it, or lock it with `Database.forUpdate`). */
export const productBySku = (manager: EntityManager, sku: string): SelectQueryBuilder<Product> =>
  manager.createQueryBuilder(Product, "p").where("LOWER(p.sku) = :skuKey", { skuKey: skuKey(sku) });

/** The products of these SKUs, in one statement, keyed by `skuKey` (look them up with `skuKey(sku)`). */
export async function productsBySku(manager: EntityManager, skus: readonly string[]): Promise<Map<string, Product>> {
  const keys = [...new Set(skus.map(skuKey))];
  if (!keys.length) return new Map();
  const found = await manager.createQueryBuilder(Product, "p").where("LOWER(p.sku) IN (:...skuKeys)", { skuKeys: keys }).getMany();
  return new Map(found.map((product) => [skuKey(product.sku), product]));
}

/** `column` holds the id of the product with this SKU (e.g. `l.product_id`), as a semi-join. */
export const isProductWithSku = (column: Sql, sku: string): Sql =>
  sql`${column} IN (SELECT sp.id FROM products sp WHERE LOWER(sp.sku) = ${skuKey(sku)})`;
