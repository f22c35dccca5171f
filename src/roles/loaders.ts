import { AccessRequest, AccessRequestStatus, RoleAssignment } from "../../entities";
import { RequestContext } from "../context";
import { byIdLoader, pagedLoader } from "../db/loader-kit";
import { SortKey } from "../db/windowed";

const BY_ID: SortKey[] = [{ column: "ra.id", property: "id" }];
const NEWEST_FIRST: SortKey[] = [{ column: "ar.id", property: "id", descending: true }];

/** Per-request loaders for role assignments and access requests, scoped by §5 in SQL. */
export function roleLoaders(context: RequestContext) {
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
