import { In } from "typeorm";
import { SmartAccount, VirtualAccount } from "../../entities";
import type { Scope } from "../actor";
import { byColumnLoader, byIdLoader, pagedLoader } from "../db/loader-kit";
import { SortKey } from "../db/windowed";

/** Virtual Accounts list parents before children: the materialized path is a depth-first order. */
export const VIRTUAL_ACCOUNT_ORDER: SortKey[] = [{ column: "va.path", property: "path" }];

/** Per-request loaders for Smart Accounts and the Virtual Account tree; every list is scoped in SQL. */
export function accountLoaders(context: Scope) {
  const { db, access } = context;
  return {
    smartAccount: byIdLoader(db, SmartAccount),
    virtualAccount: byIdLoader(db, VirtualAccount),

    defaultVirtualAccount: byColumnLoader<VirtualAccount, number>(
      (accountIds) => db.manager.findBy(VirtualAccount, { smartAccountId: In([...accountIds]), isDefault: true }),
      (va) => va.smartAccountId,
    ),

    /** SmartAccount.virtualAccounts: top-level ones for account-wide roles, the assigned roots for VA roles. */
    topVirtualAccounts: pagedLoader<VirtualAccount>(db, (accountIds) => {
      const whole: number[] = [];
      const roots: string[] = [];
      for (const accountId of accountIds) {
        const reach = access.reach("virtualAccounts:read", accountId);
        if (reach.all) whole.push(accountId);
        else roots.push(...reach.paths);
      }
      const terms = [
        ...(whole.length ? ["(va.smart_account_id IN (:...whole) AND va.parent_id IS NULL)"] : []),
        ...(roots.length ? ["va.path IN (:...roots)"] : []),
      ];
      return {
        entity: VirtualAccount,
        kind: "SmartAccount.virtualAccounts",
        from: "virtual_accounts va",
        alias: "va",
        partitionBy: "va.smart_account_id",
        where: `va.smart_account_id IN (:...accountIds) AND ${terms.length ? `(${terms.join(" OR ")})` : "1 = 0"}`,
        params: { accountIds, whole, roots },
        sort: VIRTUAL_ACCOUNT_ORDER,
      };
    }),

    /** SmartAccount.allVirtualAccounts: every Virtual Account in the viewer's reach, parents first. */
    allVirtualAccounts: pagedLoader<VirtualAccount>(db, (accountIds) => {
      const scope = access.sqlScope("virtualAccounts:read");
      return {
        entity: VirtualAccount,
        kind: "SmartAccount.allVirtualAccounts",
        from: "virtual_accounts va",
        alias: "va",
        partitionBy: "va.smart_account_id",
        where: `va.smart_account_id IN (:...accountIds) AND ${scope.sql}`,
        params: { accountIds, ...scope.params },
        sort: VIRTUAL_ACCOUNT_ORDER,
      };
    }),

    /** VirtualAccount.children: one windowed statement per level of the tree. */
    children: pagedLoader<VirtualAccount>(db, (parentIds) => {
      const scope = access.sqlScope("virtualAccounts:read");
      return {
        entity: VirtualAccount,
        kind: "VirtualAccount.children",
        from: "virtual_accounts va",
        alias: "va",
        partitionBy: "va.parent_id",
        where: `va.parent_id IN (:...parentIds) AND ${scope.sql}`,
        params: { parentIds, ...scope.params },
        sort: VIRTUAL_ACCOUNT_ORDER,
      };
    }),
  };
}
