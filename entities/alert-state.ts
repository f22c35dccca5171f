import { Column, Entity, Index, PrimaryColumn } from "typeorm";
import { enumString, timestamp } from "./columns";

/**
 * R35: the alerts the service has recorded as raised, one row per alert identity (its type, its Virtual
 * Account, and its product, lot, device or order: `alertKey`). A row is written when its alert is raised
 * and deleted when it clears, each with its notification; the figures are the alert's latest.
 * No foreign key to the Virtual Account: a deleted one's alerts are cleared, with notifications, not cascaded away.
 */
@Entity("alert_states")
@Index(["smartAccountId"])
export class AlertState {
  @PrimaryColumn({ type: "int" })
  virtualAccountId!: number;

  /** `<type>:<what>:<id>`, e.g. `LICENSES_EXPIRING:lot:42`. */
  @PrimaryColumn({ type: "varchar", length: 64 })
  alertKey!: string;

  @Column({ type: "int" })
  smartAccountId!: number;

  @Column(enumString())
  type!: string;

  @Column(enumString())
  severity!: string;

  @Column({ type: "int", nullable: true })
  productId!: number | null;

  @Column({ type: "int", nullable: true })
  lotId!: number | null;

  @Column({ type: "int", nullable: true })
  productInstanceId!: number | null;

  @Column({ type: "int", nullable: true })
  orderId!: number | null;

  @Column({
    type: "bigint",
    nullable: true,
    transformer: { to: (value: number | null) => value, from: (value: unknown) => (value == null ? null : Number(value)) },
  })
  quantity!: number | null;

  @Column(timestamp({ nullable: true }))
  dueAt!: Date | null;

  @Column({ type: "varchar", length: 1000 })
  message!: string;

  @Column(timestamp())
  raisedAt!: Date;
}

/**
 * R35: Virtual Accounts whose alerts must be compared with what was recorded. A write marks the Virtual
 * Accounts it changed in its own transaction; the check right after it commits (or the worker's scan,
 * if the process died first) compares and deletes the mark. One row per Virtual Account: marks merge.
 */
@Entity("alert_checks")
export class AlertCheck {
  @PrimaryColumn({ type: "int" })
  virtualAccountId!: number;

  @Column(timestamp())
  markedAt!: Date;
}
