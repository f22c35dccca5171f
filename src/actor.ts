import type { Access } from "./auth/access";
import type { Guard } from "./auth/guard";
import type { Clock } from "./clock";
import type { Database } from "./db/database";
import { UnauthenticatedError } from "./errors";

/** What a per-request loader needs: the database, the viewer's access and the clock. */
export interface Scope {
  readonly db: Database;
  readonly access: Access;
  readonly clock: Clock;
}

/** What a service needs of the request it serves: no more than this (src/context.ts provides it). */
export interface Actor extends Scope {
  /** The one way to reach an object (src/auth/guard.ts). */
  readonly guard: Guard;
  /**
   * R4: after a write that changed the viewer's own grants (a role granted or revoked, an account
   * requested or activated), rebuilds the request's Access and its loaders from the database, so the
   * payload and every later mutation of the document see the state after the write.
   */
  accessChanged(): Promise<void>;
}

/** R31: the device-secret guard of one request's client address. */
export interface DeviceSecretAttempts {
  /** Throws RATE_LIMITED while the address has used up its failed attempts. */
  admit(): Promise<void>;
  /** Counts one failed registration token or device credential. */
  failed(): Promise<void>;
}

/** The device mutations' caller: a device proves itself with its secret, counted per address (R24, R25, R31). */
export interface DeviceActor extends Actor {
  readonly deviceSecrets: DeviceSecretAttempts;
}

/** The viewer of an authenticated request; the shield has already refused anonymous ones. */
export function viewerOf(actor: Scope) {
  const viewer = actor.access.viewer;
  if (!viewer) throw new UnauthenticatedError();
  return viewer;
}
