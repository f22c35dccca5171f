import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Relation } from "typeorm";
import { License } from "./license";

/** One tag of a license lot (R21); a table rather than a JSON column so `LicenseFilter.tag` is an index lookup. */
@Entity("license_tags")
@Index(["tag", "licenseId"])
export class LicenseTag {
  @PrimaryColumn({ type: "int" })
  licenseId!: number;

  @ManyToOne(() => License, { onDelete: "CASCADE" })
  @JoinColumn({ name: "license_id" })
  license?: Relation<License>;

  @PrimaryColumn({ type: "varchar", length: 50 })
  tag!: string;
}
