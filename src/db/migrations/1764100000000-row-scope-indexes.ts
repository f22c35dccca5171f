import { MigrationInterface, QueryRunner, TableIndex } from "typeorm";

/**
 * An account's lots and devices are paged in id order and filtered by Virtual Account (a subtree's
 * scope): with the Virtual Account in the (account, id) index, the page's ids come from the index
 * alone and only the page's rows are read (issue #5). The new index replaces the old, its prefix.
 */
export class RowScopeIndexes1764100000000 implements MigrationInterface {
  name = "RowScopeIndexes1764100000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, name, old] of INDEXES) {
      await queryRunner.createIndex(table, new TableIndex({ name, columnNames: ["smart_account_id", "id", "virtual_account_id"] }));
      await queryRunner.dropIndex(table, old);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, name, old] of INDEXES) {
      await queryRunner.createIndex(table, new TableIndex({ name: old, columnNames: ["smart_account_id", "id"] }));
      await queryRunner.dropIndex(table, name);
    }
  }
}

/** Table, new index, the (smart_account_id, id) index it replaces: TypeORM's names for the entities' @Index. */
const INDEXES: [string, string, string][] = [
  ["licenses", "IDX_9a05b1bb02a5cfeacbee0f2dcb", "IDX_944b2162b3222771b9a31008a4"],
  ["product_instances", "IDX_597fa30f2575f0f6e0f4af1ec3", "IDX_35f9b861d04a9c5fd454ab8378"],
];
