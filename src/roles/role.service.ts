import { EntityManager } from "typeorm";
import { Role, RoleAssignment, SmartAccount, SmartAccountStatus, User, VirtualAccount } from "../../entities";
import { isSmartAccountRole } from "../auth/capabilities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { capabilityOf } from "../auth/mutations";
import { ConflictError, ForbiddenError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { UserService } from "../users/user.service";

export interface GrantRoleInput {
  smartAccountId: string;
  email: string;
  role: Role;
  virtualAccountId?: string | null;
}

/** Where a role is granted: a Smart Account, and for Virtual Account roles one Virtual Account of it. */
export interface RoleTarget {
  account: SmartAccount;
  virtualAccount: VirtualAccount | null;
}

/** Role assignments (R13, §5): who may grant what, and never the last admin of an active account. */
export class RoleService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
    private readonly users: UserService,
  ) {}

  async grant(context: Actor, raw: GrantRoleInput): Promise<RoleAssignment> {
    const viewer = viewerOf(context);
    const accountId = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    const email = input.email(raw.email, "input.email");
    const granted = await context.db.transaction(async (manager) => {
      const target = await this.resolveTarget(context, manager, accountId, raw.role, vaId, "input", "grantRole");
      const user = await this.users.findOrCreate(manager, email);
      const { assignment, created } = await this.assign(manager, target, user, raw.role, viewer.id);
      await this.events.record(manager, {
        type: "ROLE_GRANTED",
        message:
          `${viewer.email} granted ${raw.role} to ${email}${target.virtualAccount ? ` on "${target.virtualAccount.name}"` : ""}` +
          (created ? "" : " (already held)"),
        actorId: viewer.id,
        smartAccountId: accountId,
        virtualAccountId: target.virtualAccount?.id ?? null,
      });
      return assignment;
    });
    // R4: a role granted to oneself counts from the payload on.
    if (granted.userId === viewer.id) await context.accessChanged();
    return granted;
  }

  async revoke(context: Actor, globalId: string): Promise<string> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("RoleAssignment", globalId, "id");
    const revoked = await context.db.transaction(async (manager) => {
      const { object: assignment, place } = await context.guard.reach(manager, "RoleAssignment", id, { field: "id", lock: false });
      const va = place.virtualAccount;
      this.assertMayManage(context, "revokeRole", assignment.role, assignment.smartAccountId, va);
      const account = await context.db
        .forUpdate(manager.createQueryBuilder(SmartAccount, "sa").where("sa.id = :id", { id: assignment.smartAccountId }))
        .getOneOrFail();
      if (assignment.role === Role.SMART_ACCOUNT_ADMIN && account.status === SmartAccountStatus.ACTIVE) {
        const admins = await manager.countBy(RoleAssignment, { smartAccountId: account.id, role: Role.SMART_ACCOUNT_ADMIN });
        if (admins <= 1) throw new ConflictError("An active Smart Account keeps at least one SMART_ACCOUNT_ADMIN.");
      }
      await manager.delete(RoleAssignment, { id });
      const user = await manager.findOneByOrFail(User, { id: assignment.userId });
      await this.events.record(manager, {
        type: "ROLE_REVOKED",
        message: `${viewer.email} revoked ${assignment.role} from ${user.email}${va ? ` on "${va.name}"` : ""}`,
        actorId: viewer.id,
        smartAccountId: assignment.smartAccountId,
        virtualAccountId: va?.id ?? null,
      });
      return assignment;
    });
    // R4: a role revoked from oneself no longer counts for the rest of the document.
    if (revoked.userId === viewer.id) await context.accessChanged();
    return globalId;
  }

  /**
   * Checks a grant's shape and the granter's right to make it (R13, §5): Smart Account roles take no
   * Virtual Account and need SMART_ACCOUNT_ADMIN; Virtual Account roles need one of this account, in
   * the granter's scope. Shared by grantRole and decideAccessRequest.
   */
  async resolveTarget(
    context: Actor,
    manager: EntityManager,
    accountId: number,
    role: Role,
    vaId: number | null,
    fieldPrefix: string,
    mutation: "grantRole" | "decideAccessRequest",
  ): Promise<RoleTarget> {
    const { object: account } = await context.guard.reach(manager, "SmartAccount", accountId, {
      field: `${fieldPrefix}.smartAccountId`,
      lock: false,
    });
    // A prefixed domain's parent admins see it (R9), but grant nothing in it without a role there.
    if (!context.access.canSeeAccount(accountId)) throw new ForbiddenError("You hold no role in this Smart Account.");
    if (isSmartAccountRole(role) && vaId !== null) {
      throw new InputError(`${fieldPrefix}.virtualAccountId`, `${role} is a Smart Account role: give no virtualAccountId.`);
    }
    if (!isSmartAccountRole(role) && vaId === null) {
      throw new InputError(`${fieldPrefix}.virtualAccountId`, `${role} is a Virtual Account role: virtualAccountId is required.`);
    }
    let va: VirtualAccount | null = null;
    if (vaId !== null) {
      va = (await context.guard.reach(manager, "VirtualAccount", vaId, { field: `${fieldPrefix}.virtualAccountId`, lock: false })).object;
      if (va.smartAccountId !== accountId) {
        throw new InputError(`${fieldPrefix}.virtualAccountId`, "The Virtual Account belongs to another Smart Account.");
      }
    }
    this.assertMayManage(context, mutation === "decideAccessRequest" ? "grantRole" : mutation, role, accountId, va);
    return { account, virtualAccount: va };
  }

  /** Creates the assignment, or returns the one that exists (R13). */
  async assign(
    manager: EntityManager,
    target: RoleTarget,
    user: User,
    role: Role,
    grantedById: number,
  ): Promise<{ assignment: RoleAssignment; created: boolean }> {
    const scopeKey = target.virtualAccount?.id ?? 0;
    const where = { userId: user.id, smartAccountId: target.account.id, role, scopeKey };
    const existing = await manager.findOneBy(RoleAssignment, where);
    if (existing) return { assignment: existing, created: false };
    const assignment = await manager.save(
      manager.create(RoleAssignment, {
        ...where,
        virtualAccountId: target.virtualAccount?.id ?? null,
        grantedById,
        createdAt: this.clock.now(),
      }),
    );
    return { assignment, created: true };
  }

  /** §5: Smart Account roles by SMART_ACCOUNT_ADMINs; Virtual Account roles also by VIRTUAL_ACCOUNT_ADMINs in scope. */
  private assertMayManage(context: Actor, mutation: "grantRole" | "revokeRole", role: Role, accountId: number, va: VirtualAccount | null): void {
    const needs = capabilityOf(mutation, isSmartAccountRole(role) ? "smartAccountRole" : "virtualAccountRole");
    context.guard.assert(needs, { smartAccountId: accountId, path: va?.path ?? null, virtualAccount: va });
  }
}
