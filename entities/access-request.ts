import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
import { SmartAccount } from "./smart-account";
import { User } from "./user";

export enum AccessRequestStatus {
  PENDING = "PENDING",
  APPROVED = "APPROVED",
  DENIED = "DENIED",
}

/** A user asking an account's admins for a role (R14). */
@Entity("access_requests")
@Index(["userId", "id"])
@Index(["smartAccountId", "status", "id"])
export class AccessRequest {
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

  @Column(enumString())
  status!: AccessRequestStatus;

  @Column({ type: "varchar", length: 1000, nullable: true })
  message!: string | null;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp({ nullable: true }))
  decidedAt!: Date | null;

  @Column({ type: "int", nullable: true })
  decidedById!: number | null;
}
