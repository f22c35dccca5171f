import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from "typeorm";
import { Product } from "./product";
import { ProductInstance } from "./product-instance";

/** How many licenses of a product a device consumes, as last reported (R25). */
@Entity("license_usages")
@Index(["productId"])
export class LicenseUsage {
  @PrimaryColumn({ type: "int" })
  productInstanceId!: number;

  @ManyToOne(() => ProductInstance, { onDelete: "CASCADE" })
  @JoinColumn({ name: "product_instance_id" })
  productInstance?: Relation<ProductInstance>;

  @PrimaryColumn({ type: "int" })
  productId!: number;

  @ManyToOne(() => Product, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "product_id" })
  product?: Relation<Product>;

  @Column({ type: "int" })
  count!: number;
}
