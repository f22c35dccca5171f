import { Order, OrderLine, OrderStatus } from "../../entities";
import type { Scope } from "../actor";
import { byGroupLoader, byIdLoader, pagedLoader, selectIn } from "../db/loader-kit";

/** Per-request loaders for orders and their lines. */
export function orderLoaders(context: Scope) {
  const { db, access } = context;
  return {
    order: byIdLoader(db, Order),

    orderLines: byGroupLoader(
      (orderIds) => selectIn(db, OrderLine, "order_id", orderIds, "id"),
      (line) => line.orderId,
    ),

    /** SmartAccount.orders, newest first, for the roles that see orders (§5). */
    smartAccountOrders: pagedLoader<Order, OrderStatus | null>(db, (accountIds, status) => {
      const scope = access.sqlScope("orders:read", { account: "o.smart_account_id", path: "NULL" });
      return {
        entity: Order,
        kind: "SmartAccount.orders",
        from: "orders o",
        alias: "o",
        partitionBy: "o.smart_account_id",
        where: `o.smart_account_id IN (:...accountIds) AND ${scope.sql}${status ? " AND o.status = :status" : ""}`,
        params: { accountIds, status, ...scope.params },
        sort: [{ column: "o.id", property: "id", descending: true }],
      };
    }),
  };
}
