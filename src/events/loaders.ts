import { Event } from "../../entities";
import type { Scope } from "../actor";
import { byIdLoader, pagedLoader } from "../db/loader-kit";
import { SortKey } from "../db/windowed";

const NEWEST_FIRST: SortKey[] = [{ column: "e.id", property: "id", descending: true }];

/** Per-request loaders for the audit trail (R29), scoped by "see events" (§5). */
export function eventLoaders(context: Scope) {
  const { db, access } = context;
  const scope = () => access.sqlScope("events:read", { account: "e.smart_account_id", path: "va.path" });
  return {
    event: byIdLoader(db, Event),

    /** SmartAccount.events: all for admins and approvers; a VA admin's, those of Virtual Accounts in scope. */
    smartAccountEvents: pagedLoader<Event>(db, (accountIds) => {
      const { sql, params } = scope();
      return {
        entity: Event,
        kind: "SmartAccount.events",
        from: "events e LEFT JOIN virtual_accounts va ON va.id = e.virtual_account_id",
        alias: "e",
        partitionBy: "e.smart_account_id",
        where: `e.smart_account_id IN (:...accountIds) AND ${sql}`,
        params: { accountIds, ...params },
        sort: NEWEST_FIRST,
      };
    }),

    /** VirtualAccount.events: the events about that very Virtual Account. */
    virtualAccountEvents: pagedLoader<Event>(db, (virtualAccountIds) => {
      const { sql, params } = scope();
      return {
        entity: Event,
        kind: "VirtualAccount.events",
        from: "events e JOIN virtual_accounts va ON va.id = e.virtual_account_id",
        alias: "e",
        partitionBy: "e.virtual_account_id",
        where: `e.virtual_account_id IN (:...virtualAccountIds) AND ${sql}`,
        params: { virtualAccountIds, ...params },
        sort: NEWEST_FIRST,
      };
    }),
  };
}
