import { Column, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
// The lines refer to their order by entity name, so the two files do not import each other at runtime.
import type { OrderLine } from "./order-line";
import { SmartAccount } from "./smart-account";
import { User } from "./user";

export enum OrderStatus {
  PENDING = "PENDING",
  FULFILLED = "FULFILLED",
}

/** A booking that deposits licenses into a Smart Account (R15, R16), possibly via a partner's holding account (R18). */
@Entity("orders")
@Index(["number"], { unique: true })
@Index(["smartAccountId", "status", "id"])
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Human-readable and unique, e.g. "SO-2026-000042". */
  @Column({ type: "varchar", length: 32 })
  number!: string;

  @Column(enumString())
  status!: OrderStatus;

  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Index()
  @Column({ type: "int", nullable: true })
  placedById!: number | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "placed_by_id" })
  placedBy?: Relation<User> | null;

  /** The partner holding account the order was first booked into, once it has been assigned out (R18). */
  @Index()
  @Column({ type: "int", nullable: true })
  assignedFromId!: number | null;

  @ManyToOne(() => SmartAccount, { onDelete: "SET NULL" })
  @JoinColumn({ name: "assigned_from_id" })
  assignedFrom?: Relation<SmartAccount> | null;

  /** Booking time: term lines start here (R16). */
  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp({ nullable: true }))
  fulfilledAt!: Date | null;

  @OneToMany("OrderLine", (line: OrderLine) => line.order)
  lines?: Relation<OrderLine[]>;
}
