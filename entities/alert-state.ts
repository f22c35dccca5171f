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
 * R35: Virtual Accounts whose alerts must be compared with what was recorded. A write counts one more
 * `marks` on its Virtual Accounts in its own transaction; the check right after it commits (or the worker's
 * scan, if the process died first) compares and sets `checked` to the marks it saw. A row with
 * `marks > checked` is waiting. Rows stay (one per Virtual Account that was ever written): a write updates
 * an existing row rather than inserting one a check just deleted, which InnoDB would deadlock on.
 */
@Entity("alert_checks")
export class AlertCheck {
  @PrimaryColumn({ type: "int" })
  virtualAccountId!: number;

  @Column({ type: "bigint", default: 0, transformer: { to: (value: number) => value, from: (value: unknown) => Number(value) } })
  marks!: number;

  @Column({ type: "bigint", default: 0, transformer: { to: (value: number) => value, from: (value: unknown) => Number(value) } })
  checked!: number;

  @Column(timestamp())
  markedAt!: Date;
}
