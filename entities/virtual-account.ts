import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Relation } from "typeorm";
import { timestamp } from "./columns";
import { SmartAccount } from "./smart-account";

/**
 * A node of a Smart Account's tree. The tree is kept by the service, not by TypeORM's tree
 * decorators: `parentId` plus a materialized `path` of zero-padded ids ("/0000000003/0000000007/"),
 * so "is v under u" is a prefix test and "u's subtree" is one indexed `path LIKE 'u%'` query.
 */
@Entity("virtual_accounts")
@Index(["smartAccountId", "siblingKey"], { unique: true })
@Index(["smartAccountId", "path"])
@Index(["parentId", "path"])
export class VirtualAccount {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: "int" })
  smartAccountId!: number;

  @ManyToOne(() => SmartAccount, { onDelete: "CASCADE" })
  @JoinColumn({ name: "smart_account_id" })
  smartAccount?: Relation<SmartAccount>;

  @Column({ type: "int", nullable: true })
  parentId!: number | null;

  @ManyToOne(() => VirtualAccount, { onDelete: "RESTRICT" })
  @JoinColumn({ name: "parent_id" })
  parent?: Relation<VirtualAccount> | null;

  @Column({ type: "varchar", length: 100 })
  name!: string;

  /**
   * `<parentId or 0>:<lower-cased name>`: makes "names are unique among siblings,
   * case-insensitively" (R12) a unique index on both databases, where NULL parents would not be.
   */
  @Column({ type: "varchar", length: 120 })
  siblingKey!: string;

  @Column({ type: "varchar", length: 500, nullable: true })
  description!: string | null;

  @Column({ type: "boolean", default: false })
  isDefault!: boolean;

  /** 1 at the top level, at most 10 (R12). */
  @Column({ type: "int" })
  depth!: number;

  @Column({ type: "varchar", length: 120 })
  path!: string;

  @Column(timestamp())
  createdAt!: Date;
}
