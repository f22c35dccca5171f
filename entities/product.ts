import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { enumString, timestamp } from "./columns";

export enum LicenseModel {
  PERPETUAL = "PERPETUAL",
  TERM = "TERM",
}

/** A catalog entry (SKU). */
@Entity("products")
@Index(["sku"], { unique: true })
@Index(["name", "id"])
export class Product {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 64 })
  sku!: string;

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
}
