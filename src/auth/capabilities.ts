import { Role } from "../../entities";

/**
 * The capability vocabulary of SPEC §5. Each capability lists the Smart Account roles that hold it
 * account-wide and the Virtual Account roles that hold it over their scope (the assigned Virtual
 * Account and all its descendants). Anything not listed is denied.
 */
export const CAPABILITIES = {
  "virtualAccounts:read": {
    what: "see this Virtual Account",
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER],
  },
  "smartAccount:update": { what: "update this Smart Account", account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "smartAccount:activate": { what: "activate this Smart Account", account: [Role.SMART_ACCOUNT_APPROVER], scoped: [] },
  "virtualAccounts:write": { what: "change this Smart Account's Virtual Accounts", account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "roles:read": {
    what: "see these role assignments",
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  "roles:manageAccount": { what: "grant or revoke Smart Account roles here", account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "roles:manageVirtual": {
    what: "grant or revoke Virtual Account roles here",
    account: [Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  "accessRequests:manage": { what: "decide this Smart Account's access requests", account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "domainPrefix:approve": { what: "approve this prefixed domain", account: [Role.SMART_ACCOUNT_ADMIN], scoped: [] },
  "events:read": {
    what: "see these events",
    account: [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  "licenses:read": {
    what: "see licenses and devices here",
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER],
  },
  "licenses:manage": {
    what: "manage licenses, tokens and devices here",
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER],
  },
  "licenses:convert": { what: "convert classic licenses", account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER], scoped: [] },
  "orders:read": {
    what: "see this Smart Account's orders",
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [],
  },
  "orders:assign": { what: "assign orders out of this holding account", account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER], scoped: [] },
  "alerts:subscribe": {
    what: "follow alert changes here",
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER],
  },
  "webhooks:manage": {
    what: "see and manage webhooks here",
    account: [Role.SMART_ACCOUNT_ADMIN],
    scoped: [Role.VIRTUAL_ACCOUNT_ADMIN],
  },
  // Placing orders is no role's (R15): only the orders:write service scope places them (ServiceScope).
  /**
   * Moving licenses or devices out of the Smart Account, on the source account (R19, R26): an
   * account-level decision, so no Virtual Account role holds it, whatever it manages in its scope.
   */
  "licenses:moveOut": {
    what: "move licenses or devices out of this Smart Account",
    account: [Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER],
    scoped: [],
  },
} satisfies Record<string, { what: string; account: Role[]; scoped: Role[] }>;

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

/**
 * A FORBIDDEN message in the user's words (R3, R4): what they may not do and which roles would let
 * them, e.g. `You may not manage licenses, tokens and devices here ("Finance"): that needs
 * SMART_ACCOUNT_ADMIN, SMART_ACCOUNT_USER, or VIRTUAL_ACCOUNT_ADMIN or VIRTUAL_ACCOUNT_USER on that
 * Virtual Account or one above it.`
 */
export function forbiddenMessage(capability: Capability, where?: string): string {
  const { what, account, scoped } = CAPABILITIES[capability] as { what: string; account: readonly Role[]; scoped: readonly Role[] };
  const holders = [account.join(", "), scoped.length ? `${scoped.join(" or ")} on that Virtual Account or one above it` : ""]
    .filter(Boolean)
    .join(", or ");
  return `You may not ${what}${where ? ` ("${where}")` : ""}: that needs ${holders}.`;
}
