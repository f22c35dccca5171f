import { Access } from "./auth/access";
import { Clock } from "./clock";
import { Database } from "./db/database";
import { QueryStats } from "./db/query-stats";
import { UnauthenticatedError } from "./errors";
import type { RequestLog } from "./logging";
import { createLoaders, Loaders } from "./loaders";
import type { Services } from "./services";

/**
 * Everything one request needs, built once per request: the viewer and their access, the
 * per-request loaders, and the process-wide database, clock and services.
 */
export interface RequestContext {
  access: Access;
  /** Why the bearer token was refused, if one was sent and refused (R1). */
  authError: UnauthenticatedError | null;
  db: Database;
  clock: Clock;
  services: Services;
  loaders: Loaders;
  stats: QueryStats;
  /** Who pays for this request (R31): `user:<id>` for a bearer token, `address:<ip>` otherwise. */
  principal: string;
  /** R31: failed device secrets are counted per client address; the device service asks before and tells after. */
  deviceSecrets: DeviceSecretAttempts;
  /** This request's log line and child logger (R32); set by the HTTP layer. */
  log?: RequestLog;
  /** Set once a device has authenticated with its token or credential in this request (R24, R25). */
  device: { productInstanceId: number } | null;
}

/** R31: the device-secret guard of one request's client address. */
export interface DeviceSecretAttempts {
  /** Throws RATE_LIMITED while the address has used up its failed attempts. */
  admit(): Promise<void>;
  /** Counts one failed registration token or device credential. */
  failed(): Promise<void>;
}

const UNGUARDED: DeviceSecretAttempts = { admit: async () => undefined, failed: async () => undefined };

export function createContext(
  base: { db: Database; clock: Clock; services: Services },
  access: Access,
  authError: UnauthenticatedError | null,
  stats = new QueryStats(),
  client: { address: string; deviceSecrets?: DeviceSecretAttempts } = { address: "unknown" },
): RequestContext {
  const principal = access.viewer ? `user:${access.viewer.id}` : `address:${client.address}`;
  const deviceSecrets = client.deviceSecrets ?? UNGUARDED;
  const context = { ...base, access, authError, stats, principal, deviceSecrets, device: null } as RequestContext;
  context.loaders = createLoaders(context);
  return context;
}

/** The viewer of an authenticated request; the shield has already refused anonymous ones. */
export function viewerOf(context: RequestContext) {
  const viewer = context.access.viewer;
  if (!viewer) throw context.authError ?? new UnauthenticatedError();
  return viewer;
}
