import { ColumnOptions } from "typeorm";

/**
 * Column shapes shared by every entity, chosen to mean the same on SQLite and MySQL/MariaDB:
 * millisecond UTC timestamps, and enums kept as plain strings (no MySQL ENUM, so adding a
 * value is a code change, not a migration).
 */
export const timestamp = (options: ColumnOptions = {}): ColumnOptions => ({
  type: "datetime",
  precision: 3,
  ...options,
});

export const enumString = (options: ColumnOptions = {}): ColumnOptions => ({
  type: "varchar",
  length: 32,
  ...options,
});
