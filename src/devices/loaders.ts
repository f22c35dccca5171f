import { LicenseUsage, Product, ProductInstance, RegistrationToken } from "../../entities";
import { cached } from "../collections";
import type { Scope } from "../actor";
import { byGroupLoader, byIdLoader, oneOf, pagedLoader } from "../db/loader-kit";
import { hydrate, prefixedColumns, SortKey } from "../db/windowed";

const BY_ID: SortKey[] = [{ column: "pi.id", property: "id" }];

/** Per-request loaders for product instances, their usage and registration tokens. */
export function deviceLoaders(context: Scope) {
  const { db, access } = context;
  return {
    productInstance: byIdLoader(db, ProductInstance),
    registrationToken: byIdLoader(db, RegistrationToken),

    /** VirtualAccount.productInstances: the devices registered in that Virtual Account. */
    virtualAccountProductInstances: pagedLoader<ProductInstance>(db, (vaIds) => ({
      entity: ProductInstance,
      kind: "VirtualAccount.productInstances",
      from: "product_instances pi",
      alias: "pi",
      partitionBy: "pi.virtual_account_id",
      where: "pi.virtual_account_id IN (:...vaIds)",
      params: { vaIds },
      sort: BY_ID,
    })),

    /** SmartAccount.productInstances: every device where the viewer may see devices. */
    smartAccountProductInstances: pagedLoader<ProductInstance>(db, (accountIds) => {
      const scope = access.sqlScopeOfRows(
        "licenses:read",
        { account: "pi.smart_account_id", virtualAccount: "pi.virtual_account_id" },
        oneOf(accountIds),
      );
      return {
        entity: ProductInstance,
        kind: "SmartAccount.productInstances",
        from: "product_instances pi",
        alias: "pi",
        partitionBy: "pi.smart_account_id",
        // As SmartAccount.licenses: the page walks (account, id, Virtual Account), a subtree's total its devices.
        where: `pi.smart_account_id IN (:...accountIds) AND ${scope.sql}`,
        totalWhere: scope.sql,
        params: { accountIds, ...scope.params },
        sort: BY_ID,
      };
    }),

    /** ProductInstance.usage, by product SKU order of insertion. */
    usage: byGroupLoader(
      // With its product joined, so LicenseUsage.product costs no statement of its own.
      async (instanceIds) => {
        const columns = `${prefixedColumns(db.dataSource, LicenseUsage, "lu", "lu__")}, ${prefixedColumns(db.dataSource, Product, "p", "p__")}`;
        const rows: Record<string, unknown>[] = await db.dataSource.query(
          `SELECT ${columns} FROM license_usages lu JOIN products p ON p.id = lu.product_id
            WHERE lu.product_instance_id IN (${instanceIds.map(() => "?").join(", ")})
            ORDER BY lu.product_instance_id, lu.product_id`,
          instanceIds,
        );
        const products = new Map<number, Product>();
        return rows.map((row) => {
          const usage = hydrate(db, LicenseUsage, row, "lu__");
          usage.product = cached(products, usage.productId, () => hydrate(db, Product, row, "p__"));
          return usage;
        });
      },
      (row) => row.productInstanceId,
    ),

    /** VirtualAccount.registrationTokens, newest first; revoked ones stay listed (R23). */
    registrationTokens: pagedLoader<RegistrationToken>(db, (vaIds) => ({
      entity: RegistrationToken,
      kind: "VirtualAccount.registrationTokens",
      from: "registration_tokens t",
      alias: "t",
      partitionBy: "t.virtual_account_id",
      where: "t.virtual_account_id IN (:...vaIds)",
      params: { vaIds },
      sort: [{ column: "t.id", property: "id", descending: true }],
    })),
  };
}
