import { ColumnType, MigrationInterface, QueryRunner, Table, TableForeignKey, TableIndex } from "typeorm";

/**
 * The whole data model (issue: foundation). Written with TypeORM's Table API so the one migration
 * runs on SQLite and MySQL/MariaDB alike; index and key names are frozen here. A test checks that
 * after all migrations TypeORM's schema builder finds nothing left to change on either database.
 */
export class InitialSchema1763900000000 implements MigrationInterface {
  name = "InitialSchema1763900000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const spec of TABLES) {
      await queryRunner.createTable(
        new Table({
          name: spec.name,
          // Each database's own spelling of the portable types (int → integer on SQLite, boolean → tinyint on MySQL).
          columns: spec.columns.map((column) => ({
            ...column,
            length: column.length === undefined ? undefined : String(column.length),
            type: queryRunner.connection.driver.normalizeType({ type: column.type as ColumnType }),
          })),
          indices: spec.indices.map((index) => new TableIndex(index)),
          foreignKeys: spec.foreignKeys.map((key) => new TableForeignKey({ onUpdate: "NO ACTION", ...key })),
        }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const spec of [...TABLES].reverse()) await queryRunner.dropTable(spec.name);
  }
}

type ColumnSpec = {
  name: string;
  type: string;
  length?: number;
  precision?: number;
  isNullable?: boolean;
  isPrimary?: boolean;
  isGenerated?: boolean;
  generationStrategy?: "increment";
  default?: number;
};

interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  indices: { name: string; columnNames: string[]; isUnique?: boolean }[];
  foreignKeys: { name: string; columnNames: string[]; referencedTableName: string; referencedColumnNames: string[]; onDelete?: string }[];
}

// Ordered so every table comes after the tables its foreign keys reference.
const TABLES: TableSpec[] = [
  {
    name: "users",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "email", type: "varchar", length: 254 },
      { name: "name", type: "varchar", length: 100, isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
    ],
    indices: [{ name: "IDX_97672ac88f789774dd47f7c8be", columnNames: ["email"], isUnique: true }],
    foreignKeys: [],
  },
  {
    name: "smart_accounts",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "name", type: "varchar", length: 100 },
      { name: "domain", type: "varchar", length: 254 },
      { name: "type", type: "varchar", length: 32 },
      { name: "status", type: "varchar", length: 32 },
      { name: "awaiting_domain_approval", type: "boolean", default: 0 },
      { name: "domain_parent_id", type: "int", isNullable: true },
      { name: "requested_by_id", type: "int", isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
      { name: "activated_at", type: "datetime", precision: 3, isNullable: true },
    ],
    indices: [
      { name: "IDX_be0dff62e3857a29a94fa3efbe", columnNames: ["domain_parent_id"] },
      { name: "IDX_1d9a42004e919156a158bfedc0", columnNames: ["requested_by_id"] },
      { name: "IDX_268929b8ec2c079cbc58ba9bde", columnNames: ["name", "id"] },
      { name: "IDX_defd4187beed0bdf9f3c6b33b7", columnNames: ["domain"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_be0dff62e3857a29a94fa3efbe8",
        columnNames: ["domain_parent_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
      {
        name: "FK_1d9a42004e919156a158bfedc05",
        columnNames: ["requested_by_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "virtual_accounts",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "smart_account_id", type: "int" },
      { name: "parent_id", type: "int", isNullable: true },
      { name: "name", type: "varchar", length: 100 },
      { name: "sibling_key", type: "varchar", length: 120 },
      { name: "description", type: "varchar", length: 500, isNullable: true },
      { name: "is_default", type: "boolean", default: 0 },
      { name: "depth", type: "int" },
      { name: "path", type: "varchar", length: 120 },
      { name: "created_at", type: "datetime", precision: 3 },
    ],
    indices: [
      { name: "IDX_8093b8e582f314651fb48265db", columnNames: ["parent_id", "path"] },
      { name: "IDX_a561bc64e2d99939fc3a681b69", columnNames: ["smart_account_id", "path"] },
      { name: "IDX_aa3292754d50d5169840756689", columnNames: ["smart_account_id", "sibling_key"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_e372bffbda92a99f4e77c4a2240",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_77e01c082d32d8e7930e775cd5a",
        columnNames: ["parent_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
    ],
  },
  {
    name: "role_assignments",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "user_id", type: "int" },
      { name: "smart_account_id", type: "int" },
      { name: "virtual_account_id", type: "int", isNullable: true },
      { name: "scope_key", type: "int", default: 0 },
      { name: "role", type: "varchar", length: 32 },
      { name: "granted_by_id", type: "int", isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
    ],
    indices: [
      { name: "IDX_a3e976e59215701104e0776acd", columnNames: ["virtual_account_id"] },
      { name: "IDX_0c9117a7cfec9e963376aaf042", columnNames: ["smart_account_id", "id"] },
      { name: "IDX_bd6abbeb448a7686775399cb02", columnNames: ["user_id", "smart_account_id", "role", "scope_key"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_d91c8ac0c10fd8c6acdcc5ee946",
        columnNames: ["user_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_4b760f277bd0ddabe0fe78cb41e",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_a3e976e59215701104e0776acda",
        columnNames: ["virtual_account_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
    ],
  },
  {
    name: "access_requests",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "user_id", type: "int" },
      { name: "smart_account_id", type: "int" },
      { name: "status", type: "varchar", length: 32 },
      { name: "message", type: "varchar", length: 1000, isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
      { name: "decided_at", type: "datetime", precision: 3, isNullable: true },
      { name: "decided_by_id", type: "int", isNullable: true },
    ],
    indices: [
      { name: "IDX_ac442303dab07aa029f5ab1988", columnNames: ["smart_account_id", "status", "id"] },
      { name: "IDX_390d594bf69787fb355b9c1533", columnNames: ["user_id", "id"] },
    ],
    foreignKeys: [
      {
        name: "FK_2ac9d8f34e67c1f029d11a27027",
        columnNames: ["user_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_e54b4691f26284c306f84f97698",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
    ],
  },
  {
    name: "events",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "type", type: "varchar", length: 64 },
      { name: "message", type: "varchar", length: 1000 },
      { name: "actor_id", type: "int", isNullable: true },
      { name: "smart_account_id", type: "int" },
      { name: "virtual_account_id", type: "int", isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
    ],
    indices: [
      { name: "IDX_d1bde4e07e02555eadc160c0de", columnNames: ["actor_id"] },
      { name: "IDX_cd736b500b23f27eb0d5a76270", columnNames: ["virtual_account_id", "id"] },
      { name: "IDX_bdd4d7e1471b92d764f561e948", columnNames: ["smart_account_id", "id"] },
    ],
    foreignKeys: [
      {
        name: "FK_d1bde4e07e02555eadc160c0de2",
        columnNames: ["actor_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
      {
        name: "FK_3b7f56940e107a1e0ba588b447c",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
    ],
  },
  {
    name: "products",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "sku", type: "varchar", length: 64 },
      { name: "name", type: "varchar", length: 200 },
      { name: "model", type: "varchar", length: 32 },
      { name: "smart_enabled", type: "boolean" },
      { name: "created_at", type: "datetime", precision: 3 },
      { name: "updated_at", type: "datetime", precision: 3 },
    ],
    indices: [
      { name: "IDX_288bf546e4f9880e7cc08f9965", columnNames: ["name", "id"] },
      { name: "IDX_c44ac33a05b144dd0d9ddcf932", columnNames: ["sku"], isUnique: true },
    ],
    foreignKeys: [],
  },
  {
    name: "orders",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "number", type: "varchar", length: 32 },
      { name: "status", type: "varchar", length: 32 },
      { name: "smart_account_id", type: "int" },
      { name: "placed_by_id", type: "int", isNullable: true },
      { name: "assigned_from_id", type: "int", isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
      { name: "fulfilled_at", type: "datetime", precision: 3, isNullable: true },
    ],
    indices: [
      { name: "IDX_2175d346161a3e8800db0c8f2e", columnNames: ["placed_by_id"] },
      { name: "IDX_d3fbbaef2ce624801cab76a24a", columnNames: ["assigned_from_id"] },
      { name: "IDX_b90543497e6a27bd991ea15845", columnNames: ["smart_account_id", "status", "id"] },
      { name: "IDX_4e174e347d448617acdf98fef0", columnNames: ["number"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_a96f29688693d083d8618a02750",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_2175d346161a3e8800db0c8f2e5",
        columnNames: ["placed_by_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
      {
        name: "FK_d3fbbaef2ce624801cab76a24ac",
        columnNames: ["assigned_from_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "order_lines",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "order_id", type: "int" },
      { name: "product_id", type: "int" },
      { name: "kind", type: "varchar", length: 32 },
      { name: "quantity", type: "int" },
      { name: "term_months", type: "int", isNullable: true },
      { name: "starts_at", type: "datetime", precision: 3 },
      { name: "ends_at", type: "datetime", precision: 3, isNullable: true },
      { name: "virtual_account_id", type: "int", isNullable: true },
      { name: "pak", type: "varchar", length: 64, isNullable: true },
    ],
    indices: [
      { name: "IDX_c33a737fbeb5050911ca729aae", columnNames: ["product_id"] },
      { name: "IDX_2dec1c03126a903017bc5eeeec", columnNames: ["virtual_account_id"] },
      { name: "IDX_2ccabf157134a6279f44679192", columnNames: ["order_id", "id"] },
    ],
    foreignKeys: [
      {
        name: "FK_6a619803439ea92778cafc8fb54",
        columnNames: ["order_id"],
        referencedTableName: "orders",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_c33a737fbeb5050911ca729aaed",
        columnNames: ["product_id"],
        referencedTableName: "products",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
      {
        name: "FK_2dec1c03126a903017bc5eeeecc",
        columnNames: ["virtual_account_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "licenses",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "smart_account_id", type: "int" },
      { name: "virtual_account_id", type: "int" },
      { name: "product_id", type: "int" },
      { name: "order_id", type: "int", isNullable: true },
      { name: "order_line_id", type: "int", isNullable: true },
      { name: "kind", type: "varchar", length: 32 },
      { name: "quantity", type: "int" },
      { name: "starts_at", type: "datetime", precision: 3 },
      { name: "ends_at", type: "datetime", precision: 3, isNullable: true },
      { name: "pak", type: "varchar", length: 64, isNullable: true },
      { name: "split_from_id", type: "int", isNullable: true },
      { name: "created_at", type: "datetime", precision: 3 },
    ],
    indices: [
      { name: "IDX_f485cd1b6d59b2a29bf6e4d060", columnNames: ["product_id"] },
      { name: "IDX_82975efc76c13dd3ac2ad9667b", columnNames: ["order_id"] },
      { name: "IDX_d001cb7bb7e0881b6369377820", columnNames: ["order_line_id"] },
      { name: "IDX_9175db95e07dfa0b411786d7e4", columnNames: ["ends_at"] },
      { name: "IDX_4fd33091cd3e6157e3c6dda262", columnNames: ["virtual_account_id", "id"] },
      { name: "IDX_944b2162b3222771b9a31008a4", columnNames: ["smart_account_id", "id"] },
      { name: "IDX_1ec74232be21000741175d5113", columnNames: ["virtual_account_id", "product_id", "kind"] },
    ],
    foreignKeys: [
      {
        name: "FK_aad4ff1d85c3a2990d413785fc2",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_485c483e352de03339651ab3baf",
        columnNames: ["virtual_account_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
      {
        name: "FK_f485cd1b6d59b2a29bf6e4d0601",
        columnNames: ["product_id"],
        referencedTableName: "products",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
      {
        name: "FK_82975efc76c13dd3ac2ad9667bf",
        columnNames: ["order_id"],
        referencedTableName: "orders",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
      {
        name: "FK_d001cb7bb7e0881b63693778205",
        columnNames: ["order_line_id"],
        referencedTableName: "order_lines",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "license_tags",
    columns: [
      { name: "license_id", type: "int", isPrimary: true },
      { name: "tag", type: "varchar", length: 50, isPrimary: true },
    ],
    indices: [{ name: "IDX_7cfbc1b39518ba823b278ae0e6", columnNames: ["tag", "license_id"] }],
    foreignKeys: [
      {
        name: "FK_c155dc0feb0cb77eb7f5d51d343",
        columnNames: ["license_id"],
        referencedTableName: "licenses",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
    ],
  },
  {
    name: "registration_tokens",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "smart_account_id", type: "int" },
      { name: "virtual_account_id", type: "int" },
      { name: "description", type: "varchar", length: 500, isNullable: true },
      { name: "secret_hash", type: "varchar", length: 64 },
      { name: "created_at", type: "datetime", precision: 3 },
      { name: "expires_at", type: "datetime", precision: 3 },
      { name: "max_uses", type: "int", isNullable: true },
      { name: "uses", type: "int", default: 0 },
      { name: "export_controlled", type: "boolean", default: 0 },
      { name: "revoked_at", type: "datetime", precision: 3, isNullable: true },
      { name: "created_by_id", type: "int", isNullable: true },
    ],
    indices: [
      { name: "IDX_e6a24755052d6f27d5db45e18e", columnNames: ["smart_account_id"] },
      { name: "IDX_9b2db9e24049e560652fbb6043", columnNames: ["created_by_id"] },
      { name: "IDX_3224802827e40aa9e2292fc0a3", columnNames: ["virtual_account_id", "id"] },
      { name: "IDX_53ee1348cdf5f1edad0414dda4", columnNames: ["secret_hash"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_e6a24755052d6f27d5db45e18e1",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_0413674bccc6823642b227ba30d",
        columnNames: ["virtual_account_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_9b2db9e24049e560652fbb6043b",
        columnNames: ["created_by_id"],
        referencedTableName: "users",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "product_instances",
    columns: [
      { name: "id", type: "integer", isPrimary: true, isGenerated: true, generationStrategy: "increment" },
      { name: "smart_account_id", type: "int" },
      { name: "virtual_account_id", type: "int" },
      { name: "pid", type: "varchar", length: 64 },
      { name: "serial_number", type: "varchar", length: 64 },
      { name: "hostname", type: "varchar", length: 255, isNullable: true },
      { name: "credential_hash", type: "varchar", length: 64 },
      { name: "registration_token_id", type: "int", isNullable: true },
      { name: "registered_at", type: "datetime", precision: 3 },
      { name: "last_reported_at", type: "datetime", precision: 3, isNullable: true },
    ],
    indices: [
      { name: "IDX_e005f84228bcb8e43fbb738577", columnNames: ["registration_token_id"] },
      { name: "IDX_eb12eb0925298e3a8ff64a53f0", columnNames: ["virtual_account_id", "id"] },
      { name: "IDX_35f9b861d04a9c5fd454ab8378", columnNames: ["smart_account_id", "id"] },
      { name: "IDX_8e893860f6006a411b2ff41c6c", columnNames: ["pid", "serial_number"], isUnique: true },
      { name: "IDX_9b549efd3d6a18a9dde8707778", columnNames: ["credential_hash"], isUnique: true },
    ],
    foreignKeys: [
      {
        name: "FK_8803d429c4d28eef971f4bed549",
        columnNames: ["smart_account_id"],
        referencedTableName: "smart_accounts",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_801d1b0929752be3a99606c1a79",
        columnNames: ["virtual_account_id"],
        referencedTableName: "virtual_accounts",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
      {
        name: "FK_e005f84228bcb8e43fbb7385776",
        columnNames: ["registration_token_id"],
        referencedTableName: "registration_tokens",
        referencedColumnNames: ["id"],
        onDelete: "SET NULL",
      },
    ],
  },
  {
    name: "license_usages",
    columns: [
      { name: "product_instance_id", type: "int", isPrimary: true },
      { name: "product_id", type: "int", isPrimary: true },
      { name: "count", type: "int" },
    ],
    indices: [{ name: "IDX_c5a669317ec3d918f2f83ec08d", columnNames: ["product_id"] }],
    foreignKeys: [
      {
        name: "FK_f4c3f2a6799a7e2c20079052a9e",
        columnNames: ["product_instance_id"],
        referencedTableName: "product_instances",
        referencedColumnNames: ["id"],
        onDelete: "CASCADE",
      },
      {
        name: "FK_c5a669317ec3d918f2f83ec08dc",
        columnNames: ["product_id"],
        referencedTableName: "products",
        referencedColumnNames: ["id"],
        onDelete: "RESTRICT",
      },
    ],
  },
];
