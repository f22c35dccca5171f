import { DataSource } from "typeorm";
import { RoleAssignment, SmartAccount, User } from "../../entities";
import { hydrate, prefixedColumns } from "../db/windowed";
import { Database } from "../db/database";
import { Clock } from "../clock";
import { cached } from "../collections";
import { Access, Grant } from "./access";
import { UnauthenticatedError } from "../errors";
import { Claims, TokenVerifier } from "./identity";

/**
 * R1 for any HTTP route: the Authorization header to the request's Access. No header is anonymous; a
 * malformed, expired or badly signed token is anonymous with the reason kept for the UNAUTHENTICATED error.
 */
export async function authenticate(
  db: Database,
  clock: Clock,
  verify: TokenVerifier,
  header: string | undefined,
): Promise<{ access: Access; authError: UnauthenticatedError | null }> {
  if (!header) return { access: Access.anonymous(), authError: null };
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return { access: Access.anonymous(), authError: new UnauthenticatedError("Send the token as `Authorization: Bearer <JWT>`.") };
  try {
    return { access: await loadAccess(db, clock, await verify(match[1])), authError: null };
  } catch (error) {
    if (error instanceof UnauthenticatedError) return { access: Access.anonymous(), authError: error };
    throw error;
  }
}

/**
 * Resolves a verified token to its user, role assignments and their Smart Accounts in one statement
 * (R1: the user row is created on first sight of an email), and builds the request's Access from them.
 * Each assignment comes with its account loaded, so `Viewer.smartAccounts` needs no statement of its own.
 */
export async function loadAccess(db: Database, clock: Clock, claims: Claims): Promise<Access> {
  let rows = await selectUserWithGrants(db, claims.email);
  if (!rows.length) {
    await db.manager
      .createQueryBuilder()
      .insert()
      .into(User)
      .values({ email: claims.email, name: claims.name, createdAt: clock.now() })
      .orIgnore()
      .execute();
    rows = await selectUserWithGrants(db, claims.email);
  }
  const user = hydrate(db, User, rows[0], "u__");
  if (claims.name && claims.name !== user.name) {
    await db.manager.update(User, { id: user.id }, { name: claims.name });
    user.name = claims.name;
  }
  return accessFromRows(db, user, claims.scopes, rows);
}

/**
 * R4: the same viewer's Access read again, after a write in this request changed their grants (one
 * statement, as at authentication). Scopes come from the token and do not change.
 */
export async function reloadAccess(db: Database, access: Access): Promise<Access> {
  if (!access.viewer) return access;
  const rows = await selectUserWithGrants(db, access.viewer.email);
  if (!rows.length) return access;
  return accessFromRows(db, hydrate(db, User, rows[0], "u__"), access.scopes, rows);
}

function accessFromRows(db: Database, user: User, scopes: ReadonlySet<string>, rows: Record<string, unknown>[]): Access {
  const accounts = new Map<number, SmartAccount>();
  const grants: Grant[] = rows
    .filter((row) => row.ra__id != null)
    .map((row) => {
      const assignment = hydrate(db, RoleAssignment, row, "ra__");
      assignment.smartAccount = cached(accounts, assignment.smartAccountId, () => hydrate(db, SmartAccount, row, "sa__"));
      return {
        role: assignment.role,
        smartAccountId: assignment.smartAccountId,
        virtualAccountId: assignment.virtualAccountId,
        virtualAccountPath: (row.va_path as string | null) ?? null,
        assignment,
      };
    });
  return new Access(user, scopes, grants);
}

function selectUserWithGrants(db: Database, email: string): Promise<Record<string, unknown>[]> {
  return db.prepared(authenticationSql(db.dataSource), [email]);
}

/** The statement depends only on the entities' columns: built once per data source. */
const authenticationStatements = new WeakMap<DataSource, string>();

function authenticationSql(dataSource: DataSource): string {
  return cached(authenticationStatements, dataSource, () => {
    const columns = [
      prefixedColumns(dataSource, User, "u", "u__"),
      prefixedColumns(dataSource, RoleAssignment, "ra", "ra__"),
      prefixedColumns(dataSource, SmartAccount, "sa", "sa__"),
    ];
    return `SELECT ${columns.join(", ")}, va.path AS va_path
       FROM users u
       LEFT JOIN role_assignments ra ON ra.user_id = u.id
       LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id
       LEFT JOIN smart_accounts sa ON sa.id = ra.smart_account_id
      WHERE u.email = ?
      ORDER BY ra.id`;
  });
}
