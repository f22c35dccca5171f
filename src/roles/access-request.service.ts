import { AccessRequest, AccessRequestStatus, Role, SmartAccount } from "../../entities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { capabilityOf } from "../auth/mutations";
import { ConflictError, InputError, NotFoundError } from "../errors";
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

  async request(context: Actor, raw: { domain: string; message?: string | null }): Promise<AccessRequest> {
    const viewer = viewerOf(context);
    const domain = input.domainKey(raw.domain, "input.domain");
    const message = input.message(raw.message, "input.message") ?? null;
    return context.db.transaction(async (manager) => {
      const account = await context.db.forUpdate(manager.createQueryBuilder(SmartAccount, "sa").where("sa.domain = :domain", { domain })).getOne();
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

  async decide(context: Actor, raw: DecideAccessRequestInput): Promise<AccessRequest> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("AccessRequest", raw.id, "input.id");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    if (raw.approve && !raw.role) throw new InputError("input.role", "Approving an access request needs the role to grant.");
    const decided = await context.db.transaction(async (manager) => {
      const { object: request } = await context.guard.reach(manager, "AccessRequest", id, {
        needs: capabilityOf("decideAccessRequest"),
        field: "input.id",
      });
      if (request.status !== AccessRequestStatus.PENDING) throw new ConflictError("This access request was already decided.");
      const requester = await this.users.byId(manager, request.userId);
      let granted = "";
      if (raw.approve) {
        const role = raw.role as Role;
        const target = await this.roles.resolveTarget(context, manager, request.smartAccountId, role, vaId, "input", "decideAccessRequest");
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
    // R4: approving one's own request grants oneself a role, seen from the payload on.
    if (decided.userId === viewer.id && raw.approve) await context.accessChanged();
    return decided;
  }
}
