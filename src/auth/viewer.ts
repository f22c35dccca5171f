import { RoleAssignment, User } from "../../entities";
import { hydrate } from "../db/windowed";
import { Database } from "../db/database";
import { Clock } from "../clock";
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
 * Resolves a verified token to its user and role assignments in one statement (R1: the user row is
 * created on first sight of an email), and builds the request's Access from them.
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
  const user = hydrate(db, User, prefixed(rows[0], "u__"));
  if (claims.name && claims.name !== user.name) {
    await db.manager.update(User, { id: user.id }, { name: claims.name });
    user.name = claims.name;
  }
  const grants: Grant[] = rows
    .filter((row) => row.ra__id != null)
    .map((row) => {
      const assignment = hydrate(db, RoleAssignment, prefixed(row, "ra__"));
      return {
        role: assignment.role,
        smartAccountId: assignment.smartAccountId,
        virtualAccountId: assignment.virtualAccountId,
        virtualAccountPath: (row.va_path as string | null) ?? null,
        assignment,
      };
    });
  return new Access(user, claims.scopes, grants);
}

function selectUserWithGrants(db: Database, email: string): Promise<Record<string, unknown>[]> {
  const userColumns = db.dataSource.getMetadata(User).columns.map((c) => `u.${c.databaseName} AS u__${c.databaseName}`);
  const grantColumns = db.dataSource
    .getMetadata(RoleAssignment)
    .columns.map((c) => `ra.${c.databaseName} AS ra__${c.databaseName}`);
  return db.dataSource.query(
    `SELECT ${[...userColumns, ...grantColumns].join(", ")}, va.path AS va_path
       FROM users u
       LEFT JOIN role_assignments ra ON ra.user_id = u.id
       LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id
      WHERE u.email = ?
      ORDER BY ra.id`,
    [email],
  );
}

function prefixed(row: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}
