import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
import { SmartAccount } from "./smart-account";
import { User } from "./user";
import { VirtualAccount } from "./virtual-account";

export enum Role {
  SMART_ACCOUNT_APPROVER = "SMART_ACCOUNT_APPROVER",
  SMART_ACCOUNT_ADMIN = "SMART_ACCOUNT_ADMIN",
  SMART_ACCOUNT_USER = "SMART_ACCOUNT_USER",
  SMART_ACCOUNT_VIEWER = "SMART_ACCOUNT_VIEWER",
  VIRTUAL_ACCOUNT_ADMIN = "VIRTUAL_ACCOUNT_ADMIN",
  VIRTUAL_ACCOUNT_USER = "VIRTUAL_ACCOUNT_USER",
  VIRTUAL_ACCOUNT_VIEWER = "VIRTUAL_ACCOUNT_VIEWER",
}

/** A user's role in a Smart Account, or in one Virtual Account and its descendants (§5). */
@Entity("role_assignments")
@Index(["userId", "smartAccountId", "role", "scopeKey"], { unique: true })
@Index(["smartAccountId", "id"])
@Index(["virtualAccountId"])
export class RoleAssignment {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  userId!: number;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user?: Relation<User>;

  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int", nullable: true })
  virtualAccountId!: number | null;

  @ManyToOne(() => VirtualAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount> | null;

  /** The Virtual Account id, or 0 for Smart Account roles: keeps assignments unique (R13). */
  @Column({ type: "int", default: 0 })
  scopeKey!: number;

  @Column(enumString())
  role!: Role;

  @Column({ type: "int", nullable: true })
  grantedById!: number | null;

  @Column(timestamp())
  createdAt!: Date;
}
