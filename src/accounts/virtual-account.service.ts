import { EntityManager, QueryFailedError } from "typeorm";
import { License, ProductInstance, SmartAccount, SmartAccountType, VirtualAccount } from "../../entities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { capabilityOf, MutationName } from "../auth/mutations";
import { ConflictError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { childPath, isUnder, MAX_DEPTH, siblingKey } from "./tree";

export interface CreateVirtualAccountInput {
  smartAccountId: string;
  parentId?: string | null;
  name: string;
  description?: string | null;
}

export interface UpdateVirtualAccountInput {
  id: string;
  name?: string | null;
  description?: string | null;
  parentId?: string | null;
  toTopLevel?: boolean | null;
}

/** The Virtual Account tree (R11, R12): create, rename, describe, move, delete. Admins only (§5). */
export class VirtualAccountService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  async create(context: Actor, raw: CreateVirtualAccountInput): Promise<VirtualAccount> {
    const viewer = viewerOf(context);
    const accountId = fromGlobalId("SmartAccount", raw.smartAccountId, "input.smartAccountId");
    const parentId = raw.parentId == null ? null : fromGlobalId("VirtualAccount", raw.parentId, "input.parentId");
    const name = input.name(raw.name, "input.name");
    const description = input.description(raw.description, "input.description") ?? null;

    return context.db.transaction(async (manager) => {
      // R4: a parent the viewer cannot see is NOT_FOUND before any FORBIDDEN (same lock order as update: VA, then account).
      const parent = parentId === null ? null : await this.findVisible(context, manager, parentId, "input.parentId");
      const account = await this.lockAccount(context, manager, accountId, "createVirtualAccount");
      if (account.type === SmartAccountType.LIMITED_USE) {
        throw new InputError("input.smartAccountId", "A LIMITED_USE Smart Account has only its default Virtual Account.");
      }
      if (parent && parent.smartAccountId !== accountId) {
        throw new InputError("input.parentId", "The parent Virtual Account belongs to another Smart Account.");
      }
      const depth = (parent?.depth ?? 0) + 1;
      if (depth > MAX_DEPTH) throw new InputError("input.parentId", `Virtual Accounts nest at most ${MAX_DEPTH} levels deep.`);
      await this.assertNameFree(manager, accountId, parent?.id ?? null, name);

      const va = await this.insertUnique(manager, {
        smartAccountId: accountId,
        parentId: parent?.id ?? null,
        name,
        siblingKey: siblingKey(parent?.id ?? null, name),
        description,
        isDefault: false,
        depth,
        path: `pending:${Date.now()}:${Math.random()}`,
        createdAt: this.clock.now(),
      });
      va.path = childPath(parent?.path ?? null, va.id);
      await manager.update(VirtualAccount, { id: va.id }, { path: va.path });
      await this.events.record(manager, {
        type: "VIRTUAL_ACCOUNT_CREATED",
        message: `${viewer.email} created Virtual Account "${name}"${parent ? ` under "${parent.name}"` : " at the top level"}`,
        actorId: viewer.id,
        smartAccountId: accountId,
        virtualAccountId: va.id,
      });
      return va;
    });
  }

  async update(context: Actor, raw: UpdateVirtualAccountInput): Promise<VirtualAccount> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("VirtualAccount", raw.id, "input.id");
    const newParentId = raw.parentId == null ? null : fromGlobalId("VirtualAccount", raw.parentId, "input.parentId");
    if (newParentId !== null && raw.toTopLevel) {
      throw new InputError("input.toTopLevel", "Give either parentId or toTopLevel, not both.");
    }
    const name = raw.name == null ? undefined : input.name(raw.name, "input.name");
    const description = input.description(raw.description, "input.description");
    const moving = newParentId !== null || raw.toTopLevel === true;
    if (name === undefined && description === undefined && !moving) {
      throw new InputError("input", "Nothing to update: give a name, a description, parentId or toTopLevel.");
    }

    const updated = await context.db.transaction(async (manager) => {
      const va = await this.findVisible(context, manager, id, "input.id", "updateVirtualAccount");
      await this.lockAccount(context, manager, va.smartAccountId, "updateVirtualAccount");
      const changes: string[] = [];

      if (moving) {
        const target = newParentId === null ? null : await this.findVisible(context, manager, newParentId, "input.parentId", "updateVirtualAccount");
        if (target && target.smartAccountId !== va.smartAccountId) {
          throw new InputError("input.parentId", "A Virtual Account moves only within its Smart Account.");
        }
        if (target && isUnder(target.path, va.path)) {
          throw new InputError("input.parentId", "A Virtual Account cannot move under itself or one of its descendants.");
        }
        const newDepth = (target?.depth ?? 0) + 1;
        const deepest = await manager
          .createQueryBuilder(VirtualAccount, "v")
          .select("MAX(v.depth)", "depth")
          .where("v.smart_account_id = :accountId AND v.path LIKE :subtree", { accountId: va.smartAccountId, subtree: `${va.path}%` })
          .getRawOne<{ depth: number }>();
        if (Number(deepest?.depth ?? va.depth) - va.depth + newDepth > MAX_DEPTH) {
          throw new InputError("input.parentId", `The move would nest Virtual Accounts deeper than ${MAX_DEPTH} levels.`);
        }
        if ((target?.id ?? null) !== va.parentId) {
          const newPath = childPath(target?.path ?? null, va.id);
          // The whole subtree moves with it: rewrite the path prefix and shift the depths in one statement.
          await manager
            .createQueryBuilder()
            .update(VirtualAccount)
            .set({
              path: () => `CONCAT(:newPath, SUBSTR(path, :cut))`,
              depth: () => `depth + :delta`,
            })
            .where("smart_account_id = :accountId AND path LIKE :subtree")
            .setParameters({ newPath, cut: va.path.length + 1, delta: newDepth - va.depth, accountId: va.smartAccountId, subtree: `${va.path}%` })
            .execute();
          changes.push(`moved it ${target ? `under "${target.name}"` : "to the top level"}`);
          va.parentId = target?.id ?? null;
          va.path = newPath;
          va.depth = newDepth;
        }
      }
      if (name !== undefined && name !== va.name) {
        changes.push(`renamed "${va.name}" to "${name}"`);
        va.name = name;
      }
      if (description !== undefined && description !== va.description) {
        changes.push(description === null ? "cleared its description" : "changed its description");
        va.description = description;
      }
      if (name !== undefined || moving) await this.assertNameFree(manager, va.smartAccountId, va.parentId, va.name, va.id);
      va.siblingKey = siblingKey(va.parentId, va.name);
      await manager.update(
        VirtualAccount,
        { id: va.id },
        { name: va.name, description: va.description, parentId: va.parentId, siblingKey: va.siblingKey },
      );
      await this.events.record(manager, {
        type: moving && changes.some((change) => change.startsWith("moved")) ? "VIRTUAL_ACCOUNT_MOVED" : "VIRTUAL_ACCOUNT_UPDATED",
        message: `${viewer.email} updated Virtual Account "${va.name}": ${changes.join(", ") || "no change"}`,
        actorId: viewer.id,
        smartAccountId: va.smartAccountId,
        virtualAccountId: va.id,
      });
      return va;
    });
    // A move rewrites the paths under it, the viewer's own Virtual Account roles' reach with them (R4).
    if (moving) await context.accessChanged();
    return updated;
  }

  /** R11, R12: only childless, licence-less, device-less, non-default Virtual Accounts; tokens go with it. */
  async delete(context: Actor, globalId: string): Promise<string> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("VirtualAccount", globalId, "id");
    const deleted = await context.db.transaction(async (manager) => {
      const va = await this.findVisible(context, manager, id, "id", "deleteVirtualAccount");
      await this.lockAccount(context, manager, va.smartAccountId, "deleteVirtualAccount");
      if (va.isDefault) throw new ConflictError("The default Virtual Account cannot be deleted.");
      if (await manager.existsBy(VirtualAccount, { parentId: va.id })) {
        throw new ConflictError(`"${va.name}" still has Virtual Accounts under it.`);
      }
      if (await manager.existsBy(License, { virtualAccountId: va.id })) {
        throw new ConflictError(`"${va.name}" still holds licenses.`);
      }
      if (await manager.existsBy(ProductInstance, { virtualAccountId: va.id })) {
        throw new ConflictError(`"${va.name}" still has product instances.`);
      }
      await manager.delete(VirtualAccount, { id: va.id });
      await this.events.record(manager, {
        type: "VIRTUAL_ACCOUNT_DELETED",
        message: `${viewer.email} deleted Virtual Account "${va.name}"`,
        actorId: viewer.id,
        smartAccountId: va.smartAccountId,
        virtualAccountId: va.id,
      });
      return globalId;
    });
    // Role assignments on it went with it, the viewer's own too (R4).
    await context.accessChanged();
    return deleted;
  }

  /**
   * A Virtual Account under lock, through the guard: NOT_FOUND unless the viewer sees it; for a write,
   * FORBIDDEN unless the mutation's capability reaches it. A parent named at creation need only be seen:
   * the account lock then judges the write.
   */
  private async findVisible(context: Actor, manager: EntityManager, id: number, field: string, mutation?: MutationName): Promise<VirtualAccount> {
    const needs = mutation ? capabilityOf(mutation) : undefined;
    return (await context.guard.reach(manager, "VirtualAccount", id, { field, needs })).object;
  }

  /** Locks the Smart Account row: tree changes of one account are serialised (moves cannot cross). */
  private async lockAccount(context: Actor, manager: EntityManager, accountId: number, mutation: MutationName): Promise<SmartAccount> {
    return (await context.guard.reach(manager, "SmartAccount", accountId, { field: "input.smartAccountId", needs: capabilityOf(mutation) })).object;
  }

  private async assertNameFree(manager: EntityManager, accountId: number, parentId: number | null, name: string, self?: number) {
    const clash = await manager.findOneBy(VirtualAccount, { smartAccountId: accountId, siblingKey: siblingKey(parentId, name) });
    if (clash && clash.id !== self) throw new ConflictError(`A Virtual Account named "${clash.name}" already exists there.`);
  }

  /** Inserts, turning a lost race on the sibling-name index into the same CONFLICT as the check. */
  private async insertUnique(manager: EntityManager, values: Partial<VirtualAccount>): Promise<VirtualAccount> {
    try {
      return await manager.save(manager.create(VirtualAccount, values));
    } catch (error) {
      if (error instanceof QueryFailedError && /unique|duplicate/i.test(error.message)) {
        throw new ConflictError(`A Virtual Account named "${values.name}" already exists there.`);
      }
      throw error;
    }
  }
}
