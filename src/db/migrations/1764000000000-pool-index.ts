import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

/**
 * Pools (R27) aggregate every active SMART lot of a Virtual Account and product: with ends_at and
 * quantity in the index the aggregation reads the index alone, never the lots' rows (issue #5).
 */
export class PoolIndex1764000000000 implements MigrationInterface {
  name = "PoolIndex1764000000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "licenses",
      new TableIndex({
        name: "IDX_40a715570ae68a17017117457a",
        columnNames: ["virtual_account_id", "product_id", "kind", "ends_at", "quantity"],
      }),
    );
    await queryRunner.dropIndex("licenses", "IDX_1ec74232be21000741175d5113");
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "licenses",
      new TableIndex({ name: "IDX_1ec74232be21000741175d5113", columnNames: ["virtual_account_id", "product_id", "kind"] }),
    );
    await queryRunner.dropIndex("licenses", "IDX_40a715570ae68a17017117457a");
  }
}
