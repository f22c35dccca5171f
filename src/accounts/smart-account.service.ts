import { EntityManager, In } from "typeorm";
import { Role, RoleAssignment, SmartAccount, SmartAccountStatus, SmartAccountType, VirtualAccount } from "../../entities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { capabilityOf } from "../auth/mutations";
import { ConflictError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { UserService } from "../users/user.service";
import { childPath, siblingKey } from "./tree";

export interface RequestSmartAccountInput {
  name: string;
  domain: string;
  type: SmartAccountType;
  approverEmail: string;
}

/** Hook run inside activation's transaction: fulfils the account's pending orders (R10, R16). */
export type ActivationHook = (manager: EntityManager, account: SmartAccount, actorId: number) => Promise<void>;

/** Smart Account lifecycle: request (R7–R9), domain-prefix approval (R9), activation (R10), rename. */
export class SmartAccountService {
  private readonly activationHooks: ActivationHook[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
    private readonly users: UserService,
  ) {}

  onActivation(hook: ActivationHook): void {
    this.activationHooks.push(hook);
  }

  /** R7, R8, R9, R11: a PENDING account with its Default Virtual Account; the approver gets SMART_ACCOUNT_APPROVER. */
  async request(context: Actor, raw: RequestSmartAccountInput): Promise<SmartAccount> {
    const viewer = viewerOf(context);
    const name = input.name(raw.name, "input.name");
    const approverEmail = input.email(raw.approverEmail, "input.approverEmail");
    let domain: string;
    if (raw.type === SmartAccountType.LIMITED_USE) {
      // R8: small businesses on public email domains are identified by the approver's address.
      domain = input.domainKey(raw.domain, "input.domain");
      if (domain !== approverEmail) {
        throw new InputError("input.domain", "A LIMITED_USE account's domain is its approver's email address.");
      }
    } else {
      domain = input.dnsDomain(raw.domain, "input.domain");
      const approverDomain = input.emailDomain(approverEmail);
      if (domain !== approverDomain && !domain.endsWith(`.${approverDomain}`)) {
        throw new InputError("input.approverEmail", `The approver's email domain must be ${domain} or a parent of it.`);
      }
    }

    const requested = await context.db.transaction(async (manager) => {
      if (await manager.existsBy(SmartAccount, { domain })) {
        throw new ConflictError(`A Smart Account with the domain ${domain} already exists.`);
      }
      const domainParent = raw.type === SmartAccountType.LIMITED_USE ? null : await this.nearestParentDomain(manager, domain);
      const now = this.clock.now();
      const account = await manager.save(
        manager.create(SmartAccount, {
          name,
          domain,
          type: raw.type,
          status: SmartAccountStatus.PENDING,
          awaitingDomainApproval: domainParent !== null,
          domainParentId: domainParent?.id ?? null,
          requestedById: viewer.id,
          createdAt: now,
          activatedAt: null,
        }),
      );
      await this.createDefaultVirtualAccount(manager, account);
      const approver = await this.users.findOrCreate(manager, approverEmail);
      await manager.save(
        manager.create(RoleAssignment, {
          userId: approver.id,
          smartAccountId: account.id,
          virtualAccountId: null,
          scopeKey: 0,
          role: Role.SMART_ACCOUNT_APPROVER,
          grantedById: viewer.id,
          createdAt: now,
        }),
      );
      await this.events.record(manager, {
        type: "SMART_ACCOUNT_REQUESTED",
        message:
          `${viewer.email} requested ${raw.type} Smart Account ${domain} with approver ${approverEmail}` +
          (domainParent ? `; awaiting approval by the admins of ${domainParent.domain}` : ""),
        actorId: viewer.id,
        smartAccountId: account.id,
      });
      return { account, approverId: approver.id };
    });
    // R4: requesting as one's own approver shows the approver role and the default Virtual Account.
    if (requested.approverId === viewer.id) await context.accessChanged();
    return requested.account;
  }

  /** R9: an admin of the nearest parent domain's account lets a prefixed domain be activated. */
  async approveDomainPrefix(context: Actor, smartAccountId: string): Promise<SmartAccount> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("SmartAccount", smartAccountId, "smartAccountId");
    return context.db.transaction(async (manager) => {
      // The parent's admins keep seeing it here once approved, so approving twice is a CONFLICT, not NOT_FOUND.
      const needs = capabilityOf("approveDomainPrefix");
      const { object: account } = await context.guard.reach(manager, "SmartAccount", id, {
        field: "smartAccountId",
        // Approved already, it stays in sight of its approvers, to be told so (CONFLICT, not NOT_FOUND).
        alsoVisible: (found) => found.domainParentId !== null && context.access.can(needs, { smartAccountId: found.domainParentId }),
      });
      if (!account.awaitingDomainApproval || account.domainParentId === null) {
        throw new ConflictError(`${account.domain} is not awaiting domain approval.`);
      }
      // The capability is held on the parent domain's account, not on the prefixed one (R9).
      context.guard.assert(needs, { smartAccountId: account.domainParentId });
      account.awaitingDomainApproval = false;
      await manager.update(SmartAccount, { id }, { awaitingDomainApproval: false });
      await this.events.record(manager, {
        type: "DOMAIN_PREFIX_APPROVED",
        message: `${viewer.email} approved the domain ${account.domain}`,
        actorId: viewer.id,
        smartAccountId: account.id,
      });
      return account;
    });
  }

  /** R10: the approver activates once; they become SMART_ACCOUNT_ADMIN and pending orders are fulfilled. */
  async activate(context: Actor, smartAccountId: string): Promise<SmartAccount> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("SmartAccount", smartAccountId, "smartAccountId");
    const activated = await context.db.transaction(async (manager) => {
      const { object: account } = await context.guard.reach(manager, "SmartAccount", id, {
        needs: capabilityOf("activateSmartAccount"),
        field: "smartAccountId",
      });
      if (account.status !== SmartAccountStatus.PENDING) throw new ConflictError(`${account.domain} is already active.`);
      if (account.awaitingDomainApproval) {
        throw new ConflictError(`${account.domain} awaits approval by the admins of its parent domain.`);
      }
      account.status = SmartAccountStatus.ACTIVE;
      account.activatedAt = this.clock.now();
      await manager.update(SmartAccount, { id }, { status: account.status, activatedAt: account.activatedAt });
      await manager
        .createQueryBuilder()
        .insert()
        .into(RoleAssignment)
        .values({
          userId: viewer.id,
          smartAccountId: id,
          virtualAccountId: null,
          scopeKey: 0,
          role: Role.SMART_ACCOUNT_ADMIN,
          grantedById: viewer.id,
          createdAt: account.activatedAt,
        })
        .orIgnore()
        .execute();
      for (const hook of this.activationHooks) await hook(manager, account, viewer.id);
      await this.events.record(manager, {
        type: "SMART_ACCOUNT_ACTIVATED",
        message: `${viewer.email} activated ${account.domain}`,
        actorId: viewer.id,
        smartAccountId: id,
      });
      return account;
    });
    // R4: the payload, and the rest of the document, see the new SMART_ACCOUNT_ADMIN role.
    await context.accessChanged();
    return activated;
  }

  /** Renames the account (approvers and admins, §5). */
  async update(context: Actor, raw: { smartAccountId: string; name: string }): Promise<SmartAccount> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
    const name = input.name(raw.name, "input.name");
    return context.db.transaction(async (manager) => {
      const { object: account } = await context.guard.reach(manager, "SmartAccount", id, {
        needs: capabilityOf("updateSmartAccount"),
        field: "input.smartAccountId",
      });
      const previous = account.name;
      account.name = name;
      await manager.update(SmartAccount, { id }, { name });
      await this.events.record(manager, {
        type: "SMART_ACCOUNT_UPDATED",
        message: `${viewer.email} renamed the Smart Account from "${previous}" to "${name}"`,
        actorId: viewer.id,
        smartAccountId: id,
      });
      return account;
    });
  }

  private async createDefaultVirtualAccount(manager: EntityManager, account: SmartAccount): Promise<VirtualAccount> {
    const va = await manager.save(
      manager.create(VirtualAccount, {
        smartAccountId: account.id,
        parentId: null,
        name: "Default",
        siblingKey: siblingKey(null, "Default"),
        description: null,
        isDefault: true,
        depth: 1,
        path: `pending:${account.id}`,
        createdAt: account.createdAt,
      }),
    );
    va.path = childPath(null, va.id);
    await manager.update(VirtualAccount, { id: va.id }, { path: va.path });
    return va;
  }

  /** R9: the account whose domain is the longest proper parent of `domain`, if any. */
  private async nearestParentDomain(manager: EntityManager, domain: string): Promise<SmartAccount | null> {
    const labels = domain.split(".");
    const parents = labels.slice(1, -1).map((_, index) => labels.slice(index + 1).join("."));
    if (!parents.length) return null;
    const candidates = await manager.findBy(SmartAccount, {
      domain: In(parents),
      type: In([SmartAccountType.CUSTOMER, SmartAccountType.PARTNER_HOLDING]),
    });
    candidates.sort((a, b) => b.domain.length - a.domain.length);
    return candidates[0] ?? null;
  }
}
