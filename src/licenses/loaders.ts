import DataLoader from "dataloader";
import { License, LicenseTag } from "../../entities";
import { groupBy } from "../collections";
import type { Scope } from "../actor";
import { byGroupLoader, byIdLoader, oneOf, pagedLoader, selectIn } from "../db/loader-kit";
import { Sql, sql } from "../db/sql";
import { SortKey } from "../db/windowed";
import { Alert, byUrgency } from "./alerts";
import { loadAlerts } from "./alert-rows";
import { LicenseFilter, licenseFilterTerms } from "./filter";
import { SubtreeRoot } from "./kept-pools";
import { exactVirtualAccounts, LicensePool, loadPools, loadSubtreePools } from "./pools";

const BY_ID: SortKey[] = [{ property: "id" }];

/** Per-request loaders for license lots, their tags, pools and the lots alerts look at. */
export function licenseLoaders(context: Scope) {
  const { db, access, clock } = context;
  const now = clock.now();
  /** Where the viewer may see licenses, over Virtual Accounts `va`. */
  const seesLicenses = (): Sql => sql.fromNamed(access.sqlScope("licenses:read"));
  const poolLoader = (scopeOf: (ids: number[]) => Parameters<typeof loadPools>[1]) =>
    new DataLoader<number, LicensePool[]>(async (ids) => {
      const pools = await loadPools(db.manager, scopeOf([...ids]), now);
      return ids.map((id) => pools.get(id) ?? []);
    });

  /** Pools of each visible Virtual Account of an account, keyed by Virtual Account (SmartAccount.usageSummary). */
  const visibleVirtualAccountPools = new DataLoader<number, Map<number, LicensePool[]>>(async (accountIds) => {
    const pools = await loadPools(
      db.manager,
      {
        owner: sql`va.id`,
        account: sql`va.smart_account_id`,
        from: sql`virtual_accounts va`,
        perVirtualAccount: true,
        where: sql`${sql.in(sql`va.smart_account_id`, accountIds)} AND ${seesLicenses()}`,
      },
      now,
    );
    const byAccount = groupBy(pools, ([, list]) => list[0].accountId);
    return accountIds.map((accountId) => new Map(byAccount.get(accountId) ?? []));
  });

  return {
    license: byIdLoader(db, License),

    /** VirtualAccount.licenses: the lots of that Virtual Account. */
    virtualAccountLicenses: pagedLoader<License, LicenseFilter | null>(db, (vaIds, filter) => {
      return {
        entity: License,
        kind: "VirtualAccount.licenses",
        from: sql`licenses l`,
        alias: "l",
        partitionBy: "l.virtual_account_id",
        where: sql.join([sql.in(sql`l.virtual_account_id`, vaIds), ...licenseFilterTerms(filter, now)], " AND "),
        sort: BY_ID,
      };
    }),

    /** SmartAccount.licenses: every lot in a Virtual Account where the viewer may see licenses. */
    smartAccountLicenses: pagedLoader<License, LicenseFilter | null>(db, (accountIds, filter) => {
      const filters = licenseFilterTerms(filter, now);
      const scope = sql.fromNamed(
        access.sqlScopeOfRows("licenses:read", { account: "l.smart_account_id", virtualAccount: "l.virtual_account_id" }, oneOf(accountIds)),
      );
      return {
        entity: License,
        kind: "SmartAccount.licenses",
        from: sql`licenses l`,
        alias: "l",
        partitionBy: "l.smart_account_id",
        // The page walks the account's (account, id, Virtual Account) index in id order.
        where: sql.join([sql.in(sql`l.smart_account_id`, accountIds), scope, ...filters], " AND "),
        // One account's own scope needs no account column: a subtree's total counts its Virtual Accounts' lots.
        totalWhere: sql.join([scope, ...filters], " AND "),
        sort: BY_ID,
      };
    }),

    tags: byGroupLoader(
      (licenseIds) => selectIn(db, LicenseTag, "license_id", licenseIds, "tag"),
      (row) => row.licenseId,
      (row) => row.tag,
    ),

    /** R27 pools: one statement per level for all the Virtual Accounts asked about. */
    pools: poolLoader(exactVirtualAccounts),
    /** includeDescendants: keyed by the root Virtual Account itself (its path bounds the statement), cached by id. */
    subtreePools: new DataLoader<SubtreeRoot, LicensePool[], number>(
      async (roots) => {
        const pools = await loadSubtreePools(db.manager, roots, now);
        return roots.map((root) => pools.get(root.id) ?? []);
      },
      { cacheKeyFn: (root) => root.id },
    ),
    /** SmartAccount.licensePools: summed over every Virtual Account where the viewer may see licenses. */
    accountPools: poolLoader((accountIds) => ({
      owner: sql`va.smart_account_id`,
      from: sql`virtual_accounts va`,
      where: sql`${sql.in(sql`va.smart_account_id`, accountIds)} AND ${seesLicenses()}`,
    })),
    visibleVirtualAccountPools,

    /** R28 for Virtual Accounts: their own alerts, one statement for all asked about. */
    virtualAccountAlerts: new DataLoader<number, Alert[]>(async (vaIds) => {
      const alerts = await loadAlerts(db.manager, { where: sql.in(sql`va.id`, vaIds), partition: "id" }, now);
      return vaIds.map((id) => (alerts.get(id) ?? []).sort(byUrgency));
    }),

    /** R28 for Smart Accounts: every Virtual Account where the viewer may see licenses. */
    accountAlerts: new DataLoader<number, Alert[]>(async (accountIds) => {
      const alerts = await loadAlerts(
        db.manager,
        { where: sql`${sql.in(sql`va.smart_account_id`, accountIds)} AND ${seesLicenses()}`, partition: "smart_account_id" },
        now,
      );
      return accountIds.map((id) => (alerts.get(id) ?? []).sort(byUrgency));
    }),
  };
}
