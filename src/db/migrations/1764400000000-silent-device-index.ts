import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

/**
 * R28's PRODUCT_INSTANCE_NOT_REPORTING alerts look at every device of the Virtual Accounts in view for
 * COALESCE(last_reported_at, registered_at): with both in an index after virtual_account_id, that is
 * read from the index alone, not from each device's row (1,000,000 devices: 41 s from rows with a cold
 * 128 MB buffer pool).
 */
export class SilentDeviceIndex1764400000000 implements MigrationInterface {
  name = "SilentDeviceIndex1764400000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createIndex(
      "product_instances",
      new TableIndex({ name: "IDX_673736c493405db7fdfa259505", columnNames: ["virtual_account_id", "last_reported_at", "registered_at"] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex("product_instances", "IDX_673736c493405db7fdfa259505");
  }
}
