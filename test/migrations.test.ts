import { skuKey } from "../entities";
import { startTestServer, TestServer } from "./support/harness";

describe("migrations", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const pendingSchemaChanges = async (): Promise<string[]> =>
    (await server.db.dataSource.driver.createSchemaBuilder().log()).upQueries.map((query) => query.query);

  it(`run on ${process.env.DATABASE_URL ? "MySQL/MariaDB" : "SQLite"} and leave nothing for TypeORM to synchronize`, async () => {
    expect(server.kind).toBe(process.env.DATABASE_URL ? "mysql" : "sqlite");
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it("index every foreign key column", async () => {
    const missing: string[] = [];
    for (const metadata of server.db.dataSource.entityMetadatas) {
      const leading = new Set([...metadata.indices.map((index) => index.columns[0]?.databaseName), metadata.primaryColumns[0]?.databaseName]);
      for (const key of metadata.foreignKeys) {
        if (!leading.has(key.columnNames[0])) missing.push(`${metadata.tableName}.${key.columnNames[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  describe("SkuKey1764200000000", () => {
    const db = () => server.db.dataSource;
    const keys = async (): Promise<Record<string, string>> =>
      Object.fromEntries(
        ((await db().query("SELECT sku, sku_key FROM products ORDER BY id")) as { sku: string; sku_key: string }[]).map((row) => [
          row.sku,
          row.sku_key,
        ]),
      );
    const insertProduct = (sku: string) =>
      db().query("INSERT INTO products (sku, name, model, smart_enabled, created_at, updated_at) VALUES (?, ?, 'PERPETUAL', 1, ?, ?)", [
        sku,
        `Product ${sku}`,
        "2026-01-01 00:00:00.000",
        "2026-01-01 00:00:00.000",
      ]);
    /** Whether products has the key column now, as the database's catalog says. */
    const hasKeyColumn = async (): Promise<boolean> => {
      const runner = db().createQueryRunner();
      try {
        return !!(await runner.getTable("products"))?.findColumnByName("sku_key");
      } finally {
        await runner.release();
      }
    };
    /** Whether a statement fails (better-sqlite3's errors may come from another realm than jest's `rejects.toThrow` knows). */
    const fails = (statement: Promise<unknown>): Promise<boolean> =>
      statement.then(
        () => false,
        () => true,
      );
    /** Undoes the migrations after SkuKey, then SkuKey itself. */
    const revert = async () => {
      while ((await db().query("SELECT name FROM migrations ORDER BY id DESC LIMIT 1"))[0]?.name !== "SkuKey1764200000000") {
        await db().undoLastMigration({ transaction: "each" });
      }
      await db().undoLastMigration({ transaction: "each" });
      expect(await hasKeyColumn()).toBe(false);
    };

    it("fills the key of every existing product, keeps the products lots refer to, and comes back down", async () => {
      // A lot refers to a seeded product while the key is added (SQLite rebuilds the products table).
      const account = await server.build.account("sku-key-migration.example.com");
      const lot = await account.license(account.defaultVirtualAccount, "ASAv10-THREAT-1Y", 3);
      await revert();
      const decomposed = "CAFE\u0301-1";
      await insertProduct("  Mixed-Case-9 ");
      await insertProduct(decomposed);

      await db().runMigrations({ transaction: "each" });
      const after = await keys();
      expect(after["ASAv10-THREAT-1Y"]).toBe("asav10-threat-1y");
      expect(after["ISR4K-SEC"]).toBe("isr4k-sec");
      expect(after["  Mixed-Case-9 "]).toBe("mixed-case-9");
      expect(after[decomposed]).toBe("caf\u00e9-1");
      for (const [sku, key] of Object.entries(after)) expect(key).toBe(skuKey(sku));
      const [row] = (await db().query("SELECT p.sku FROM licenses l JOIN products p ON p.id = l.product_id WHERE l.id = ?", [lot.id])) as {
        sku: string;
      }[];
      expect(row.sku).toBe("ASAv10-THREAT-1Y");
      expect(await pendingSchemaChanges()).toEqual([]);
      // The key is unique: a second product with the same key is refused by the database itself.
      const duplicate = db().query(
        "INSERT INTO products (sku, sku_key, name, model, smart_enabled, created_at, updated_at) VALUES ('X-ISR4K-SEC', 'isr4k-sec', 'x', 'PERPETUAL', 1, ?, ?)",
        ["2026-01-01 00:00:00.000", "2026-01-01 00:00:00.000"],
      );
      expect(await fails(duplicate)).toBe(true);
      await db().query("DELETE FROM products WHERE sku IN (?, ?)", ["  Mixed-Case-9 ", decomposed]);
    });

    it("refuses SKUs that differ only in case or spacing, changing nothing, and runs once they are merged", async () => {
      await revert();
      // MariaDB's case-insensitive unique index on sku already refuses `isr4k-sec` beside `ISR4K-SEC`; a leading space it lets through.
      await insertProduct(" ISR4K-SEC");
      await expect(db().runMigrations({ transaction: "each" })).rejects.toThrow(/" ISR4K-SEC" = "ISR4K-SEC"|"ISR4K-SEC" = " ISR4K-SEC"/);
      expect(await hasKeyColumn()).toBe(false);
      await db().query("DELETE FROM products WHERE sku = ?", [" ISR4K-SEC"]);
      await db().runMigrations({ transaction: "each" });
      expect((await keys())["ISR4K-SEC"]).toBe("isr4k-sec");
      expect(await pendingSchemaChanges()).toEqual([]);
    });
  });
});
