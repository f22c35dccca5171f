import { EntityManager, SelectQueryBuilder } from "typeorm";
import { Product, skuKey } from "../../entities";
import { Sql, sql } from "../db/sql";

/*
 * SKU lookup, in one place: by `products.sku_key` (the SKU trimmed, lower-cased, NFC) through its
 * unique index, so `ISR4K-SEC`, `isr4k-sec ` and the seeded mixed-case `ASAv10-THREAT-1Y` match alike
 * on SQLite and MySQL/MariaDB.
 */

/** What identifies a SKU; the entity writes it to `products.sku_key`. */
export { skuKey };

/** The product with this SKU, as a query builder (to read it, or lock it with `Database.forUpdate`). */
export const productBySku = (manager: EntityManager, sku: string): SelectQueryBuilder<Product> =>
  manager.createQueryBuilder(Product, "p").where("p.sku_key = :skuKey", { skuKey: skuKey(sku) });

/** The products of these SKUs, in one statement, keyed by `skuKey` (look them up with `skuKey(sku)`). */
export async function productsBySku(manager: EntityManager, skus: readonly string[]): Promise<Map<string, Product>> {
  const keys = [...new Set(skus.map(skuKey))];
  if (!keys.length) return new Map();
  const found = await manager.createQueryBuilder(Product, "p").where("p.sku_key IN (:...skuKeys)", { skuKeys: keys }).getMany();
  return new Map(found.map((product) => [product.skuKey, product]));
}

/** `column` holds the id of the product with this SKU (e.g. `l.product_id`), as a semi-join on the key's index. */
export const isProductWithSku = (column: Sql, sku: string): Sql =>
  sql`${column} IN (SELECT sp.id FROM products sp WHERE sp.sku_key = ${skuKey(sku)})`;
