import { ColumnType, MigrationInterface, QueryRunner, Table } from "typeorm";
import { rebuildPools } from "../../licenses/kept-pools";

/**
 * Kept pools (issue "Pools at the cost of the answer"): `license_pools` holds R27's figures per Virtual
 * Account and product, and is filled here from the lots and usage as they are, by the same rebuild
 * `npm run pools:check -- --repair` runs. From here on every write that changes a pool writes its row.
 */
export class LicensePools1764300000000 implements MigrationInterface {
  name = "LicensePools1764300000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // Each database's own spelling of the portable types, as the initial schema does (int → integer on SQLite).
    const type = (name: string) => queryRunner.connection.driver.normalizeType({ type: name as ColumnType });
    await queryRunner.createTable(
      new Table({
        name: "license_pools",
        columns: [
          { name: "virtual_account_id", type: type("int"), isPrimary: true },
          { name: "product_id", type: type("int"), isPrimary: true },
          { name: "purchased", type: type("bigint"), default: 0 },
          { name: "in_use", type: type("bigint"), default: 0 },
          { name: "next_expiry", type: type("datetime"), precision: 3, isNullable: true },
          { name: "counted_at", type: type("datetime"), precision: 3 },
        ],
        indices: [
          { name: "IDX_0fe3d27d9b8b15108e0a5adfa8", columnNames: ["next_expiry"] },
          { name: "IDX_cb5cca70e973a23cda74ece11d", columnNames: ["product_id"] },
        ],
        foreignKeys: [
          {
            name: "FK_7ccadb192406a63522722e054a7",
            columnNames: ["virtual_account_id"],
            referencedTableName: "virtual_accounts",
            referencedColumnNames: ["id"],
            onDelete: "CASCADE",
            onUpdate: "NO ACTION",
          },
          {
            name: "FK_cb5cca70e973a23cda74ece11dd",
            columnNames: ["product_id"],
            referencedTableName: "products",
            referencedColumnNames: ["id"],
            onDelete: "RESTRICT",
            onUpdate: "NO ACTION",
          },
        ],
      }),
    );
    await rebuildPools(queryRunner.manager, new Date());
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable("license_pools");
  }
}
