import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { timestamp } from "./columns";
import { SmartAccount } from "./smart-account";
import { User } from "./user";

/**
 * The audit trail (R29): one row per successful mutation, written in its transaction, never edited.
 * `virtualAccountId` has no foreign key on purpose: the history outlives a deleted Virtual Account.
 */
@Entity("events")
@Index(["smartAccountId", "id"])
@Index(["virtualAccountId", "id"])
export class Event {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 64 })
  type!: string;

  @Column({ type: "varchar", length: 1000 })
  message!: string;

  @Index()
  @Column({ type: "int", nullable: true })
  actorId!: number | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "actor_id" })
  actor?: Relation<User> | null;

  /** Null for events outside any account, such as catalog changes. */
  @Column({ type: "int", nullable: true })
  smartAccountId!: number | null;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int", nullable: true })
  virtualAccountId!: number | null;

  @Column(timestamp())
  createdAt!: Date;
}
