import { Role } from "../../entities";

/**
 * The capability vocabulary of SPEC §5. Each capability lists the Smart Account roles that hold it
 * account-wide and the Virtual Account roles that hold it over their scope (the assigned Virtual
 * Account and all its descendants). Anything not listed is denied.
 */
export const CAPABILITIES = {
  "virtualAccounts:read": {
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER],
  },
  "smartAccount:update": { account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "smartAccount:activate": { account: [Role.SMART_ACCOUNT_APPROVER], scoped: [] },
  "virtualAccounts:write": { account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "roles:read": {
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  "roles:manageAccount": { account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "roles:manageVirtual": { account: [Role.SMART_ACCOUNT_ADMIN], scoped: [Role.VIRTUAL_ACCOUNT_ADMIN] },
  "accessRequests:manage": { account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "domainPrefix:approve": { account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "events:read": {
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  "licenses:read": {
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER],
  },
  "licenses:manage": {
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER],
  },
  "licenses:convert": { account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER], scoped: [] },
  "orders:read": {
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [],
  },
  "orders:assign": { account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER], scoped: [] },
  // Placing orders is no role's (R15): only the orders:write service scope places them (ServiceScope).
  /**
   * Moving licenses or devices out of the Smart Account, on the source account (R19, R26): an
   * account-level decision, so no Virtual Account role holds it, whatever it manages in its scope.
   */
  "licenses:moveOut": { account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER], scoped: [] },
} satisfies Record<string, { account: Role[]; scoped: Role[] }>;

export type Capability = keyof typeof CAPABILITIES;

export const SMART_ACCOUNT_ROLES: ReadonlySet<Role> = new Set([
  Role.SMART_ACCOUNT_APPROVER,
  Role.SMART_ACCOUNT_ADMIN,
  Role.SMART_ACCOUNT_USER,
  Role.SMART_ACCOUNT_VIEWER,
]);

export const isSmartAccountRole = (role: Role): boolean => SMART_ACCOUNT_ROLES.has(role);

/** Service scopes (R2): what an integration's token may do beyond any role. */
export enum ServiceScope {
  ORDERS_WRITE = "orders:write",
  CATALOG_WRITE = "catalog:write",
}
