import { Capability, ServiceScope } from "./capabilities";

/**
 * What each mutation needs (SPEC §5), beside the capability table: the shield reads it for every
 * mutation at the API boundary, and each service asserts the same entry again through the guard, on
 * the objects it locked (src/auth/guard.ts). test/mutations-table.test.ts fails if a mutation of the
 * schema is missing here.
 *
 * - `signedIn`: any signed-in user (R7, R14).
 * - `scope`: a service scope of the token, no role (R2, R15); `namesAccount` where the mutation names an
 *   account that, without the scope, must stay as invisible as §5 says (NOT_FOUND before FORBIDDEN, R4).
 * - `device`: the device's own registration token or credential, no bearer token (R24, R25).
 * - `needs`: a capability on the object the mutation names; where the mutation has cases, one per case.
 * - `leaving`: also needed on the source account when the move leaves its Smart Account (R19, R26).
 */
export type MutationRule =
  | { signedIn: true }
  | { scope: ServiceScope; namesAccount?: true }
  | { device: "registration token" | "device credential" }
  | { needs: Capability | Record<string, Capability>; leaving?: Capability };

export const MUTATIONS = {
  requestSmartAccount: { signedIn: true },
  approveDomainPrefix: { needs: "domainPrefix:approve" },
  activateSmartAccount: { needs: "smartAccount:activate" },
  updateSmartAccount: { needs: "smartAccount:update" },
  createVirtualAccount: { needs: "virtualAccounts:write" },
  updateVirtualAccount: { needs: "virtualAccounts:write" },
  deleteVirtualAccount: { needs: "virtualAccounts:write" },
  grantRole: { needs: { smartAccountRole: "roles:manageAccount", virtualAccountRole: "roles:manageVirtual" } },
  revokeRole: { needs: { smartAccountRole: "roles:manageAccount", virtualAccountRole: "roles:manageVirtual" } },
  requestAccess: { signedIn: true },
  decideAccessRequest: { needs: "accessRequests:manage" },
  upsertProduct: { scope: ServiceScope.CATALOG_WRITE },
  placeOrder: { scope: ServiceScope.ORDERS_WRITE, namesAccount: true },
  assignOrder: { needs: "orders:assign" },
  transferLicenses: { needs: "licenses:manage", leaving: "licenses:moveOut" },
  convertClassicLicense: { needs: "licenses:convert" },
  setLicenseTags: { needs: "licenses:manage" },
  createRegistrationToken: { needs: "licenses:manage" },
  revokeRegistrationToken: { needs: "licenses:manage" },
  registerProductInstance: { device: "registration token" },
  reportUsage: { device: "device credential" },
  transferProductInstance: { needs: "licenses:manage", leaving: "licenses:moveOut" },
  removeProductInstance: { needs: "licenses:manage" },
  // R38: one's own choices, in any account one holds a role in (the service says NOT_FOUND elsewhere, R4).
  setNotificationPreferences: { signedIn: true },
  createWebhook: { needs: "webhooks:manage" },
  deleteWebhook: { needs: "webhooks:manage" },
  redeliverWebhook: { needs: "webhooks:manage" },
} as const satisfies Record<string, MutationRule>;

export type MutationName = keyof typeof MUTATIONS;

/** The service scope a mutation needs (R2). */
export function scopeOf(mutation: MutationName): ServiceScope {
  const rule: MutationRule = MUTATIONS[mutation];
  if (!("scope" in rule)) throw new Error(`${mutation} needs no service scope`);
  return rule.scope;
}

/** The capability a mutation needs on the object it names (its one case, or the case given). */
export function capabilityOf(mutation: MutationName, which?: string): Capability {
  const rule: MutationRule = MUTATIONS[mutation];
  if (!("needs" in rule)) throw new Error(`${mutation} needs no capability on an object`);
  if (typeof rule.needs === "string") return rule.needs;
  const capability = which === undefined ? undefined : rule.needs[which];
  if (!capability) throw new Error(`${mutation} has no case ${String(which)}`);
  return capability;
}

/** The capability a mutation also needs on its source account when it moves things out of it. */
export function leavingCapabilityOf(mutation: MutationName): Capability {
  const rule: MutationRule = MUTATIONS[mutation];
  if (!("leaving" in rule) || !rule.leaving) throw new Error(`${mutation} moves nothing out of an account`);
  return rule.leaving;
}
