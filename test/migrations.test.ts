import { startTestServer, TestServer } from "./support/harness";

describe("migrations", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it(`run on ${process.env.DATABASE_URL ? "MySQL/MariaDB" : "SQLite"} and leave nothing for TypeORM to synchronize`, async () => {
    expect(server.kind).toBe(process.env.DATABASE_URL ? "mysql" : "sqlite");
    const pending = await server.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it("index every foreign key column", async () => {
    const missing: string[] = [];
    for (const metadata of server.db.dataSource.entityMetadatas) {
      const leading = new Set([
        ...metadata.indices.map((index) => index.columns[0]?.databaseName),
        metadata.primaryColumns[0]?.databaseName,
      ]);
      for (const key of metadata.foreignKeys) {
        if (!leading.has(key.columnNames[0])) missing.push(`${metadata.tableName}.${key.columnNames[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
