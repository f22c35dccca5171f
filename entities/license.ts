import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
import { LicenseKind } from "./license-kind";
import { Order } from "./order";
import { OrderLine } from "./order-line";
import { Product } from "./product";
import { SmartAccount } from "./smart-account";
import { VirtualAccount } from "./virtual-account";

/** A lot of licenses of one product in one Virtual Account, from an order line or split off another lot. */
@Entity("licenses")
@Index(["virtualAccountId", "productId", "kind", "endsAt", "quantity"])
@Index(["smartAccountId", "id", "virtualAccountId"])
@Index(["virtualAccountId", "id"])
export class License {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int" })
  virtualAccountId!: number;

  @ManyToOne(() => VirtualAccount, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount>;

  @Index()
  @Column({ type: "int" })
  productId!: number;

  @ManyToOne(() => Product, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "product_id" })
  product?: Relation<Product>;

  @Index()
  @Column({ type: "int", nullable: true })
  orderId!: number | null;

  @ManyToOne(() => Order, { onDelete: "SET NULL" })
  @JoinColumn({ name: "order_id" })
  order?: Relation<Order> | null;

  @Index()
  @Column({ type: "int", nullable: true })
  orderLineId!: number | null;

  @ManyToOne(() => OrderLine, { onDelete: "SET NULL" })
  @JoinColumn({ name: "order_line_id" })
  orderLine?: Relation<OrderLine> | null;

  @Column(enumString())
  kind!: LicenseKind;

  @Column({ type: "int" })
  quantity!: number;

  @Column(timestamp())
  startsAt!: Date;

  /** Null for perpetual licenses. */
  @Index()
  @Column(timestamp({ nullable: true }))
  endsAt!: Date | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  pak!: string | null;

  /** The lot this one was split off by a transfer or a conversion. */
  @Column({ type: "int", nullable: true })
  splitFromId!: number | null;

  @Column(timestamp())
  createdAt!: Date;
}
