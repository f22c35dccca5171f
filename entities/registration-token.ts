import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { timestamp } from "./columns";
import { SmartAccount } from "./smart-account";
import { User } from "./user";
import { VirtualAccount } from "./virtual-account";

/** A secret devices register with (R23); only its SHA-256 is stored. Deleted with its Virtual Account (R12). */
@Entity("registration_tokens")
@Index(["secretHash"], { unique: true })
@Index(["virtualAccountId", "id"])
export class RegistrationToken {
  @PrimaryGeneratedColumn()
  id!: number;

  @Index()
  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int" })
  virtualAccountId!: number;

  @ManyToOne(() => VirtualAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount>;

  @Column({ type: "varchar", length: 500, nullable: true })
  description!: string | null;

  @Column({ type: "varchar", length: 64 })
  secretHash!: string;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp())
  expiresAt!: Date;

  /** Null: unlimited. */
  @Column({ type: "int", nullable: true })
  maxUses!: number | null;

  @Column({ type: "int", default: 0 })
  uses!: number;

  @Column({ type: "boolean", default: false })
  exportControlled!: boolean;

  @Column(timestamp({ nullable: true }))
  revokedAt!: Date | null;

  @Index()
  @Column({ type: "int", nullable: true })
  createdById!: number | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "created_by_id" })
  createdBy?: Relation<User> | null;
}
