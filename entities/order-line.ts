import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
import { LicenseKind } from "./license-kind";
import type { Order } from "./order";
import { Product } from "./product";
import { VirtualAccount } from "./virtual-account";

@Entity("order_lines")
@Index(["orderId", "id"])
export class OrderLine {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  orderId!: number;

  @ManyToOne("Order", (order: Order) => order.lines, { onDelete: "CASCADE" })
  @JoinColumn({ name: "order_id" })
  order?: Relation<Order>;

  @Index()
  @Column({ type: "int" })
  productId!: number;

  @ManyToOne(() => Product, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "product_id" })
  product?: Relation<Product>;

  @Column(enumString())
  kind!: LicenseKind;

  @Column({ type: "int" })
  quantity!: number;

  @Column({ type: "int", nullable: true })
  termMonths!: number | null;

  @Column(timestamp())
  startsAt!: Date;

  @Column(timestamp({ nullable: true }))
  endsAt!: Date | null;

  /** Where the line's licenses go; null means the account's default Virtual Account at fulfilment. */
  @Index()
  @Column({ type: "int", nullable: true })
  virtualAccountId!: number | null;

  @ManyToOne(() => VirtualAccount, { onDelete: "SET NULL" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount> | null;

  /** The Product Activation Key of a CLASSIC line. */
  @Column({ type: "varchar", length: 64, nullable: true })
  pak!: string | null;
}
