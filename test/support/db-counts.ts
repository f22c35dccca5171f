import { TestServer } from "./harness";

/** Rows in one table, read straight from the database (R29 checks). */
export async function countRows(server: TestServer, table: string, where = "1 = 1", params: unknown[] = []): Promise<number> {
  const rows: { n: unknown }[] = await server.db.dataSource.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
  return Number(rows[0].n);
}

export const eventCount = (server: TestServer): Promise<number> => countRows(server, "events");

/** The type of the newest event. */
export async function lastEventType(server: TestServer): Promise<string> {
  const rows: { type: string }[] = await server.db.dataSource.query("SELECT type FROM events ORDER BY id DESC LIMIT 1");
  return rows[0]?.type;
}

const TABLES = ["users", "smart_accounts", "virtual_accounts", "role_assignments", "access_requests", "registration_tokens", "events"];

/**
 * A fingerprint of everything the account/tree/role mutations write: row counts plus the mutable
 * columns, so "a failed mutation changes nothing" (R3, R29) compares equal before and after.
 */
export async function snapshot(server: TestServer): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) out[table] = await countRows(server, table);
  const q = (sql: string) => server.db.dataSource.query(sql);
  out.accounts = await q("SELECT id, name, domain, status, awaiting_domain_approval AS a FROM smart_accounts ORDER BY id");
  out.tree = await q("SELECT id, parent_id, name, description, depth, path FROM virtual_accounts ORDER BY id");
  out.roles = await q("SELECT id, user_id, smart_account_id, virtual_account_id, role FROM role_assignments ORDER BY id");
  out.requests = await q("SELECT id, status FROM access_requests ORDER BY id");
  return JSON.parse(JSON.stringify(out, (_key, value) => (typeof value === "bigint" ? Number(value) : value)));
}
