import { BeforeInsert, BeforeUpdate, Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { enumString, timestamp } from "./columns";

export enum LicenseModel {
  PERPETUAL = "PERPETUAL",
  TERM = "TERM",
}

/**
 * What identifies a SKU, case and spacing set aside: trimmed, lower-cased, in Unicode NFC. Every SKU
 * lookup compares `products.sku_key` with the key of what was asked (`ISR4K-SEC`, ` isr4k-sec` alike),
 * the same on SQLite and MySQL/MariaDB, through the key's unique index.
 */
export const skuKey = (sku: string): string => sku.normalize("NFC").trim().toLowerCase().normalize("NFC");

/** A catalog entry (SKU). */
@Entity("products")
@Index(["sku"], { unique: true })
@Index(["skuKey"], { unique: true })
@Index(["name", "id"])
export class Product {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 64 })
  sku!: string;

  /** `skuKey(sku)`, kept by every write of the entity (see `keepSkuKey`). */
  @Column({ type: "varchar", length: 64 })
  skuKey!: string;

  @Column({ type: "varchar", length: 200 })
  name!: string;

  @Column(enumString())
  model!: LicenseModel;

  /** Whether the product can consume SMART licenses (and so whether CLASSIC lots can convert, R20). */
  @Column({ type: "boolean" })
  smartEnabled!: boolean;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp())
  updatedAt!: Date;

  @BeforeInsert()
  @BeforeUpdate()
  keepSkuKey(): void {
    if (typeof this.sku === "string") this.skuKey = skuKey(this.sku);
  }
}
