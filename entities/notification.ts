import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { enumString, timestamp } from "./columns";

/** What a notification tells (R35): an event was written, or an alert was raised or cleared. */
export type NotificationTopic = "EVENT" | "ALERT_RAISED" | "ALERT_CLEARED";

/**
 * The outbox (SPEC §8): one row per notification, written in the same transaction as the change that
 * caused it, never edited. Subscriptions, webhooks and mail all start from here (src/notifications).
 * `data` is JSON in the service's own terms (numeric ids; src/notifications/outbox.ts reads it).
 * No foreign keys: like events, a notification outlives a deleted Virtual Account.
 */
@Entity("notifications")
@Index(["smartAccountId", "id"])
export class Notification {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column(enumString())
  topic!: NotificationTopic;

  @Column({ type: "int" })
  smartAccountId!: number;

  @Column({ type: "int", nullable: true })
  virtualAccountId!: number | null;

  /** The event of an `EVENT` notification. */
  @Column({ type: "int", nullable: true })
  eventId!: number | null;

  @Column({ type: "text" })
  data!: string;

  @Column(timestamp())
  createdAt!: Date;
}
