import { AccessRequest, AccessRequestStatus, Role, SmartAccount } from "../../entities";
import { Access } from "../auth/access";
import { Clock } from "../clock";
import { RequestContext, viewerOf } from "../context";
import { ConflictError, ForbiddenError, InputError, NotFoundError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { UserService } from "../users/user.service";
import { RoleService } from "./role.service";

export interface DecideAccessRequestInput {
  id: string;
  approve: boolean;
  role?: Role | null;
  virtualAccountId?: string | null;
}

/** R14: anyone signed in asks an account for access; its admins approve (granting a role) or deny. */
export class AccessRequestService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
    private readonly users: UserService,
    private readonly roles: RoleService,
  ) {}

  /** The requester sees their own requests; the account's admins see all of its requests. */
  static visible(access: Access, request: AccessRequest): boolean {
    return (
      (access.viewer !== null && request.userId === access.viewer.id) ||
      access.can("accessRequests:manage", { smartAccountId: request.smartAccountId })
    );
  }

  async request(context: RequestContext, raw: { domain: string; message?: string | null }): Promise<AccessRequest> {
    const viewer = viewerOf(context);
    const domain = input.domainKey(raw.domain, "input.domain");
    const message = input.message(raw.message, "input.message") ?? null;
    return context.db.transaction(async (manager) => {
      const account = await context.db
        .forUpdate(manager.createQueryBuilder(SmartAccount, "sa").where("sa.domain = :domain", { domain }))
        .getOne();
      if (!account) throw new NotFoundError(`A Smart Account with the domain ${domain}`);
      if (await manager.existsBy(AccessRequest, { userId: viewer.id, smartAccountId: account.id, status: AccessRequestStatus.PENDING })) {
        throw new ConflictError(`You already have a pending access request for ${domain}.`);
      }
      const request = await manager.save(
        manager.create(AccessRequest, {
          userId: viewer.id,
          smartAccountId: account.id,
          status: AccessRequestStatus.PENDING,
          message,
          createdAt: this.clock.now(),
          decidedAt: null,
          decidedById: null,
        }),
      );
      await this.events.record(manager, {
        type: "ACCESS_REQUESTED",
        message: `${viewer.email} asked for access to ${domain}`,
        actorId: viewer.id,
        smartAccountId: account.id,
      });
      return request;
    });
  }

  async decide(context: RequestContext, raw: DecideAccessRequestInput): Promise<AccessRequest> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("AccessRequest", raw.id, "input.id");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    if (raw.approve && !raw.role) throw new InputError("input.role", "Approving an access request needs the role to grant.");
    return context.db.transaction(async (manager) => {
      const request = await context.db
        .forUpdate(manager.createQueryBuilder(AccessRequest, "ar").where("ar.id = :id", { id }))
        .getOne();
      if (!request || !AccessRequestService.visible(context.access, request)) throw new NotFoundError("Access request");
      if (!context.access.can("accessRequests:manage", { smartAccountId: request.smartAccountId })) {
        throw new ForbiddenError("Only the Smart Account's admins decide access requests.");
      }
      if (request.status !== AccessRequestStatus.PENDING) throw new ConflictError("This access request was already decided.");
      const requester = await this.users.byId(manager, request.userId);
      let granted = "";
      if (raw.approve) {
        const role = raw.role as Role;
        const target = await this.roles.resolveTarget(context, manager, request.smartAccountId, role, vaId, "input");
        await this.roles.assign(manager, target, requester, role, viewer.id);
        granted = ` with ${role}${target.virtualAccount ? ` on "${target.virtualAccount.name}"` : ""}`;
      }
      request.status = raw.approve ? AccessRequestStatus.APPROVED : AccessRequestStatus.DENIED;
      request.decidedAt = this.clock.now();
      request.decidedById = viewer.id;
      await manager.update(AccessRequest, { id }, { status: request.status, decidedAt: request.decidedAt, decidedById: viewer.id });
      await this.events.record(manager, {
        type: raw.approve ? "ACCESS_REQUEST_APPROVED" : "ACCESS_REQUEST_DENIED",
        message: `${viewer.email} ${raw.approve ? "approved" : "denied"} ${requester.email}'s access request${granted}`,
        actorId: viewer.id,
        smartAccountId: request.smartAccountId,
      });
      return request;
    });
  }
}
