import { In } from "typeorm";
import { LicenseUsage, ProductInstance, RegistrationToken } from "../../entities";
import { RequestContext } from "../context";
import { byGroupLoader, byIdLoader, pagedLoader } from "../db/loader-kit";
import { SortKey } from "../db/windowed";

const BY_ID: SortKey[] = [{ column: "pi.id", property: "id" }];

/** Per-request loaders for product instances, their usage and registration tokens. */
export function deviceLoaders(context: RequestContext) {
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
      const scope = access.sqlScopeOfRows("licenses:read", { account: "pi.smart_account_id", virtualAccount: "pi.virtual_account_id" });
      return {
        entity: ProductInstance,
        kind: "SmartAccount.productInstances",
        from: "product_instances pi",
        alias: "pi",
        partitionBy: "pi.smart_account_id",
        where: `pi.smart_account_id IN (:...accountIds) AND ${scope.sql}`,
        params: { accountIds, ...scope.params },
        sort: BY_ID,
      };
    }),

    /** ProductInstance.usage, by product SKU order of insertion. */
    usage: byGroupLoader(
      // With its product joined, so LicenseUsage.product costs no statement of its own.
      (instanceIds) =>
        db.manager.find(LicenseUsage, {
          where: { productInstanceId: In(instanceIds) },
          relations: { product: true },
          order: { productInstanceId: "ASC", productId: "ASC" },
        }),
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
