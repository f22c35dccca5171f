import { Column, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { timestamp } from "./columns";

/** A person or integration known by email; created on first sight of a token or a grant (R1, R13). */
@Entity("users")
@Index(["email"], { unique: true })
export class User {
  @PrimaryGeneratedColumn()
  id!: number;

  /** Lower-cased; the identity. */
  @Column({ type: "varchar", length: 254 })
  email!: string;

  @Column({ type: "varchar", length: 100, nullable: true })
  name!: string | null;

  @Column(timestamp())
  createdAt!: Date;
}
