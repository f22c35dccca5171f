import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";

/**
 * R37: an HTTPS endpoint told about an account's (or a Virtual Account subtree's) notifications.
 * The signing secret is not stored: it is derived from the server's key and `secretSalt`
 * (src/notifications/webhooks.ts), so the table alone gives no one the key of a signature.
 */
@Entity("webhooks")
@Index(["smartAccountId", "id"])
export class Webhook {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  smartAccountId!: number;

  /** Null: account-wide. Otherwise this Virtual Account and below. */
  @Column({ type: "int", nullable: true })
  virtualAccountId!: number | null;

  @Column({ type: "varchar", length: 2048 })
  url!: string;

  /** Comma-separated topics (EVENT, ALERT_RAISED, ALERT_CLEARED). */
  @Column({ type: "varchar", length: 100 })
  topics!: string;

  @Column({ type: "varchar", length: 64 })
  secretSalt!: string;

  @Column({ type: "boolean", default: true })
  active!: boolean;

  @Column({ type: "int", nullable: true })
  createdById!: number | null;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp({ nullable: true }))
  disabledAt!: Date | null;

  /** Why it stopped: `deleted`, or `creator lost access`. */
  @Column({ type: "varchar", length: 200, nullable: true })
  disabledReason!: string | null;
}

export type WebhookDeliveryStatus = "PENDING" | "DELIVERED" | "FAILED";

/**
 * R37: one notification for one webhook, created in the notification's transaction (at least once), then
 * attempted by the worker until delivered or failed. `leaseUntil` is a worker's claim on it (the table is the
 * queue without Redis): a worker that dies mid-attempt lets the claim lapse, and another attempts it.
 */
@Entity("webhook_deliveries")
@Index(["webhookId", "id"])
@Index(["status", "nextAttemptAt"])
export class WebhookDelivery {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  webhookId!: number;

  @ManyToOne(() => Webhook, { onDelete: "CASCADE" })
  @JoinColumn({ name: "webhook_id" })
  webhook?: Relation<Webhook>;

  @Column({ type: "int" })
  notificationId!: number;

  @Column(enumString())
  topic!: string;

  @Column(enumString({ default: "PENDING" }))
  status!: WebhookDeliveryStatus;

  @Column({ type: "int", default: 0 })
  attempts!: number;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp({ nullable: true }))
  lastAttemptAt!: Date | null;

  @Column(timestamp({ nullable: true }))
  nextAttemptAt!: Date | null;

  @Column({ type: "int", nullable: true })
  lastResponseStatus!: number | null;

  /** What went wrong the last time, in a short line (never the body or the secret). */
  @Column({ type: "varchar", length: 200, nullable: true })
  lastError!: string | null;

  @Column(timestamp({ nullable: true }))
  leaseUntil!: Date | null;
}
