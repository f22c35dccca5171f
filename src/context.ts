import type { DeviceSecretAttempts } from "./actor";
import { Access } from "./auth/access";
import { Guard, Kind, Kinds } from "./auth/guard";
import { reloadAccess } from "./auth/viewer";
import { Clock } from "./clock";
import { Database } from "./db/database";
import { QueryStats } from "./db/query-stats";
import { UnauthenticatedError } from "./errors";
import type { RequestLog } from "./logging";
import { createLoaders, Loaders } from "./loaders";
import type { Services } from "./services";

export type { DeviceSecretAttempts } from "./actor";
export { viewerOf } from "./actor";

const UNGUARDED: DeviceSecretAttempts = { admit: async () => undefined, failed: async () => undefined };

/** What a write may replace during the request: the viewer's access and the loaders built on it. */
interface Current {
  access: Access;
  /** Built on first use: a request (or a waiting subscription) that reads nothing through them builds none. */
  loaders: Loaders | null;
}

/**
 * Everything one request needs, built once per request: the viewer and their access, the guard, the
 * per-request loaders, and the process-wide database, clock and services. A class, so that copies of
 * it (Apollo clones the context value per operation) share the one current Access and loaders.
 */
export class RequestContext {
  readonly db: Database;
  readonly clock: Clock;
  readonly services: Services;
  readonly stats: QueryStats;
  /** Why the bearer token was refused, if one was sent and refused (R1). */
  readonly authError: UnauthenticatedError | null;
  /** Who pays for this request (R31): `user:<id>` for a bearer token, `address:<ip>` otherwise. */
  readonly principal: string;
  /** R31: failed device secrets are counted per client address; the device service asks before and tells after. */
  readonly deviceSecrets: DeviceSecretAttempts;
  readonly guard: Guard;
  /** This request's log line and child logger (R32); set by the HTTP layer. */
  log?: RequestLog;
  private readonly current: Current;

  constructor(
    base: { db: Database; clock: Clock; services: Services },
    access: Access,
    authError: UnauthenticatedError | null,
    stats = new QueryStats(),
    client: { address: string; deviceSecrets?: DeviceSecretAttempts } = { address: "unknown" },
  ) {
    this.db = base.db;
    this.clock = base.clock;
    this.services = base.services;
    this.stats = stats;
    this.authError = authError;
    this.principal = access.viewer ? `user:${access.viewer.id}` : `address:${client.address}`;
    this.deviceSecrets = client.deviceSecrets ?? UNGUARDED;
    const current: Current = { access, loaders: null };
    this.current = current;
    this.guard = new Guard(base.db, () => current.access);
  }

  get access(): Access {
    return this.current.access;
  }

  get loaders(): Loaders {
    return (this.current.loaders ??= createLoaders({ db: this.db, access: this.current.access, clock: this.clock }));
  }

  /** Reads (R4): the object if the viewer may see it, else null, by the guard's one definition per kind. */
  seen<K extends Kind>(kind: K, object: Kinds[K] | null | undefined): Promise<Kinds[K] | null> {
    return this.guard.visibleOrNull(kind, object, (id) => this.loaders.virtualAccount.load(id));
  }

  async accessChanged(): Promise<void> {
    this.useAccess(await reloadAccess(this.db, this.current.access));
  }

  /**
   * From here on the request answers with this Access (a write changed the viewer's grants; a subscription
   * reads them again before each delivery, R36), with loaders built on it (`loaders`, shared by contexts
   * judging with the same Access, or new ones on first use): what the old ones hold was read, and scoped,
   * by the old access.
   */
  useAccess(access: Access, loaders: Loaders | null = null): void {
    this.current.access = access;
    this.current.loaders = loaders;
  }
}

export function createContext(...args: ConstructorParameters<typeof RequestContext>): RequestContext {
  return new RequestContext(...args);
}
