import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { timestamp } from "./columns";
import { RegistrationToken } from "./registration-token";
import { SmartAccount } from "./smart-account";
import { VirtualAccount } from "./virtual-account";

/** A registered device (R24), identified by (pid, serialNumber), consuming licenses of its Virtual Account's pool. */
@Entity("product_instances")
@Index(["credentialHash"], { unique: true })
@Index(["pid", "serialNumber"], { unique: true })
@Index(["smartAccountId", "id", "virtualAccountId"])
@Index(["virtualAccountId", "id"])
@Index(["virtualAccountId", "lastReportedAt", "registeredAt"])
export class ProductInstance {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int" })
  virtualAccountId!: number;

  @ManyToOne(() => VirtualAccount, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "virtual_account_id" })
  virtualAccount?: Relation<VirtualAccount>;

  @Column({ type: "varchar", length: 64 })
  pid!: string;

  @Column({ type: "varchar", length: 64 })
  serialNumber!: string;

  @Column({ type: "varchar", length: 255, nullable: true })
  hostname!: string | null;

  /** SHA-256 of the device credential; the credential itself is shown once (R24). */
  @Column({ type: "varchar", length: 64 })
  credentialHash!: string;

  @Index()
  @Column({ type: "int", nullable: true })
  registrationTokenId!: number | null;

  @ManyToOne(() => RegistrationToken, { onDelete: "SET NULL" })
  @JoinColumn({ name: "registration_token_id" })
  registrationToken?: Relation<RegistrationToken> | null;

  @Column(timestamp())
  registeredAt!: Date;

  @Column(timestamp({ nullable: true }))
  lastReportedAt!: Date | null;
}
