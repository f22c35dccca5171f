import { EntityManager, QueryFailedError } from "typeorm";
import { touchVirtualAccounts } from "../notifications/transaction";
import { LicenseUsage, Product, ProductInstance, RegistrationToken, SmartAccount, SmartAccountType, VirtualAccount } from "../../entities";
import { Clock } from "../clock";
import { DeviceActor, viewerOf } from "../actor";
import { capabilityOf, leavingCapabilityOf } from "../auth/mutations";
import { ConflictError, InputError, UnauthenticatedError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { addUsage, deviceUsage, moveUsage } from "../licenses/kept-pools";
import { assertPoolsFit } from "../licenses/pool-bounds";
import { hashSecret, newSecret, sameHash, wellFormed } from "./secrets";
import { productsBySku, skuKey } from "../catalog/sku";

export type RegistrationRefusal = "UNKNOWN" | "EXPIRED" | "REVOKED" | "EXHAUSTED";

const refused = (reason: RegistrationRefusal, message: string) => new UnauthenticatedError(message, { reason });

/**
 * R31: a device secret is tried only while its address has failed fewer than its allowance this minute,
 * and every refused secret (unknown, expired, revoked, used up) counts against that address.
 */
async function guardedBySecret<T>(context: DeviceActor, work: () => Promise<T>): Promise<T> {
  await context.deviceSecrets.admit();
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnauthenticatedError && error.extensions.reason) await context.deviceSecrets.failed();
    throw error;
  }
}

/** A registration found its (pid, serialNumber) taken by another one that committed after it looked. */
class RegisteredMeanwhile extends Error {}

/** Inserts a new device; a lost race on the (pid, serial_number) key is a `RegisteredMeanwhile`. */
async function insertNewDevice(manager: EntityManager, values: Partial<ProductInstance>): Promise<ProductInstance> {
  try {
    return await manager.save(manager.create(ProductInstance, values));
  } catch (error) {
    if (error instanceof QueryFailedError && /duplicate|unique/i.test(error.message)) throw new RegisteredMeanwhile();
    throw error;
  }
}

/**
 * Runs a registration again when another registration of the same device committed in between (its
 * transaction rolled back, the token's use with it): the next run finds the device and re-registers it,
 * or refuses it as registered in another Smart Account.
 */
async function registeredMeanwhileRetried<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof RegisteredMeanwhile) || attempt >= attempts) throw error;
    }
  }
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,63}$/;

/** Product instances: registration (R24), usage (R25), transfer and removal (R26). */
export class DeviceService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  /**
   * R24: authenticated by the token secret alone. The token row is locked while its use is counted, so
   * `maxUses` holds under parallel registrations. A known (pid, serialNumber) of the token's Smart Account
   * moves to the token's Virtual Account and gets a new credential; its usage goes with it. One registered
   * in another Smart Account is not taken: CONFLICT, and the token is not used.
   */
  async register(
    context: DeviceActor,
    raw: { token: string; pid: string; serialNumber: string; hostname?: string | null },
  ): Promise<{ productInstance: ProductInstance; credential: string }> {
    return guardedBySecret(context, () => this.registerWithToken(context, raw));
  }

  private async registerWithToken(
    context: DeviceActor,
    raw: { token: string; pid: string; serialNumber: string; hostname?: string | null },
  ): Promise<{ productInstance: ProductInstance; credential: string }> {
    const pid = identifier(raw.pid, "input.pid");
    const serialNumber = identifier(raw.serialNumber, "input.serialNumber");
    const hostname = input.optionalText(raw.hostname, "input.hostname", 255) ?? null;
    if (!wellFormed(raw.token, "sat")) throw refused("UNKNOWN", "The registration token is not known.");
    const presented = hashSecret(raw.token);

    const result = await registeredMeanwhileRetried(() =>
      context.db.transaction(async (manager) => {
        const token = await context.db
          .forUpdate(manager.createQueryBuilder(RegistrationToken, "t").where("t.secret_hash = :hash", { hash: presented }))
          .getOne();
        if (!token || !sameHash(token.secretHash, presented)) throw refused("UNKNOWN", "The registration token is not known.");
        const now = this.clock.now();
        if (token.revokedAt) throw refused("REVOKED", "The registration token was revoked.");
        if (token.expiresAt.getTime() <= now.getTime()) throw refused("EXPIRED", "The registration token has expired.");
        if (token.maxUses !== null && token.uses >= token.maxUses) throw refused("EXHAUSTED", "The registration token has no uses left.");

        const existing = await this.lockRegistered(context, manager, pid, serialNumber);
        if (existing && existing.smartAccountId !== token.smartAccountId) {
          // Checked before the token's use is counted: a CONFLICT leaves the token as it was (R24).
          throw new ConflictError(
            `${pid} ${serialNumber} is registered in another Smart Account; it stays there until someone who manages it there removes or transfers it.`,
          );
        }
        await manager.update(RegistrationToken, { id: token.id }, { uses: token.uses + 1 });

        const credential = newSecret("dev");
        const values = {
          smartAccountId: token.smartAccountId,
          virtualAccountId: token.virtualAccountId,
          hostname: hostname ?? existing?.hostname ?? null,
          credentialHash: hashSecret(credential),
          registrationTokenId: token.id,
          registeredAt: now,
        };
        let instance: ProductInstance;
        if (existing) {
          // Within its own Smart Account: the account's sums do not change (R27), its Virtual Accounts' may.
          await manager.update(ProductInstance, { id: existing.id }, values);
          await moveUsage(manager, await deviceUsage(manager, existing.id), existing.virtualAccountId, token.virtualAccountId, now);
          // R35: a silent device's alert leaves the Virtual Account it left.
          touchVirtualAccounts(manager, [existing.virtualAccountId]);
          instance = Object.assign(existing, values);
        } else {
          instance = await insertNewDevice(manager, { pid, serialNumber, lastReportedAt: null, ...values });
        }
        await this.events.record(manager, {
          type: existing ? "PRODUCT_INSTANCE_REREGISTERED" : "PRODUCT_INSTANCE_REGISTERED",
          message:
            `${pid} ${serialNumber}${hostname ? ` (${hostname})` : ""} registered with a token of Virtual Account ${token.virtualAccountId}` +
            (existing && existing.virtualAccountId !== token.virtualAccountId ? `, moving from Virtual Account ${existing.virtualAccountId}` : ""),
          actorId: null,
          smartAccountId: token.smartAccountId,
          virtualAccountId: token.virtualAccountId,
        });
        return { productInstance: instance, credential };
      }),
    );
    return result;
  }

  /** R25: replaces the device's usage with absolute counts (0–1,000,000 per known SKU); overage is allowed. */
  async reportUsage(context: DeviceActor, raw: { credential: string; usage: { sku: string; count: number }[] }): Promise<ProductInstance> {
    return guardedBySecret(context, () => this.reportWithCredential(context, raw));
  }

  private async reportWithCredential(
    context: DeviceActor,
    raw: { credential: string; usage: { sku: string; count: number }[] },
  ): Promise<ProductInstance> {
    if (!wellFormed(raw.credential, "dev")) throw refused("UNKNOWN", "The device credential is not known.");
    const presented = hashSecret(raw.credential);
    if (raw.usage.length > 1000) throw new InputError("input.usage", "At most 1000 usage lines.");
    const seen = new Set<string>();
    const lines = raw.usage.map((line, index) => {
      const sku = typeof line.sku === "string" ? line.sku.trim().toUpperCase() : "";
      if (seen.has(skuKey(sku))) throw new InputError(`input.usage[${index}].sku`, `${sku} is reported twice.`);
      seen.add(skuKey(sku));
      return { sku, count: input.intInRange(line.count, `input.usage[${index}].count`, 0, 1_000_000), index };
    });

    const instance = await context.db.transaction(async (manager) => {
      const device = await context.db
        .forUpdate(manager.createQueryBuilder(ProductInstance, "pi").where("pi.credential_hash = :hash", { hash: presented }))
        .getOne();
      if (!device || !sameHash(device.credentialHash, presented)) throw refused("UNKNOWN", "The device credential is not known.");
      // SKUs match by their normalized key, on its index, alike on both databases.
      const bySku = lines.length
        ? await productsBySku(
            manager,
            lines.map((line) => line.sku),
          )
        : new Map<string, Product>();
      const rows = lines.map((line) => {
        const product = bySku.get(skuKey(line.sku));
        if (!product) throw new InputError(`input.usage[${line.index}].sku`, `No product has the SKU "${line.sku}".`);
        return { productInstanceId: device.id, productId: product.id, count: line.count };
      });
      // Its pools move by the difference (R25, R27), locked before the usage rows: a report that holds
      // usage rows never waits for a pool another report holds while waiting for those rows.
      const before = await deviceUsage(manager, device.id, { lock: false });
      const was = new Map(before.map((usage) => [usage.productId, usage.count]));
      await addUsage(
        manager,
        [
          ...before.map((usage) => ({ virtualAccountId: device.virtualAccountId, productId: usage.productId, delta: -usage.count })),
          ...rows.map((row) => ({ virtualAccountId: device.virtualAccountId, productId: row.productId, delta: row.count })),
        ],
        this.clock.now(),
      );
      await manager.delete(LicenseUsage, { productInstanceId: device.id });
      if (rows.length) await manager.insert(LicenseUsage, rows);
      // Only what grew can pass R27's bound.
      await assertPoolsFit(
        manager,
        device.smartAccountId,
        rows.filter((row) => row.count > (was.get(row.productId) ?? 0)).map((row) => row.productId),
        this.clock.now(),
      );
      device.lastReportedAt = this.clock.now();
      await manager.update(ProductInstance, { id: device.id }, { lastReportedAt: device.lastReportedAt });
      await this.events.record(manager, {
        type: "USAGE_REPORTED",
        message: `${device.pid} ${device.serialNumber} reported ${rows.length ? lines.map((line) => `${line.count} ${line.sku}`).join(", ") : "no usage"}`,
        actorId: null,
        smartAccountId: device.smartAccountId,
        virtualAccountId: device.virtualAccountId,
      });
      return device;
    });
    return instance;
  }

  /**
   * R26: moves the device, with its usage, between Virtual Accounts the caller manages; out of its Smart
   * Account only with an account-wide role there (`licenses:moveOut`, as R19).
   */
  async transfer(context: DeviceActor, raw: { id: string; toVirtualAccountId: string }): Promise<ProductInstance> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("ProductInstance", raw.id, "input.id");
    const toId = fromGlobalId("VirtualAccount", raw.toVirtualAccountId, "input.toVirtualAccountId");
    return context.db.transaction(async (manager) => {
      const needs = capabilityOf("transferProductInstance");
      const { object: device, place } = await context.guard.reach(manager, "ProductInstance", id, { needs, field: "input.id" });
      const from = place.virtualAccount as VirtualAccount;
      const { object: to } = await context.guard.reach(manager, "VirtualAccount", toId, { needs, field: "input.toVirtualAccountId", lock: false });
      if (to.smartAccountId !== from.smartAccountId) {
        context.guard.assert(leavingCapabilityOf("transferProductInstance"), { smartAccountId: from.smartAccountId });
      }
      const account = await manager.findOneByOrFail(SmartAccount, { id: to.smartAccountId });
      if (account.type === SmartAccountType.PARTNER_HOLDING) {
        throw new InputError("input.toVirtualAccountId", "No device can be placed in a partner holding account.");
      }
      if (to.id === from.id) throw new InputError("input.toVirtualAccountId", "The device is already in that Virtual Account.");
      await manager.update(ProductInstance, { id }, { virtualAccountId: to.id, smartAccountId: to.smartAccountId });
      const usage = await deviceUsage(manager, id);
      await moveUsage(manager, usage, from.id, to.id, this.clock.now());
      touchVirtualAccounts(manager, [from.id, to.id]);
      if (to.smartAccountId !== from.smartAccountId) {
        // Its usage now counts in the destination Smart Account (R27).
        await assertPoolsFit(
          manager,
          to.smartAccountId,
          usage.map((line) => line.productId),
          this.clock.now(),
        );
      }
      await this.events.record(manager, {
        type: "PRODUCT_INSTANCE_TRANSFERRED",
        message: `${viewer.email} moved ${device.pid} ${device.serialNumber} from "${from.name}" to "${to.name}"`,
        actorId: viewer.id,
        smartAccountId: from.smartAccountId,
        virtualAccountId: from.id,
      });
      return Object.assign(device, { virtualAccountId: to.id, smartAccountId: to.smartAccountId });
    });
  }

  /** R26: deletes the device and releases its usage; licenses keep their dates. */
  async remove(context: DeviceActor, globalId: string): Promise<string> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("ProductInstance", globalId, "id");
    return context.db.transaction(async (manager) => {
      const { object: device, place } = await context.guard.reach(manager, "ProductInstance", id, {
        needs: capabilityOf("removeProductInstance"),
        field: "id",
      });
      const va = place.virtualAccount as VirtualAccount;
      await moveUsage(manager, await deviceUsage(manager, id), va.id, null, this.clock.now());
      await manager.delete(LicenseUsage, { productInstanceId: id });
      await manager.delete(ProductInstance, { id });
      await this.events.record(manager, {
        type: "PRODUCT_INSTANCE_REMOVED",
        message: `${viewer.email} removed ${device.pid} ${device.serialNumber} from "${va.name}"`,
        actorId: viewer.id,
        smartAccountId: device.smartAccountId,
        virtualAccountId: va.id,
      });
      return globalId;
    });
  }

  /**
   * The registered device with this (pid, serialNumber), under lock, or null. Looked up without a lock
   * first and then locked by its id: on MariaDB a locking read of a key that does not exist yet takes a
   * gap lock, and two registrations of new devices whose keys fall in one gap then deadlock on their
   * INSERTs. An existing row is locked alone; a new one is left to the unique key (`insertNewDevice`).
   */
  private async lockRegistered(context: DeviceActor, manager: EntityManager, pid: string, serialNumber: string): Promise<ProductInstance | null> {
    const found = await manager
      .createQueryBuilder(ProductInstance, "pi")
      .select("pi.id")
      .where("pi.pid = :pid AND pi.serial_number = :serialNumber", { pid, serialNumber })
      .getOne();
    if (!found) return null;
    return context.db.forUpdate(manager.createQueryBuilder(ProductInstance, "pi").where("pi.id = :id", { id: found.id })).getOne();
  }
}

function identifier(value: string, field: string): string {
  const text = typeof value === "string" ? value.trim() : "";
  if (!IDENTIFIER.test(text)) throw new InputError(field, `${field} must be 1–64 characters of letters, digits and . _ : / + -`);
  return text;
}
