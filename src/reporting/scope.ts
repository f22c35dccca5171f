import { accountPlace, Guard, virtualAccountPlace } from "../auth/guard";
import { forbiddenMessage } from "../auth/capabilities";
import { SmartAccount, VirtualAccount } from "../../entities";
import { displayPath } from "../accounts/tree";
import { Access } from "../auth/access";
import { Database } from "../db/database";
import { Sql, sql } from "../db/sql";
import { ForbiddenError, InputError, NotFoundError } from "../errors";
import { parseGlobalId } from "../ids";

/** What an export covers: one account, the viewer's "see licenses" reach in it, optionally one subtree. */
export interface ExportScope {
  account: SmartAccount;
  /** Predicate over `va` (the rows' Virtual Account): the viewer's reach AND the requested subtree. */
  where: Sql;
  /**
   * The same over rows that carry their account and Virtual Account (lots, devices), without a join
   * unless a subtree asks for one: account-wide reach is a test of the row's account column.
   */
  rows(columns: { account: string; virtualAccount: string }): Sql;
  /** Display path ("US / Finance / Sacramento") of each visible Virtual Account of the account. */
  paths: Map<number, string>;
  names: Map<number, string>;
}

/**
 * Resolves `?domain=&virtualAccountId=&includeDescendants=` exactly as the graph would (R4, §5): an
 * account or Virtual Account the viewer cannot see → 404, no right to see licenses there → 403.
 */
export async function exportScope(
  db: Database,
  access: Access,
  params: { domain?: string; virtualAccountId?: string; includeDescendants?: string },
): Promise<ExportScope> {
  const domain = params.domain?.trim().toLowerCase();
  if (!domain) throw new InputError("domain", "domain is required, e.g. ?domain=acme.com");
  const guard = new Guard(db, () => access);
  const account = await db.manager.findOneBy(SmartAccount, { domain });
  if (!account || !guard.visible("SmartAccount", account, accountPlace(account.id))) {
    throw new NotFoundError(`A Smart Account with the domain ${domain}`);
  }
  if (params.includeDescendants !== undefined && !["true", "false"].includes(params.includeDescendants)) {
    throw new InputError("includeDescendants", "includeDescendants must be true or false.");
  }

  const reach = sql.fromNamed(access.sqlScope("licenses:read", { account: "va.smart_account_id", path: "va.path" }, account.id));
  // The requested subtree or Virtual Account: over `va`, and over a row's Virtual Account column.
  let subtree: { va: Sql; rows: (virtualAccount: Sql) => Sql } | null = null;
  if (params.virtualAccountId) {
    const parsed = parseGlobalId(params.virtualAccountId);
    if (!parsed || parsed.type !== "VirtualAccount") throw new InputError("virtualAccountId", "virtualAccountId is not a Virtual Account id.");
    const va = await db.manager.findOneBy(VirtualAccount, { id: parsed.id, smartAccountId: account.id });
    if (!va || !guard.visible("VirtualAccount", va, virtualAccountPlace(va))) throw guard.notFound("VirtualAccount", "virtualAccountId");
    guard.assert("licenses:read", virtualAccountPlace(va));
    if (params.includeDescendants === "true") {
      const under = `${va.path}%`;
      subtree = {
        va: sql`va.path LIKE ${under}`,
        rows: (column) => sql`${column} IN (SELECT sub.id FROM virtual_accounts sub WHERE sub.path LIKE ${under})`,
      };
    } else {
      subtree = { va: sql`va.id = ${va.id}`, rows: (column) => sql`${column} = ${va.id}` };
    }
  } else if (!access.canAnywhere("licenses:read", account.id)) {
    throw new ForbiddenError(forbiddenMessage("licenses:read"));
  }

  // Paths name only the Virtual Accounts the viewer can see (R4: an invisible parent does not exist).
  const vas = await db.manager.find(VirtualAccount, { where: { smartAccountId: account.id }, order: { path: "ASC" } });
  const visible = new Map(vas.filter((va) => guard.visible("VirtualAccount", va, virtualAccountPlace(va))).map((va) => [va.id, va]));
  const names = new Map([...visible.values()].map((va) => [va.id, va.name]));
  const paths = new Map([...visible.values()].map((va) => [va.id, displayPath(va.path, names)]));
  const rows = (columns: { account: string; virtualAccount: string }): Sql => {
    const own = sql.fromNamed(access.sqlScopeOfRows("licenses:read", columns, account.id));
    return subtree ? sql`(${own} AND ${subtree.rows(sql.raw(columns.virtualAccount))})` : own;
  };
  return { account, where: subtree ? sql`(${reach} AND ${subtree.va})` : sql`(${reach})`, rows, paths, names };
}
