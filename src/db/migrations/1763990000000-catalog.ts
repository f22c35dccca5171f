import { MigrationInterface, QueryRunner, TableColumn } from "typeorm";

/** A small, realistic catalog: term and perpetual, smart-enabled and classic-only SKUs. */
export const SEED_CATALOG = [
  { sku: "C9300-DNA-A-3Y", name: "Cisco DNA Advantage for Catalyst 9300, 3-year term", model: "TERM", smartEnabled: true },
  { sku: "C9300-DNA-E-3Y", name: "Cisco DNA Essentials for Catalyst 9300, 3-year term", model: "TERM", smartEnabled: true },
  { sku: "C9300-NW-A", name: "Network Advantage for Catalyst 9300, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "C9300-NW-E", name: "Network Essentials for Catalyst 9300, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "ISR4K-SEC", name: "Security license for ISR 4000, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "ISR4K-PERF-1G", name: "ISR 4000 performance upgrade to 1 Gbps, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "ASAv10-THREAT-1Y", name: "ASAv10 threat defense subscription, 1-year term", model: "TERM", smartEnabled: true },
  { sku: "WLC-AP-ADDER", name: "Wireless LAN Controller access point adder, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "UC-CUCM-USR", name: "Unified Communications Manager user license, perpetual", model: "PERPETUAL", smartEnabled: true },
  { sku: "L-ASA5506-SEC-PL", name: "ASA 5506 Security Plus (legacy, classic PAK only)", model: "PERPETUAL", smartEnabled: false },
  { sku: "L-CME-USR", name: "Communications Manager Express user (legacy, classic PAK only)", model: "PERPETUAL", smartEnabled: false },
];

/**
 * Orders and licenses (issue #3): events may belong to no Smart Account (catalog changes write
 * their event too, R29), and the catalog is seeded.
 */
export class Catalog1763990000000 implements MigrationInterface {
  name = "Catalog1763990000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const events = await queryRunner.getTable("events");
    const column = events?.findColumnByName("smart_account_id");
    if (!column) throw new Error("events.smart_account_id is missing");
    const nullable = column.clone();
    nullable.isNullable = true;
    await queryRunner.changeColumn("events", column, nullable);

    // Plain SQL with `?` placeholders and a UTC 'YYYY-MM-DD HH:MM:SS.SSS' literal: the same on both databases.
    const now = new Date().toISOString().replace("T", " ").replace("Z", "");
    for (const product of SEED_CATALOG) {
      await queryRunner.query("INSERT INTO products (sku, name, model, smart_enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", [
        product.sku,
        product.name,
        product.model,
        product.smartEnabled ? 1 : 0,
        now,
        now,
      ]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DELETE FROM events WHERE smart_account_id IS NULL");
    const events = await queryRunner.getTable("events");
    const column = events?.findColumnByName("smart_account_id") as TableColumn;
    const required = column.clone();
    required.isNullable = false;
    await queryRunner.changeColumn("events", column, required);
  }
}
