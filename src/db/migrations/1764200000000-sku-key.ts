import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from "typeorm";
import { skuKey } from "../../../entities/product";

/** TypeORM's name for Product's @Index(["skuKey"], { unique: true }). */
const INDEX = "IDX_f5893e3fd46acff6a7c2d891b0";

/**
 * SKU lookups by a normalized key (issue "One guard"): `products.sku_key` is the SKU trimmed,
 * lower-cased and in NFC, under a unique index, so `sku_key = ?` finds a product through the index on
 * SQLite and MySQL/MariaDB alike (`LOWER(sku) = ?` reads every product). Existing rows get their key
 * here, in JS, with the same `skuKey` the entity writes; SKUs that share a key are reported, not merged.
 *
 * SQLite adds a column by rebuilding the table; TypeORM's migration runner has foreign keys off for
 * the migration's transaction, so the products that lots and usage refer to are carried over as they are.
 */
export class SkuKey1764200000000 implements MigrationInterface {
  name = "SkuKey1764200000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // Before any change: SKUs that would share a key are reported, and nothing is altered.
    const rows: { id: number; sku: string }[] = await queryRunner.query("SELECT id, sku FROM products ORDER BY id");
    const byKey = new Map<string, string[]>();
    for (const row of rows) byKey.set(skuKey(row.sku), [...(byKey.get(skuKey(row.sku)) ?? []), row.sku]);
    const clashes = [...byKey.values()].filter((skus) => skus.length > 1);
    if (clashes.length) {
      const list = clashes.map((skus) => skus.map((sku) => JSON.stringify(sku)).join(" = ")).join("; ");
      throw new Error(`Products whose SKUs differ only in case or spacing must be merged first: ${list}`);
    }

    // MySQL/MariaDB commit each ALTER by itself: a run that stopped half-way is picked up where it stopped.
    const column = { name: "sku_key", type: queryRunner.connection.driver.normalizeType({ type: "varchar" }), length: "64" };
    if (!(await queryRunner.getTable("products"))?.findColumnByName("sku_key")) {
      await queryRunner.addColumn("products", new TableColumn({ ...column, isNullable: true }));
    }
    for (const row of rows) await queryRunner.query("UPDATE products SET sku_key = ? WHERE id = ?", [skuKey(row.sku), row.id]);
    const table = await queryRunner.getTable("products");
    const added = table?.findColumnByName("sku_key");
    if (!table || !added) throw new Error("products.sku_key is missing");
    if (added.isNullable) await queryRunner.changeColumn(table, added, new TableColumn({ ...column, isNullable: false }));
    if (!table.indices.some((index) => index.name === INDEX)) {
      await queryRunner.createIndex("products", new TableIndex({ name: INDEX, columnNames: ["sku_key"], isUnique: true }));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("products", INDEX);
    if (queryRunner.connection.driver.options.type === "better-sqlite3") {
      // Reverted inside a transaction, where SQLite keeps foreign keys on: drop the column in place
      // (SQLite 3.35+) rather than rebuild a table that lots refer to.
      await queryRunner.query("ALTER TABLE products DROP COLUMN sku_key");
    } else {
      await queryRunner.dropColumn("products", "sku_key");
    }
  }
}
