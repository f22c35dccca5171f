import { Role, RoleAssignment, SmartAccount, User } from "../../entities";
import { CAPABILITIES, Capability, isSmartAccountRole } from "./capabilities";

/** A role assignment as the access model needs it: with the current path of its Virtual Account. */
export interface Grant {
  role: Role;
  smartAccountId: number;
  virtualAccountId: number | null;
  virtualAccountPath: string | null;
  assignment: RoleAssignment;
}

/** Where a capability reaches in one Smart Account: everywhere, or the subtrees under these paths. */
export interface Reach {
  all: boolean;
  paths: string[];
}

/** Anything placed in the tree: a Virtual Account, or an object that lives in one. */
export interface TreeTarget {
  smartAccountId: number;
  /** The Virtual Account's materialized path; omitted for account-level targets. */
  path?: string | null;
}

/** A SQL predicate with its named parameters, to AND into a list query. */
export interface SqlScope {
  sql: string;
  params: Record<string, unknown>;
}

const NOWHERE: Reach = { all: false, paths: [] };

/**
 * The one answer to "may this viewer do C here?" (SPEC §5, R4). Built once per request from the
 * viewer's role assignments; used by the shield rules at the API boundary, by list queries to scope
 * their SQL, and by services to re-check before every write.
 */
export class Access {
  private readonly byAccount = new Map<number, Grant[]>();
  private readonly reachCache = new Map<string, Reach>();

  constructor(
    readonly viewer: User | null,
    readonly scopes: ReadonlySet<string>,
    grants: Grant[],
  ) {
    for (const grant of grants) {
      const list = this.byAccount.get(grant.smartAccountId) ?? [];
      list.push(grant);
      this.byAccount.set(grant.smartAccountId, list);
    }
  }

  static anonymous(): Access {
    return new Access(null, new Set(), []);
  }

  get authenticated(): boolean {
    return this.viewer !== null;
  }

  hasScope(scope: string): boolean {
    return this.scopes.has(scope);
  }

  /** Smart Accounts in which the viewer holds any role. */
  get smartAccountIds(): number[] {
    return [...this.byAccount.keys()];
  }

  /** Those accounts themselves, as authentication loaded them with the grants (in no particular order). */
  get smartAccounts(): SmartAccount[] {
    return [...this.byAccount.values()].map((grants) => grants[0].assignment.smartAccount).filter((account) => account !== undefined);
  }

  grantsIn(smartAccountId: number): Grant[] {
    return this.byAccount.get(smartAccountId) ?? [];
  }

  /** §5: any role in an account lets the viewer see the account itself. */
  canSeeAccount(smartAccountId: number): boolean {
    return this.byAccount.has(smartAccountId);
  }

  hasRole(smartAccountId: number, role: Role): boolean {
    return this.grantsIn(smartAccountId).some((grant) => grant.role === role);
  }

  reach(capability: Capability, smartAccountId: number): Reach {
    const key = `${capability}@${smartAccountId}`;
    let reach = this.reachCache.get(key);
    if (!reach) {
      reach = this.computeReach(capability, smartAccountId);
      this.reachCache.set(key, reach);
    }
    return reach;
  }

  /** True when the capability reaches anywhere in the account (the whole of it, or some subtree). */
  canAnywhere(capability: Capability, smartAccountId: number): boolean {
    const reach = this.reach(capability, smartAccountId);
    return reach.all || reach.paths.length > 0;
  }

  /** Account-wide capability (no path) or the capability over one point of the tree. */
  can(capability: Capability, target: TreeTarget): boolean {
    const reach = this.reach(capability, target.smartAccountId);
    if (reach.all) return true;
    const path = target.path;
    return !!path && reach.paths.some((root) => path.startsWith(root));
  }

  /**
   * The capability as a SQL predicate, across every account the viewer is in (or just `smartAccountId`).
   * `columns` names the account column of the listed rows and the path column of their Virtual
   * Account (e.g. a LEFT JOIN for rows that may have none). Always a real predicate: no reach is `1 = 0`.
   */
  sqlScope(
    capability: Capability,
    columns: { account: string; path: string } = { account: "va.smart_account_id", path: "va.path" },
    smartAccountId?: number,
  ): SqlScope {
    const allAccounts: number[] = [];
    const paths: string[] = [];
    const accountIds = smartAccountId === undefined ? this.smartAccountIds : [smartAccountId];
    for (const accountId of accountIds) {
      const reach = this.reach(capability, accountId);
      if (reach.all) allAccounts.push(accountId);
      else paths.push(...reach.paths);
    }
    const terms: string[] = [];
    const params: Record<string, unknown> = {};
    const prefix = `scope_${capability.replace(/[^a-z]/gi, "_")}`;
    if (allAccounts.length) {
      terms.push(`${columns.account} IN (:...${prefix}_accounts)`);
      params[`${prefix}_accounts`] = allAccounts;
    }
    paths.forEach((path, index) => {
      terms.push(`${columns.path} LIKE :${prefix}_p${index}`);
      params[`${prefix}_p${index}`] = `${path}%`;
    });
    return { sql: terms.length ? `(${terms.join(" OR ")})` : "1 = 0", params };
  }

  /**
   * The capability over rows that carry both their account and their Virtual Account (lots, devices),
   * with no join: account-wide reach tests the row's account column; subtree reach is a semi-join on the
   * Virtual Account column. Lets the database walk the rows' own (account, id) index in order.
   */
  sqlScopeOfRows(capability: Capability, columns: { account: string; virtualAccount: string }, smartAccountId?: number): SqlScope {
    const allAccounts: number[] = [];
    const paths: string[] = [];
    for (const accountId of smartAccountId === undefined ? this.smartAccountIds : [smartAccountId]) {
      const reach = this.reach(capability, accountId);
      if (reach.all) allAccounts.push(accountId);
      else paths.push(...reach.paths);
    }
    const prefix = `rows_${capability.replace(/[^a-z]/gi, "_")}`;
    const terms: string[] = [];
    const params: Record<string, unknown> = {};
    if (allAccounts.length) {
      terms.push(`${columns.account} IN (:...${prefix}_accounts)`);
      params[`${prefix}_accounts`] = allAccounts;
    }
    if (paths.length) {
      const likes = paths.map((path, index) => {
        params[`${prefix}_p${index}`] = `${path}%`;
        return `sv.path LIKE :${prefix}_p${index}`;
      });
      terms.push(`${columns.virtualAccount} IN (SELECT sv.id FROM virtual_accounts sv WHERE ${likes.join(" OR ")})`);
    }
    return { sql: terms.length ? `(${terms.join(" OR ")})` : "1 = 0", params };
  }

  private computeReach(capability: Capability, smartAccountId: number): Reach {
    const grants = this.byAccount.get(smartAccountId);
    if (!grants) return NOWHERE;
    const rule = CAPABILITIES[capability];
    const accountRoles: readonly Role[] = rule.account;
    const scopedRoles: readonly Role[] = rule.scoped;
    if (grants.some((grant) => isSmartAccountRole(grant.role) && accountRoles.includes(grant.role))) {
      return { all: true, paths: [] };
    }
    const roots = grants
      .filter((grant) => grant.virtualAccountPath && scopedRoles.includes(grant.role))
      .map((grant) => grant.virtualAccountPath as string);
    return { all: false, paths: minimalRoots(roots) };
  }
}

/** Drops every path that lies under another one of the list, and duplicates. */
export function minimalRoots(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const roots: string[] = [];
  for (const path of sorted) if (!roots.some((root) => path.startsWith(root))) roots.push(path);
  return roots;
}
