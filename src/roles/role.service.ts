import { EntityManager } from "typeorm";
import { Role, RoleAssignment, SmartAccount, SmartAccountStatus, User, VirtualAccount } from "../../entities";
import { Access } from "../auth/access";
import { isSmartAccountRole } from "../auth/capabilities";
import { SmartAccountService } from "../accounts/smart-account.service";
import { Clock } from "../clock";
import { RequestContext, viewerOf } from "../context";
import { ConflictError, ForbiddenError, InputError, NotFoundError } from "../errors";
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

  /** R4 for assignments: one's own, or any the viewer may read under "see role assignments". */
  static visible(access: Access, assignment: RoleAssignment, virtualAccountPath: string | null): boolean {
    if (access.viewer && assignment.userId === access.viewer.id) return true;
    return access.can("roles:read", { smartAccountId: assignment.smartAccountId, path: virtualAccountPath });
  }

  async grant(context: RequestContext, raw: GrantRoleInput): Promise<RoleAssignment> {
    const viewer = viewerOf(context);
    const accountId = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    const email = input.email(raw.email, "input.email");
    return context.db.transaction(async (manager) => {
      const target = await this.resolveTarget(context, manager, accountId, raw.role, vaId, "input");
      const user = await this.users.findOrCreate(manager, email);
      const { assignment, created } = await this.assign(manager, target, user, raw.role, viewer.id);
      await this.events.record(manager, {
        type: "ROLE_GRANTED",
        message: `${viewer.email} granted ${raw.role} to ${email}${target.virtualAccount ? ` on "${target.virtualAccount.name}"` : ""}` +
          (created ? "" : " (already held)"),
        actorId: viewer.id,
        smartAccountId: accountId,
        virtualAccountId: target.virtualAccount?.id ?? null,
      });
      return assignment;
    });
  }

  async revoke(context: RequestContext, globalId: string): Promise<string> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("RoleAssignment", globalId, "id");
    return context.db.transaction(async (manager) => {
      const assignment = await manager.findOneBy(RoleAssignment, { id });
      const va = assignment?.virtualAccountId ? await manager.findOneBy(VirtualAccount, { id: assignment.virtualAccountId }) : null;
      if (!assignment || !RoleService.visible(context.access, assignment, va?.path ?? null)) {
        throw new NotFoundError("Role assignment");
      }
      this.assertMayManage(context.access, assignment.role, assignment.smartAccountId, va);
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
      return globalId;
    });
  }

  /**
   * Checks a grant's shape and the granter's right to make it (R13, §5): Smart Account roles take no
   * Virtual Account and need SMART_ACCOUNT_ADMIN; Virtual Account roles need one of this account, in
   * the granter's scope. Shared by grantRole and decideAccessRequest.
   */
  async resolveTarget(
    context: RequestContext,
    manager: EntityManager,
    accountId: number,
    role: Role,
    vaId: number | null,
    fieldPrefix: string,
  ): Promise<RoleTarget> {
    const account = await manager.findOneBy(SmartAccount, { id: accountId });
    if (!SmartAccountService.visible(context.access, account)) throw new NotFoundError("Smart Account");
    if (!context.access.canSeeAccount(accountId)) throw new ForbiddenError("You hold no role in this Smart Account.");
    if (isSmartAccountRole(role) && vaId !== null) {
      throw new InputError(`${fieldPrefix}.virtualAccountId`, `${role} is a Smart Account role: give no virtualAccountId.`);
    }
    if (!isSmartAccountRole(role) && vaId === null) {
      throw new InputError(`${fieldPrefix}.virtualAccountId`, `${role} is a Virtual Account role: virtualAccountId is required.`);
    }
    let va: VirtualAccount | null = null;
    if (vaId !== null) {
      va = await manager.findOneBy(VirtualAccount, { id: vaId });
      if (!va || !context.access.can("virtualAccounts:read", va)) throw new NotFoundError("Virtual Account");
      if (va.smartAccountId !== accountId) {
        throw new InputError(`${fieldPrefix}.virtualAccountId`, "The Virtual Account belongs to another Smart Account.");
      }
    }
    this.assertMayManage(context.access, role, accountId, va);
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

  private assertMayManage(access: Access, role: Role, accountId: number, va: VirtualAccount | null): void {
    const allowed = isSmartAccountRole(role)
      ? access.can("roles:manageAccount", { smartAccountId: accountId })
      : access.can("roles:manageVirtual", { smartAccountId: accountId, path: va?.path ?? null });
    if (!allowed) {
      throw new ForbiddenError(
        isSmartAccountRole(role)
          ? "Only a SMART_ACCOUNT_ADMIN may grant or revoke Smart Account roles."
          : "Virtual Account roles are granted by SMART_ACCOUNT_ADMINs, or VIRTUAL_ACCOUNT_ADMINs within their scope.",
      );
    }
  }
}
