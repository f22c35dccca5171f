import { RegistrationToken, SmartAccount, SmartAccountType, VirtualAccount } from "../../entities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { capabilityOf } from "../auth/mutations";
import { ConflictError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { DAY_MS } from "../licenses/expiry";
import { hashSecret, newSecret } from "./secrets";

export interface CreateRegistrationTokenInput {
  virtualAccountId: string;
  description?: string | null;
  expiresInDays: number;
  maxUses?: number | null;
  exportControlled?: boolean | null;
}

/** Registration tokens (R23): created and revoked by those who manage licenses in the Virtual Account. */
export class RegistrationTokenService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  async create(context: Actor, raw: CreateRegistrationTokenInput): Promise<{ token: RegistrationToken; secret: string }> {
    const viewer = viewerOf(context);
    const vaId = fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");
    const description = input.description(raw.description, "input.description") ?? null;
    const days = input.intInRange(raw.expiresInDays, "input.expiresInDays", 1, 365);
    const maxUses = raw.maxUses == null ? null : input.intInRange(raw.maxUses, "input.maxUses", 1, 1_000_000_000);
    return context.db.transaction(async (manager) => {
      const { object: va } = await context.guard.reach(manager, "VirtualAccount", vaId, {
        needs: capabilityOf("createRegistrationToken"),
        field: "input.virtualAccountId",
        lock: false,
      });
      const account = await manager.findOneByOrFail(SmartAccount, { id: va.smartAccountId });
      if (account.type === SmartAccountType.PARTNER_HOLDING) {
        // R17: licenses in a holding account cannot be consumed, so no device may register there.
        throw new InputError("input.virtualAccountId", "No registration token can be created in a partner holding account.");
      }
      const secret = newSecret("sat");
      const now = this.clock.now();
      const token = await manager.save(
        manager.create(RegistrationToken, {
          smartAccountId: va.smartAccountId,
          virtualAccountId: va.id,
          description,
          secretHash: hashSecret(secret),
          createdAt: now,
          expiresAt: new Date(now.getTime() + days * DAY_MS),
          maxUses,
          uses: 0,
          exportControlled: raw.exportControlled ?? false,
          revokedAt: null,
          createdById: viewer.id,
        }),
      );
      await this.events.record(manager, {
        type: "REGISTRATION_TOKEN_CREATED",
        message: `${viewer.email} created a registration token in "${va.name}" (expires in ${days} days, ${maxUses ?? "unlimited"} uses)`,
        actorId: viewer.id,
        smartAccountId: va.smartAccountId,
        virtualAccountId: va.id,
      });
      return { token, secret };
    });
  }

  /** R23: a revoked token stays listed with `revokedAt`; revoking twice is a CONFLICT. */
  async revoke(context: Actor, globalId: string): Promise<RegistrationToken> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("RegistrationToken", globalId, "id");
    return context.db.transaction(async (manager) => {
      const { object: token, place } = await context.guard.reach(manager, "RegistrationToken", id, {
        needs: capabilityOf("revokeRegistrationToken"),
        field: "id",
      });
      const va = place.virtualAccount as VirtualAccount;
      if (token.revokedAt) throw new ConflictError("This registration token is already revoked.");
      token.revokedAt = this.clock.now();
      await manager.update(RegistrationToken, { id }, { revokedAt: token.revokedAt });
      await this.events.record(manager, {
        type: "REGISTRATION_TOKEN_REVOKED",
        message: `${viewer.email} revoked a registration token of "${va.name}"${token.description ? ` (${token.description})` : ""}`,
        actorId: viewer.id,
        smartAccountId: token.smartAccountId,
        virtualAccountId: va.id,
      });
      return token;
    });
  }
}
