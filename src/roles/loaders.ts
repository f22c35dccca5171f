import DataLoader from "dataloader";
import { AccessRequest, AccessRequestStatus, RoleAssignment } from "../../entities";
import type { UserPlaces } from "../auth/guard";
import type { Scope } from "../actor";
import { byIdLoader, pagedLoader } from "../db/loader-kit";
import { SortKey } from "../db/windowed";

const BY_ID: SortKey[] = [{ column: "ra.id", property: "id" }];
const NEWEST_FIRST: SortKey[] = [{ column: "ar.id", property: "id", descending: true }];

/** Per-request loaders for role assignments and access requests, scoped by §5 in SQL. */
export function roleLoaders(context: Scope) {
  const { db, access } = context;
  return {
    roleAssignment: byIdLoader(db, RoleAssignment),
    accessRequest: byIdLoader(db, AccessRequest),

    /** SmartAccount.roleAssignments: all for account-wide admins/approvers, VA roles in scope for VA admins. */
    smartAccountRoleAssignments: pagedLoader<RoleAssignment>(db, (accountIds) => {
      const scope = access.sqlScope("roles:read", { account: "ra.smart_account_id", path: "va.path" });
      return {
        entity: RoleAssignment,
        kind: "SmartAccount.roleAssignments",
        from: "role_assignments ra LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id",
        alias: "ra",
        partitionBy: "ra.smart_account_id",
        where: `ra.smart_account_id IN (:...accountIds) AND ${scope.sql}`,
        params: { accountIds, ...scope.params },
        sort: BY_ID,
      };
    }),

    /** VirtualAccount.roleAssignments: the Virtual Account roles assigned on that very Virtual Account. */
    virtualAccountRoleAssignments: pagedLoader<RoleAssignment>(db, (virtualAccountIds) => {
      const scope = access.sqlScope("roles:read", { account: "ra.smart_account_id", path: "va.path" });
      return {
        entity: RoleAssignment,
        kind: "VirtualAccount.roleAssignments",
        from: "role_assignments ra JOIN virtual_accounts va ON va.id = ra.virtual_account_id",
        alias: "ra",
        partitionBy: "ra.virtual_account_id",
        where: `ra.virtual_account_id IN (:...virtualAccountIds) AND ${scope.sql}`,
        params: { virtualAccountIds, ...scope.params },
        sort: BY_ID,
      };
    }),

    /** SmartAccount.accessRequests, newest first, for the account's admins. */
    smartAccountAccessRequests: pagedLoader<AccessRequest, AccessRequestStatus | null>(db, (accountIds, status) => {
      const scope = access.sqlScope("accessRequests:manage", { account: "ar.smart_account_id", path: "NULL" });
      return {
        entity: AccessRequest,
        kind: "SmartAccount.accessRequests",
        from: "access_requests ar",
        alias: "ar",
        partitionBy: "ar.smart_account_id",
        where: `ar.smart_account_id IN (:...accountIds) AND ${scope.sql}${status ? " AND ar.status = :status" : ""}`,
        params: { accountIds, status, ...scope.params },
        sort: NEWEST_FIRST,
      };
    }),

    /**
     * Where each user appears (R4 for `node` of a User): the places of their role assignments and the
     * accounts of their access requests. Two statements for any number of users.
     */
    userPlaces: new DataLoader<number, UserPlaces>(async (userIds) => {
      const marks = userIds.map(() => "?").join(", ");
      const assignments: { user_id: number; smart_account_id: number; path: string | null }[] = await db.dataSource.query(
        `SELECT ra.user_id, ra.smart_account_id, va.path FROM role_assignments ra
           LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id WHERE ra.user_id IN (${marks})`,
        [...userIds],
      );
      const requests: { user_id: number; smart_account_id: number }[] = await db.dataSource.query(
        `SELECT DISTINCT user_id, smart_account_id FROM access_requests WHERE user_id IN (${marks})`,
        [...userIds],
      );
      const places = new Map<number, UserPlaces>(userIds.map((id) => [id, { roles: [], accessRequests: [] }]));
      for (const row of assignments) {
        places.get(Number(row.user_id))?.roles.push({ smartAccountId: Number(row.smart_account_id), path: row.path ?? null });
      }
      for (const row of requests) places.get(Number(row.user_id))?.accessRequests.push(Number(row.smart_account_id));
      return userIds.map((id) => places.get(id) as UserPlaces);
    }),

    /** Viewer.accessRequests: the viewer's own, newest first. */
    ownAccessRequests: pagedLoader<AccessRequest>(db, (userIds) => ({
      entity: AccessRequest,
      kind: "Viewer.accessRequests",
      from: "access_requests ar",
      alias: "ar",
      partitionBy: "ar.user_id",
      where: "ar.user_id IN (:...userIds)",
      params: { userIds },
      sort: NEWEST_FIRST,
    })),
  };
}
