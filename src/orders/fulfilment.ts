import { randomBytes } from "node:crypto";
import { EntityManager, In } from "typeorm";
import { License, LicenseKind, Order, OrderLine, OrderStatus, SmartAccount, VirtualAccount } from "../../entities";
import { countLots, lockPools, PoolKey } from "../licenses/kept-pools";
import { assertPoolsFit } from "../licenses/pool-bounds";

/** A Product Activation Key for a CLASSIC line (R16): five groups of four, e.g. "PAK-7Q2M-…". */
export const generatePak = (): string => {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(16);
  const chars = [...bytes].map((byte) => alphabet[byte % alphabet.length]);
  return `PAK-${[0, 4, 8, 12].map((start) => chars.slice(start, start + 4).join("")).join("-")}`;
};

/** Term lines end `termMonths` after the booking time (R16); perpetual ones never. */
export function addMonths(date: Date, months: number): Date {
  const end = new Date(date.getTime());
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}

/**
 * R16: turns each line of a booked order into one license lot in its Virtual Account (the account's
 * default where none was chosen or the chosen one is gone) and marks the order FULFILLED.
 */
export async function deliverOrder(manager: EntityManager, order: Order, lines: OrderLine[], now: Date): Promise<License[]> {
  const defaultVa = await manager.findOneByOrFail(VirtualAccount, { smartAccountId: order.smartAccountId, isDefault: true });
  const chosenIds = lines.map((line) => line.virtualAccountId).filter((id): id is number => id !== null);
  const chosen = chosenIds.length
    ? new Set((await manager.findBy(VirtualAccount, { id: In(chosenIds), smartAccountId: order.smartAccountId })).map((va) => va.id))
    : new Set<number>();
  const lots = lines.map((line) =>
    manager.create(License, {
      smartAccountId: order.smartAccountId,
      virtualAccountId: line.virtualAccountId !== null && chosen.has(line.virtualAccountId) ? line.virtualAccountId : defaultVa.id,
      productId: line.productId,
      orderId: order.id,
      orderLineId: line.id,
      kind: line.kind,
      quantity: line.quantity,
      startsAt: line.startsAt,
      endsAt: line.endsAt,
      pak: line.kind === LicenseKind.CLASSIC ? line.pak : null,
      splitFromId: null,
      createdAt: now,
    }),
  );
  // The SMART lots count in their pools from now (R27); CLASSIC ones count nowhere. Pools are locked first.
  const pools: PoolKey[] = lots.filter((lot) => lot.kind === LicenseKind.SMART);
  await lockPools(manager, pools, now);
  const saved = lots.length ? await manager.save(lots) : [];
  await countLots(manager, pools, now, { locked: true });
  order.status = OrderStatus.FULFILLED;
  order.fulfilledAt = now;
  await manager.update(Order, { id: order.id }, { status: order.status, fulfilledAt: now });
  return saved;
}

/**
 * R10 and R18: on activation, every PENDING order of the account is fulfilled. Orders placed while the
 * account was pending get their lots now; orders assigned from a holding account already moved theirs
 * and were only withheld. Lots that would take a pool past GraphQL's Int refuse the activation (R27).
 */
export async function fulfilPendingOrders(manager: EntityManager, account: SmartAccount, now: Date): Promise<number> {
  const pending = await manager.findBy(Order, { smartAccountId: account.id, status: OrderStatus.PENDING });
  const productIds = new Set<number>();
  for (const order of pending) {
    const delivered = await manager.existsBy(License, { orderId: order.id });
    if (delivered) {
      order.status = OrderStatus.FULFILLED;
      order.fulfilledAt = now;
      await manager.update(Order, { id: order.id }, { status: order.status, fulfilledAt: now });
    } else {
      const lines = await manager.findBy(OrderLine, { orderId: order.id });
      for (const line of lines) productIds.add(line.productId);
      await deliverOrder(manager, order, lines, now);
    }
  }
  await assertPoolsFit(manager, account.id, productIds, now);
  return pending.length;
}
