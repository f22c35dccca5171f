import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from "typeorm";
import { timestamp } from "./columns";
import { Product } from "./product";
import { VirtualAccount } from "./virtual-account";

/** Pool figures are sums that may pass an `int` for the moment before R27's bound refuses the write. */
const figure = { type: "bigint" as const, default: 0, transformer: { to: (value: number) => value, from: (value: unknown) => Number(value) } };

/**
 * R27's figures of one product in one Virtual Account, kept rather than summed on every read, written in
 * the transaction of every write that changes them (src/licenses/kept-pools.ts).
 *
 * `purchased` and `nextExpiry` are what the lots said at `countedAt`: the quantity of the `SMART` lots
 * that were ACTIVE then, and the soonest end among them. They stay true until `nextExpiry` passes (R22);
 * a pool read after that moment, or before `countedAt`, sums that row's lots instead. `inUse` is the
 * devices' usage and does not change with time.
 */
@Entity("license_pools")
@Index(["nextExpiry"])
@Index(["productId"])
export class LicensePoolRow {
  @PrimaryColumn({ type: "int" })
  virtualAccountId!: number;

  @ManyToOne(() => VirtualAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount>;

  @PrimaryColumn({ type: "int" })
  productId!: number;

  @ManyToOne(() => Product, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "product_id" })
  product?: Relation<Product>;

  @Column(figure)
  purchased!: number;

  @Column({ ...figure, name: "in_use" })
  inUse!: number;

  @Column(timestamp({ nullable: true }))
  nextExpiry!: Date | null;

  @Column(timestamp())
  countedAt!: Date;
}
