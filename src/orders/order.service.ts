import { randomBytes } from "node:crypto";
import { EntityManager, In } from "typeorm";
import {
  License,
  LicenseKind,
  LicenseModel,
  Order,
  OrderLine,
  OrderStatus,
  SmartAccount,
  SmartAccountStatus,
  SmartAccountType,
  VirtualAccount,
} from "../../entities";
import { Clock } from "../clock";
import { Actor, viewerOf } from "../actor";
import { accountPlace } from "../auth/guard";
import { capabilityOf, scopeOf } from "../auth/mutations";
import { ConflictError, ForbiddenError, InputError, NotFoundError } from "../errors";
import { EventService } from "../events/event.service";
import { fromGlobalId, parseGlobalId } from "../ids";
import * as input from "../input";
import { productsBySku, skuKey } from "../catalog/sku";
import { assertPoolsFit } from "../licenses/pool-bounds";
import { addMonths, deliverOrder, generatePak } from "./fulfilment";
import { countLots, lockPools } from "../licenses/kept-pools";

export interface OrderLineInput {
  sku: string;
  quantity: number;
  kind?: LicenseKind | null;
  termMonths?: number | null;
  virtualAccountId?: string | null;
}

/** R15: at most 100 lines per order. */
export const MAX_ORDER_LINES = 100;

/** Orders (R15, R16) and partner holding accounts (R17, R18). */
export class OrderService {
  constructor(
    private readonly clock: Clock,
    private readonly events: EventService,
  ) {}

  /**
   * R15, R16: with the orders:write scope only, validates every line (naming `input.lines[i].field`),
   * books, and fulfils into an active account.
   */
  async place(context: Actor, raw: { smartAccountDomain: string; lines: OrderLineInput[] }): Promise<Order> {
    const viewer = viewerOf(context);
    const domain = input.domainKey(raw.smartAccountDomain, "input.smartAccountDomain");
    if (!raw.lines.length) throw new InputError("input.lines", "An order needs at least one line.");
    if (raw.lines.length > MAX_ORDER_LINES) throw new InputError("input.lines", `An order has at most ${MAX_ORDER_LINES} lines.`);

    return context.db.transaction(async (manager) => {
      const account = await context.db.forUpdate(manager.createQueryBuilder(SmartAccount, "sa").where("sa.domain = :domain", { domain })).getOne();
      // Orders are facts of the commerce system: only its orders:write scope places them, into any
      // account; no role does (R15, R2). Without the scope the account is as visible as §5 says (R4).
      const integration = context.access.hasScope(scopeOf("placeOrder"));
      if (!account || (!integration && !context.guard.visible("SmartAccount", account, accountPlace(account.id)))) {
        throw new NotFoundError(`A Smart Account with the domain ${domain}`);
      }
      if (!integration) throw new ForbiddenError("Placing orders needs the orders:write scope; no role places them.");
      const now = this.clock.now();
      const lines = await this.validateLines(manager, account, raw.lines, now);
      const order = await manager.save(
        manager.create(Order, {
          number: `pending-${randomBytes(8).toString("hex")}`,
          status: OrderStatus.PENDING,
          smartAccountId: account.id,
          placedById: viewer.id,
          assignedFromId: null,
          createdAt: now,
          fulfilledAt: null,
        }),
      );
      order.number = orderNumber(order);
      await manager.update(Order, { id: order.id }, { number: order.number });
      const saved = await manager.save(lines.map((line) => manager.create(OrderLine, { ...line, orderId: order.id })));
      if (account.status === SmartAccountStatus.ACTIVE) {
        await deliverOrder(manager, order, saved, now);
        await assertPoolsFit(
          manager,
          account.id,
          saved.map((line) => line.productId),
          now,
        );
      }
      await this.events.record(manager, {
        type: "ORDER_PLACED",
        message:
          `${viewer.email} placed order ${order.number} (${saved.length} line${saved.length === 1 ? "" : "s"})` +
          (order.status === OrderStatus.PENDING ? "; licenses are delivered when the account is activated" : ""),
        actorId: viewer.id,
        smartAccountId: account.id,
      });
      return order;
    });
  }

  /** R18: moves a holding account's order, with its licenses still there, to a customer's account. */
  async assign(context: Actor, raw: { orderId: string; smartAccountDomain: string; virtualAccountId?: string | null }): Promise<Order> {
    const viewer = viewerOf(context);
    const orderId = fromGlobalId("Order", raw.orderId, "input.orderId");
    const domain = input.domainKey(raw.smartAccountDomain, "input.smartAccountDomain");
    const vaId = raw.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", raw.virtualAccountId, "input.virtualAccountId");

    return context.db.transaction(async (manager) => {
      const { object: order } = await context.guard.reach(manager, "Order", orderId, { needs: capabilityOf("assignOrder"), field: "input.orderId" });
      const holding = await manager.findOneByOrFail(SmartAccount, { id: order.smartAccountId });
      if (holding.type !== SmartAccountType.PARTNER_HOLDING) {
        throw new ConflictError(`Order ${order.number} is not in a partner holding account.`);
      }
      // The partner needs no role at the customer: the domain is enough (R18).
      const customer = await manager.findOneBy(SmartAccount, { domain });
      if (!customer) throw new NotFoundError(`A Smart Account with the domain ${domain}`);
      if (customer.type === SmartAccountType.PARTNER_HOLDING) {
        throw new InputError("input.smartAccountDomain", "Orders are assigned to CUSTOMER or LIMITED_USE accounts.");
      }
      const target =
        vaId === null
          ? await manager.findOneByOrFail(VirtualAccount, { smartAccountId: customer.id, isDefault: true })
          : await manager.findOneBy(VirtualAccount, { id: vaId, smartAccountId: customer.id });
      if (!target) throw new InputError("input.virtualAccountId", "The Virtual Account is not one of that Smart Account's.");

      // The pools the lots leave and join are counted again after the move (R27).
      const leaving = await this.lockOrderLots(context, manager, orderId, holding.id, target.id);
      const pools = leaving.filter((lot) => lot.kind === LicenseKind.SMART).flatMap((lot) => [lot, { ...lot, virtualAccountId: target.id }]);
      await lockPools(manager, pools, this.clock.now());
      const moved = await manager
        .createQueryBuilder()
        .update(License)
        .set({ smartAccountId: customer.id, virtualAccountId: target.id })
        .where("order_id = :orderId AND smart_account_id = :holdingId", { orderId, holdingId: holding.id })
        .execute();
      await manager.update(OrderLine, { orderId }, { virtualAccountId: target.id });
      await countLots(manager, pools, this.clock.now(), { locked: true });
      const lines = await manager.findBy(OrderLine, { orderId });
      order.assignedFromId = holding.id;
      const undelivered = order.status === OrderStatus.PENDING && (moved.affected ?? 0) === 0;
      order.smartAccountId = customer.id;
      await manager.update(Order, { id: orderId }, { smartAccountId: customer.id, assignedFromId: holding.id });
      if (customer.status === SmartAccountStatus.ACTIVE && undelivered) {
        // Booked while the holding account was pending: deliver its lines into the customer's account now.
        await deliverOrder(manager, order, lines, this.clock.now());
      } else {
        // Into a pending account the licenses are withheld: the order stays PENDING until activation (R18, R10).
        order.status = customer.status === SmartAccountStatus.ACTIVE ? OrderStatus.FULFILLED : OrderStatus.PENDING;
        order.fulfilledAt = order.status === OrderStatus.FULFILLED ? this.clock.now() : null;
        await manager.update(Order, { id: orderId }, { status: order.status, fulfilledAt: order.fulfilledAt });
      }
      // The lots now count in the customer's pools, withheld or not (R27).
      await assertPoolsFit(
        manager,
        customer.id,
        lines.map((line) => line.productId),
        this.clock.now(),
      );
      await this.events.record(manager, {
        type: "ORDER_ASSIGNED",
        message: `${viewer.email} assigned order ${order.number} (${moved.affected ?? 0} license lots) from ${holding.domain} to ${customer.domain}`,
        actorId: viewer.id,
        smartAccountId: holding.id,
      });
      return order;
    });
  }

  /**
   * The order's lots in the holding account, locked as a transfer locks what it moves: first the Virtual
   * Accounts they are in and the target, in id order, then the lots. A transfer that moved one of them
   * before the locks were held shows in the locked read; its new Virtual Account is locked too, and the
   * lots read again, until every lot is in a locked Virtual Account.
   */
  private async lockOrderLots(context: Actor, manager: EntityManager, orderId: number, holdingId: number, targetId: number): Promise<License[]> {
    const lockedVas = new Set<number>();
    const ofOrder = () =>
      manager.createQueryBuilder(License, "l").where("l.order_id = :orderId AND l.smart_account_id = :holdingId", { orderId, holdingId });
    let where = await ofOrder().getMany();
    for (;;) {
      const wanted = [...new Set([targetId, ...where.map((lot) => lot.virtualAccountId)])].filter((id) => !lockedVas.has(id)).sort((a, b) => a - b);
      if (wanted.length) {
        await context.db
          .forUpdate(manager.createQueryBuilder(VirtualAccount, "va").where("va.id IN (:...ids)", { ids: wanted }).orderBy("va.id"))
          .getMany();
        for (const id of wanted) lockedVas.add(id);
      }
      const lots = await context.db.forUpdate(ofOrder().orderBy("l.id")).getMany();
      if (lots.every((lot) => lockedVas.has(lot.virtualAccountId))) return lots;
      where = lots;
    }
  }

  private async validateLines(manager: EntityManager, account: SmartAccount, lines: OrderLineInput[], now: Date) {
    // By the SKUs' keys, one statement through the key's index: case and spacing set aside on every database.
    const products = await productsBySku(
      manager,
      lines.map((line) => (typeof line.sku === "string" ? line.sku : "")),
    );
    const vaIds = lines
      .map((line, index) =>
        line.virtualAccountId == null ? null : fromGlobalId("VirtualAccount", line.virtualAccountId, `input.lines[${index}].virtualAccountId`),
      )
      .filter((id): id is number => id !== null);
    const ownVas = vaIds.length
      ? new Set((await manager.findBy(VirtualAccount, { id: In(vaIds), smartAccountId: account.id })).map((va) => va.id))
      : new Set<number>();

    return lines.map((line, index) => {
      const field = (name: string) => `input.lines[${index}].${name}`;
      const product = products.get(skuKey(String(line.sku ?? "")));
      if (!product) throw new InputError(field("sku"), `No product has the SKU "${line.sku}".`);
      input.intInRange(line.quantity, field("quantity"), 1, 1_000_000);
      const kind = line.kind ?? LicenseKind.SMART;
      if (kind === LicenseKind.SMART && !product.smartEnabled) {
        throw new InputError(field("kind"), `${product.sku} is not smart-enabled: order it as CLASSIC.`);
      }
      let endsAt: Date | null = null;
      if (product.model === LicenseModel.TERM) {
        if (line.termMonths == null) throw new InputError(field("termMonths"), `${product.sku} is a term product: termMonths is required.`);
        endsAt = addMonths(now, input.intInRange(line.termMonths, field("termMonths"), 1, 120));
      } else if (line.termMonths != null) {
        throw new InputError(field("termMonths"), `${product.sku} is perpetual: give no termMonths.`);
      }
      const vaId = line.virtualAccountId == null ? null : (parseGlobalId(line.virtualAccountId)?.id ?? null);
      if (vaId !== null && !ownVas.has(vaId)) {
        throw new InputError(field("virtualAccountId"), "The Virtual Account is not one of this Smart Account's.");
      }
      return {
        productId: product.id,
        kind,
        quantity: line.quantity,
        termMonths: product.model === LicenseModel.TERM ? (line.termMonths as number) : null,
        startsAt: now,
        endsAt,
        virtualAccountId: vaId,
        pak: kind === LicenseKind.CLASSIC ? generatePak() : null,
      };
    });
  }
}

/** "SO-2026-000042": year of booking and the order's id. */
const orderNumber = (order: Order): string => `SO-${order.createdAt.getUTCFullYear()}-${String(order.id).padStart(6, "0")}`;
