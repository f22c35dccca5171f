import { Column, Entity, PrimaryColumn } from "typeorm";
import { timestamp } from "./columns";

/** R38: one user's mail choices in one Smart Account; a user without a row has the defaults (no mail). */
@Entity("notification_preferences")
export class NotificationPreference {
  @PrimaryColumn({ type: "int" })
  userId!: number;

  @PrimaryColumn({ type: "int" })
  smartAccountId!: number;

  @Column({ type: "boolean", default: false })
  dailyDigest!: boolean;

  /** Comma-separated alert types mailed at once when raised. */
  @Column({ type: "varchar", length: 200, default: "" })
  immediateAlertTypes!: string;

  @Column(timestamp())
  updatedAt!: Date;

  /** When this user's last digest for this account was sent (one per scheduled run). */
  @Column(timestamp({ nullable: true }))
  lastDigestAt!: Date | null;
}

/**
 * R39: the worker's recurring tasks (the clock-driven alert scan, the digest, the mail cursor), one row
 * each. Without Redis a worker claims a task by writing its lease; `cursor` is how far it got.
 */
@Entity("worker_tasks")
export class WorkerTask {
  @PrimaryColumn({ type: "varchar", length: 64 })
  name!: string;

  @Column(timestamp({ nullable: true }))
  lastRunAt!: Date | null;

  @Column(timestamp({ nullable: true }))
  leaseUntil!: Date | null;

  @Column({ type: "varchar", length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ type: "bigint", default: 0, transformer: { to: (value: number) => value, from: (value: unknown) => Number(value) } })
  cursor!: number;
}
