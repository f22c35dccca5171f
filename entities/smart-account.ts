import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { enumString, timestamp } from "./columns";
import { User } from "./user";

export enum SmartAccountType {
  CUSTOMER = "CUSTOMER",
  PARTNER_HOLDING = "PARTNER_HOLDING",
  LIMITED_USE = "LIMITED_USE",
}

export enum SmartAccountStatus {
  PENDING = "PENDING",
  ACTIVE = "ACTIVE",
}

@Entity("smart_accounts")
@Index(["domain"], { unique: true })
@Index(["name", "id"])
export class SmartAccount {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "varchar", length: 100 })
  name!: string;

  /** Lower-cased and unique (R8); an email address for LIMITED_USE accounts. */
  @Column({ type: "varchar", length: 254 })
  domain!: string;

  @Column(enumString())
  type!: SmartAccountType;

  @Column(enumString())
  status!: SmartAccountStatus;

  /** R9: set while the nearest parent domain's admins have not approved this prefixed domain. */
  @Column({ type: "boolean", default: false })
  awaitingDomainApproval!: boolean;

  /** R9: the account of the nearest parent domain, whose admins approve this one. */
  @Index()
  @Column({ type: "int", nullable: true })
  domainParentId!: number | null;

  @ManyToOne(() => SmartAccount, { onDelete: "SET NULL" })
  @JoinColumn({ name: "domain_parent_id" })
  domainParent?: Relation<SmartAccount> | null;

  @Index()
  @Column({ type: "int", nullable: true })
  requestedById!: number | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "requested_by_id" })
  requestedBy?: Relation<User> | null;

  @Column(timestamp())
  createdAt!: Date;

  @Column(timestamp({ nullable: true }))
  activatedAt!: Date | null;
}
