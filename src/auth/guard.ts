import { EntityManager, EntityTarget, ObjectLiteral } from "typeorm";
import {
  AccessRequest,
  Event,
  License,
  Order,
  Product,
  ProductInstance,
  RegistrationToken,
  RoleAssignment,
  SmartAccount,
  VirtualAccount,
} from "../../entities";
import type { Database } from "../db/database";
import { ForbiddenError, NotFoundError } from "../errors";
import { Access, TreeTarget } from "./access";
import { Capability, forbiddenMessage } from "./capabilities";

/** The kinds of object the guard admits, by their GraphQL type name. */
export interface Kinds {
  SmartAccount: SmartAccount;
  VirtualAccount: VirtualAccount;
  RoleAssignment: RoleAssignment;
  AccessRequest: AccessRequest;
  Event: Event;
  License: License;
  Order: Order;
  ProductInstance: ProductInstance;
  RegistrationToken: RegistrationToken;
  Product: Product;
}

export type Kind = keyof Kinds;

/** Where an object sits: its Smart Account, and the Virtual Account it lives in (with that one's path). */
export interface Place extends TreeTarget {
  virtualAccount: VirtualAccount | null;
}

/** A Virtual Account as a place: itself. */
export const virtualAccountPlace = (va: VirtualAccount): Place => ({ smartAccountId: va.smartAccountId, path: va.path, virtualAccount: va });

/** A whole Smart Account as a place (account-level objects and capabilities). */
export const accountPlace = (smartAccountId: number): Place => ({ smartAccountId, path: null, virtualAccount: null });

/** How the guard finds a Virtual Account: the request's loader when reading, the transaction when writing. */
export type VirtualAccountSource = (id: number) => Promise<VirtualAccount | null>;

interface KindRule<T> {
  entity: EntityTarget<T>;
  /** The object's name in a NOT_FOUND message. */
  noun: string;
  /** The Virtual Account the object lives in, if it lives in one (the Virtual Account itself: its own id). */
  virtualAccountId(object: T): number | null;
  smartAccountId(object: T): number | null;
  /** SPEC §5 with R4: may the viewer see the object, where it sits? One definition per kind. */
  visible(access: Access, object: T, place: Place): boolean;
}

const own = (access: Access, userId: number | null) => access.viewer !== null && userId === access.viewer.id;

/**
 * "Can the viewer see it?", once per kind. `node`, `nodes`, `smartAccount(domain:)`, parent fields,
 * exports and every mutation answer it from here, so no two ways to one object disagree (R4).
 */
export const VISIBILITY: { [K in Kind]: KindRule<Kinds[K]> } = {
  SmartAccount: {
    entity: SmartAccount,
    noun: "Smart Account",
    virtualAccountId: () => null,
    smartAccountId: (account) => account.id,
    // Any role in the account shows the account itself (§5); a prefixed domain awaiting approval also shows,
    // itself alone, to those who may approve it: the admins of the nearest parent domain's account (R9).
    visible: (access, account) =>
      access.canSeeAccount(account.id) ||
      (account.awaitingDomainApproval &&
        account.domainParentId !== null &&
        access.can("domainPrefix:approve", { smartAccountId: account.domainParentId })),
  },
  VirtualAccount: {
    entity: VirtualAccount,
    noun: "Virtual Account",
    virtualAccountId: (va) => va.id,
    smartAccountId: (va) => va.smartAccountId,
    visible: (access, _va, place) => access.can("virtualAccounts:read", place),
  },
  RoleAssignment: {
    entity: RoleAssignment,
    noun: "Role assignment",
    virtualAccountId: (assignment) => assignment.virtualAccountId,
    smartAccountId: (assignment) => assignment.smartAccountId,
    visible: (access, assignment, place) => own(access, assignment.userId) || access.can("roles:read", place),
  },
  AccessRequest: {
    entity: AccessRequest,
    noun: "Access request",
    virtualAccountId: () => null,
    smartAccountId: (request) => request.smartAccountId,
    visible: (access, request, place) => own(access, request.userId) || access.can("accessRequests:manage", place),
  },
  Event: {
    entity: Event,
    noun: "Event",
    virtualAccountId: (event) => event.virtualAccountId,
    smartAccountId: (event) => event.smartAccountId,
    visible: (access, event, place) => event.smartAccountId !== null && access.can("events:read", place),
  },
  License: {
    entity: License,
    noun: "License",
    virtualAccountId: (lot) => lot.virtualAccountId,
    smartAccountId: (lot) => lot.smartAccountId,
    visible: (access, _lot, place) => place.virtualAccount !== null && access.can("licenses:read", place),
  },
  Order: {
    entity: Order,
    noun: "Order",
    virtualAccountId: () => null,
    smartAccountId: (order) => order.smartAccountId,
    // Whoever placed it, and those who see orders in its account (R15, §5).
    visible: (access, order, place) => own(access, order.placedById) || access.can("orders:read", place),
  },
  ProductInstance: {
    entity: ProductInstance,
    noun: "Product instance",
    virtualAccountId: (device) => device.virtualAccountId,
    smartAccountId: (device) => device.smartAccountId,
    visible: (access, _device, place) => place.virtualAccount !== null && access.can("licenses:read", place),
  },
  RegistrationToken: {
    entity: RegistrationToken,
    noun: "Registration token",
    virtualAccountId: (token) => token.virtualAccountId,
    smartAccountId: (token) => token.smartAccountId,
    visible: (access, _token, place) => place.virtualAccount !== null && access.can("licenses:read", place),
  },
  Product: {
    entity: Product,
    noun: "Product",
    virtualAccountId: () => null,
    smartAccountId: () => null,
    // The catalog is public to every signed-in user.
    visible: (access) => access.authenticated,
  },
};

/** Where a user appears: their role assignments' places and the accounts they asked for access to. */
export interface UserPlaces {
  roles: TreeTarget[];
  accessRequests: number[];
}

/**
 * R4 for a User: the viewer themself, and wherever one of their role assignments may be seen ("see
 * role assignments") or one of their access requests decided.
 */
export function userVisible(access: Access, userId: number, places: UserPlaces): boolean {
  return (
    own(access, userId) ||
    places.roles.some((place) => access.can("roles:read", place)) ||
    places.accessRequests.some((smartAccountId) => access.can("accessRequests:manage", { smartAccountId }))
  );
}

const ruleOf = <K extends Kind>(kind: K) => VISIBILITY[kind] as unknown as KindRule<Kinds[K]>;

export interface Admission<T = unknown> {
  /** The capability the action needs where the object sits (FORBIDDEN otherwise). */
  needs?: Capability;
  /** The input field that named the object, for the NOT_FOUND message (e.g. `input.toVirtualAccountId`). */
  field?: string;
  /** Seen also when this holds, beyond the kind's visibility (e.g. an approved prefix to its approvers). */
  alsoVisible?: (object: T) => boolean;
}

export interface Reached<T> {
  object: T;
  place: Place;
}

/**
 * The one way every service and resolver reaches an object (R4, §5): the object is loaded, under lock
 * when the caller will write; if the viewer cannot see it, it does not exist (NOT_FOUND); if they may
 * see it but the action's capability does not reach it, FORBIDDEN. Reads ask `sees` with the request's
 * loaders. The request's Access is read at every call, so a write that changed the viewer's grants is
 * seen by the next check (src/context.ts rebuilds it).
 */
export class Guard {
  constructor(
    private readonly db: Database,
    private readonly accessNow: () => Access,
  ) {}

  get access(): Access {
    return this.accessNow();
  }

  /** Where an object sits; its Virtual Account looked up in `vas` (null where it lives in none, or it is gone). */
  async place<K extends Kind>(kind: K, object: Kinds[K], vas: VirtualAccountSource): Promise<Place> {
    const rule = ruleOf(kind);
    const vaId = rule.virtualAccountId(object);
    const virtualAccount = kind === "VirtualAccount" ? (object as VirtualAccount) : vaId === null ? null : await vas(vaId);
    // Where it lives in a Virtual Account, that one's account places it (the tree is the authority).
    const smartAccountId = virtualAccount?.smartAccountId ?? rule.smartAccountId(object) ?? -1;
    return { smartAccountId, path: virtualAccount?.path ?? null, virtualAccount };
  }

  /** Visibility alone, on an object already placed. */
  visible<K extends Kind>(kind: K, object: Kinds[K], place: Place): boolean {
    return ruleOf(kind).visible(this.access, object, place);
  }

  /** Reads: may the viewer see this object (null: it does not exist)? */
  async sees<K extends Kind>(kind: K, object: Kinds[K] | null | undefined, vas: VirtualAccountSource): Promise<boolean> {
    if (!object) return false;
    return this.visible(kind, object, await this.place(kind, object, vas));
  }

  /** Reads: the object if the viewer may see it, else null. */
  async visibleOrNull<K extends Kind>(kind: K, object: Kinds[K] | null | undefined, vas: VirtualAccountSource): Promise<Kinds[K] | null> {
    return object && (await this.sees(kind, object, vas)) ? object : null;
  }

  /**
   * Writes: the object by id in this transaction, locked unless `lock: false`; NOT_FOUND unless the
   * viewer sees it; FORBIDDEN unless `needs` reaches it.
   */
  async reach<K extends Kind>(
    manager: EntityManager,
    kind: K,
    id: number,
    admission: Admission<Kinds[K]> & { lock?: boolean } = {},
  ): Promise<Reached<Kinds[K]>> {
    const rule = ruleOf(kind);
    const entity = rule.entity as EntityTarget<ObjectLiteral>;
    const query = manager.createQueryBuilder(entity, "target").where("target.id = :id", { id });
    const object = (await (admission.lock === false ? query : this.db.forUpdate(query)).getOne()) as Kinds[K] | null;
    if (!object) throw this.notFound(kind, admission.field);
    return { object, place: await this.admit(manager, kind, object, admission) };
  }

  /** Writes: visibility and capability on an object the caller loaded (and locked) itself. */
  async admit<K extends Kind>(manager: EntityManager, kind: K, object: Kinds[K], admission: Admission<Kinds[K]> = {}): Promise<Place> {
    const place = await this.place(kind, object, (vaId) => manager.findOneBy(VirtualAccount, { id: vaId }));
    if (!this.visible(kind, object, place) && !admission.alsoVisible?.(object)) throw this.notFound(kind, admission.field);
    if (admission.needs) this.assert(admission.needs, place);
    return place;
  }

  /** FORBIDDEN unless the capability reaches this place (a Virtual Account, or a whole account). */
  assert(capability: Capability, place: TreeTarget & { virtualAccount?: VirtualAccount | null }): void {
    if (!this.access.can(capability, place)) throw new ForbiddenError(forbiddenMessage(capability, place.virtualAccount?.name));
  }

  notFound(kind: Kind, field?: string): NotFoundError {
    const noun = VISIBILITY[kind].noun;
    return new NotFoundError(field ? `${noun} (${field})` : noun);
  }
}
