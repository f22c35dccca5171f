import { EntityManager, In } from "typeorm";
import { License, LicenseKind, LicenseTag, Product, VirtualAccount } from "../../entities";
import { productBySku } from "../catalog/sku";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { virtualAccountPlace as placeOf } from "../auth/guard";
import { capabilityOf, leavingCapabilityOf } from "../auth/mutations";
import { ConflictError, InputError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId } from "../ids";
import * as input from "../input";
import { licenseStatus, LicenseStatus } from "./expiry";
import { assertPoolsFit } from "./pool-bounds";
import { countLots, lockedPools, lockPools, setLotFigures, soonest } from "./kept-pools";
import { countedLots } from "./sql";

const TAG = /^[A-Za-z0-9 _.-]{1,50}$/;
export const MAX_TAGS = 20;

/** License management: transfers (R19), conversion (R20), tags (R21). */
export class LicenseService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  /**
   * R19: moves `quantity` SMART licenses of a product between two Virtual Accounts in one transaction.
   * The caller manages licenses at both ends; across two Smart Accounts they also hold an account-wide
   * role on the source (`licenses:moveOut`).
   * Both Virtual Accounts are locked in id order first (so opposite transfers cannot deadlock), then both
   * pools' kept rows and the source pool's lots; lots keep their dates and are split only where no lot of
   * the destination can take the licenses (`moveLots`). Both kept pools are counted again before commit.
   */
  async transfer(
    context: Actor,
    raw: { fromVirtualAccountId: string; toVirtualAccountId: string; sku: string; quantity: number },
  ): Promise<{ from: VirtualAccount; to: VirtualAccount; quantity: number }> {
    const viewer = viewerOf(context);
    const fromId = fromGlobalId("VirtualAccount", raw.fromVirtualAccountId, "input.fromVirtualAccountId");
    const toId = fromGlobalId("VirtualAccount", raw.toVirtualAccountId, "input.toVirtualAccountId");
    if (fromId === toId) throw new InputError("input.toVirtualAccountId", "Source and destination are the same Virtual Account.");
    const quantity = input.intInRange(raw.quantity, "input.quantity", 1, 1_000_000_000);
    const sku = typeof raw.sku === "string" ? raw.sku.trim() : "";

    return context.db.transaction(async (manager) => {
      const locked = await context.db
        .forUpdate(
          manager
            .createQueryBuilder(VirtualAccount, "va")
            .where("va.id IN (:...ids)", { ids: [fromId, toId] })
            .orderBy("va.id"),
        )
        .getMany();
      const from = locked.find((va) => va.id === fromId);
      const to = locked.find((va) => va.id === toId);
      // Both ends are seen (else NOT_FOUND) before either is judged (FORBIDDEN), as R4 orders them.
      if (!from || !context.guard.visible("VirtualAccount", from, placeOf(from)))
        throw context.guard.notFound("VirtualAccount", "input.fromVirtualAccountId");
      if (!to || !context.guard.visible("VirtualAccount", to, placeOf(to)))
        throw context.guard.notFound("VirtualAccount", "input.toVirtualAccountId");
      for (const va of [from, to]) context.guard.assert(capabilityOf("transferLicenses"), placeOf(va));
      if (to.smartAccountId !== from.smartAccountId) {
        context.guard.assert(leavingCapabilityOf("transferLicenses"), { smartAccountId: from.smartAccountId });
      }
      const product = await productBySku(manager, sku).getOne();
      if (!product) throw new InputError("input.sku", `No product has the SKU "${raw.sku}".`);

      const now = this.clock.now();
      // Both pools' rows are locked before the lots are read: no usage report changes the source's
      // `in_use` between the check and the move.
      const source = { virtualAccountId: from.id, productId: product.id };
      const destination = { virtualAccountId: to.id, productId: product.id };
      const kept = await lockedPools(manager, [source, destination], now);
      // The lots the source pool counts (R27), and only those: the same predicate as the pools'.
      const counted = countedLots(now).toNamed("counted");
      const lots = await context.db
        .forUpdate(
          manager
            .createQueryBuilder(License, "l")
            .where("l.virtual_account_id = :fromId AND l.product_id = :productId", { fromId, productId: product.id })
            .andWhere(counted.sql, counted.params)
            // The soonest-ending lots move first; perpetual ones last.
            .orderBy("CASE WHEN l.ends_at IS NULL THEN 1 ELSE 0 END", "ASC")
            .addOrderBy("l.ends_at", "ASC")
            .addOrderBy("l.id", "ASC"),
        )
        .getMany();
      const purchased = lots.reduce((sum, lot) => sum + lot.quantity, 0);
      const available = Math.max(purchased - (kept.get(source)?.inUse ?? 0), 0);
      if (quantity > available) {
        throw new ConflictError(`Only ${available} ${product.sku} license${available === 1 ? " is" : "s are"} available in "${from.name}".`);
      }

      let remaining = quantity;
      const moving: { lot: License; take: number }[] = [];
      for (const lot of lots) {
        if (remaining === 0) break;
        const take = Math.min(lot.quantity, remaining);
        remaining -= take;
        moving.push({ lot, take });
      }
      await this.moveLots(context, manager, moving, to, now);
      // Both kept pools from what moved: the source's from its locked lots less what left, the destination's
      // by what joined it (summed again from its lots where its own soonest lot has ended meanwhile).
      const ends = (list: { endsAt: Date | null }[]) => soonest(list.map((lot) => lot.endsAt));
      const left = lots.map((lot) => ({ endsAt: lot.endsAt, quantity: lot.quantity - (moving.find((m) => m.lot === lot)?.take ?? 0) }));
      const figures = [{ ...source, purchased: purchased - quantity, nextExpiry: ends(left.filter((lot) => lot.quantity > 0)) }];
      const before = kept.get(destination);
      if (before?.current) {
        figures.push({
          ...destination,
          purchased: before.purchased + quantity,
          nextExpiry: soonest([before.nextExpiry, ends(moving.map((m) => m.lot))]),
        });
      }
      await setLotFigures(manager, figures, now);
      if (!before?.current) await countLots(manager, [destination], now, { locked: true });
      // Within one Smart Account its sums do not change; into another they grow (R27).
      if (to.smartAccountId !== from.smartAccountId) await assertPoolsFit(manager, to.smartAccountId, [product.id], now);
      await this.events.record(manager, {
        type: "LICENSES_TRANSFERRED",
        message: `${viewer.email} transferred ${quantity} ${product.sku} from "${from.name}" to "${to.name}"`,
        actorId: viewer.id,
        smartAccountId: from.smartAccountId,
        virtualAccountId: from.id,
      });
      return { from, to, quantity };
    });
  }

  /**
   * R20: `quantity` of a CLASSIC lot becomes a SMART lot in the same Virtual Account with the same dates;
   * the classic lot keeps its id and shrinks (to 0, where all of it converts). Each conversion is its own
   * SMART lot, as the payload shows it: their number is bounded by the classic quantity ordered.
   */
  async convert(context: Actor, raw: { licenseId: string; quantity: number }): Promise<License> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("License", raw.licenseId, "input.licenseId");
    const quantity = input.intInRange(raw.quantity, "input.quantity", 1, 1_000_000_000);
    return context.db.transaction(async (manager) => {
      const { object: lot, place } = await context.guard.reach(manager, "License", id, {
        needs: capabilityOf("convertClassicLicense"),
        field: "input.licenseId",
      });
      const va = place.virtualAccount as VirtualAccount;
      if (lot.kind !== LicenseKind.CLASSIC) throw new InputError("input.licenseId", "Only CLASSIC licenses convert to SMART.");
      const product = await manager.findOneByOrFail(Product, { id: lot.productId });
      if (!product.smartEnabled) throw new InputError("input.licenseId", `${product.sku} is not smart-enabled.`);
      const now = this.clock.now();
      if (licenseStatus(lot, now) === LicenseStatus.EXPIRED) throw new ConflictError("An expired license cannot be converted.");
      if (quantity > lot.quantity) throw new ConflictError(`The lot holds only ${lot.quantity} license${lot.quantity === 1 ? "" : "s"}.`);
      const pool = { virtualAccountId: lot.virtualAccountId, productId: lot.productId };
      await lockPools(manager, [pool], now);
      await manager.update(License, { id: lot.id }, { quantity: lot.quantity - quantity });
      const smart = await this.split(
        manager,
        lot,
        quantity,
        { virtualAccountId: lot.virtualAccountId, smartAccountId: lot.smartAccountId, kind: LicenseKind.SMART, pak: null },
        now,
      );
      await countLots(manager, [pool], now, { locked: true });
      await assertPoolsFit(manager, lot.smartAccountId, [lot.productId], now);
      await this.events.record(manager, {
        type: "LICENSE_CONVERTED",
        message: `${viewer.email} converted ${quantity} classic ${product.sku} (${lot.pak ?? "no PAK"}) to Smart Licensing in "${va.name}"`,
        actorId: viewer.id,
        smartAccountId: lot.smartAccountId,
        virtualAccountId: lot.virtualAccountId,
      });
      return smart;
    });
  }

  /**
   * R21: replaces a lot's tags (at most 20, each 1–50 of `A-Za-z0-9 _.-`). Tags that repeat, case set
   * aside, are kept once in the first spelling given: a lot's tags are unique case-insensitively, as
   * MariaDB's collation compares them in the (license, tag) key.
   */
  async setTags(context: Actor, raw: { licenseId: string; tags: string[] }): Promise<License> {
    const viewer = viewerOf(context);
    const id = fromGlobalId("License", raw.licenseId, "input.licenseId");
    const byFolded = new Map<string, string>();
    raw.tags.forEach((tag, index) => {
      const text = typeof tag === "string" ? tag.trim() : "";
      if (!TAG.test(text)) throw new InputError(`input.tags[${index}]`, "A tag is 1–50 characters of A-Z a-z 0-9, space, _ . -");
      if (!byFolded.has(text.toLowerCase())) byFolded.set(text.toLowerCase(), text);
    });
    const tags = [...byFolded.values()];
    if (tags.length > MAX_TAGS) throw new InputError("input.tags", `A license has at most ${MAX_TAGS} tags.`);
    return context.db.transaction(async (manager) => {
      const { object: lot } = await context.guard.reach(manager, "License", id, { needs: capabilityOf("setLicenseTags"), field: "input.licenseId" });
      await manager.delete(LicenseTag, { licenseId: lot.id });
      if (tags.length)
        await manager.insert(
          LicenseTag,
          tags.map((tag) => ({ licenseId: lot.id, tag })),
        );
      await this.events.record(manager, {
        type: "LICENSE_TAGS_SET",
        message: `${viewer.email} set the tags of license lot ${lot.id} to [${tags.join(", ")}]`,
        actorId: viewer.id,
        smartAccountId: lot.smartAccountId,
        virtualAccountId: lot.virtualAccountId,
      });
      return lot;
    });
  }

  /**
   * Moves `take` licenses of each lot to `to` (R19) without multiplying lots: they join a lot of the
   * destination that came from the same order line with the same dates and tags, where there is one,
   * and a lot that gives all it holds is then deleted; otherwise a whole lot changes Virtual Account and
   * a part is split off. A license moved back and forth returns to its own lot, so the number of lots
   * stays bounded by what was ordered.
   */
  private async moveLots(
    context: Actor,
    manager: EntityManager,
    moving: readonly { lot: License; take: number }[],
    to: VirtualAccount,
    now: Date,
  ): Promise<void> {
    if (!moving.length) return;
    const productId = moving[0].lot.productId;
    // Not a locking read: every write of this pool's lots holds its kept row (locked by the transfer), so
    // none changes them meanwhile; a lot that takes licenses is incremented in place, locking that lot alone.
    const joinable = await manager
      .createQueryBuilder(License, "l")
      .where("l.virtual_account_id = :toId AND l.product_id = :productId AND l.kind = :kind", { toId: to.id, productId, kind: LicenseKind.SMART })
      .orderBy("l.id")
      .getMany();
    const sameOrigin = (a: License, b: License) =>
      a.orderLineId === b.orderLineId &&
      a.orderId === b.orderId &&
      a.startsAt.getTime() === b.startsAt.getTime() &&
      (a.endsAt?.getTime() ?? null) === (b.endsAt?.getTime() ?? null);
    // Tags are read only where a lot of the same origin is there to join, or two moving lots share one.
    const candidates = joinable.filter((candidate) => moving.some(({ lot }) => sameOrigin(candidate, lot)));
    const twins = moving.some((a, i) => moving.some((b, j) => j > i && sameOrigin(a.lot, b.lot)));
    const tags =
      candidates.length || twins
        ? await this.tagSets(manager, [...moving.map(({ lot }) => lot.id), ...candidates.map((lot) => lot.id)])
        : new Map<number, string>();
    const sameLot = (a: License, b: License) => sameOrigin(a, b) && (tags.get(a.id) ?? "") === (tags.get(b.id) ?? "");
    for (const { lot, take } of moving) {
      const into = joinable.find((candidate) => sameLot(candidate, lot));
      if (into) {
        await manager.increment(License, { id: into.id }, "quantity", take);
        if (take === lot.quantity) {
          await manager.delete(LicenseTag, { licenseId: lot.id });
          await manager.delete(License, { id: lot.id });
        } else {
          await manager.update(License, { id: lot.id }, { quantity: lot.quantity - take });
        }
      } else if (take === lot.quantity) {
        await manager.update(License, { id: lot.id }, { virtualAccountId: to.id, smartAccountId: to.smartAccountId });
        joinable.push(Object.assign(lot, { virtualAccountId: to.id, smartAccountId: to.smartAccountId }));
      } else {
        await manager.update(License, { id: lot.id }, { quantity: lot.quantity - take });
        const part = await this.split(manager, lot, take, { virtualAccountId: to.id, smartAccountId: to.smartAccountId, kind: lot.kind }, now);
        tags.set(part.id, tags.get(lot.id) ?? "");
        joinable.push(part);
      }
    }
  }

  /** Each lot's tags as one comparable text (sorted, case set aside as R21 keeps them); no entry: no tags. */
  private async tagSets(manager: EntityManager, licenseIds: number[]): Promise<Map<number, string>> {
    const rows = licenseIds.length ? await manager.findBy(LicenseTag, { licenseId: In(licenseIds) }) : [];
    const byLot = new Map<number, string[]>();
    for (const row of rows) byLot.set(row.licenseId, [...(byLot.get(row.licenseId) ?? []), row.tag.toLowerCase()]);
    return new Map([...byLot].map(([id, list]) => [id, list.sort().join("\n")]));
  }

  /** A new lot split off `lot` with its dates, product, order and tags. */
  private async split(manager: EntityManager, lot: License, quantity: number, changes: Partial<License>, now: Date): Promise<License> {
    const { id: _id, ...rest } = lot;
    const part = await manager.save(manager.create(License, { ...rest, ...changes, quantity, splitFromId: lot.id, createdAt: now }));
    const tags = await manager.findBy(LicenseTag, { licenseId: lot.id });
    if (tags.length)
      await manager.insert(
        LicenseTag,
        tags.map((tag) => ({ licenseId: part.id, tag: tag.tag })),
      );
    return part;
  }
}
