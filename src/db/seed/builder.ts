import { EntityManager } from "typeorm";
import {
  License,
  LicenseKind,
  LicenseModel,
  LicenseTag,
  Order,
  OrderLine,
  OrderStatus,
  LicenseUsage,
  Product,
  ProductInstance,
  RegistrationToken,
  Role,
  RoleAssignment,
  SmartAccount,
  SmartAccountStatus,
  SmartAccountType,
  skuKey,
  User,
  VirtualAccount,
} from "../../../entities";
import { childPath, siblingKey } from "../../accounts/tree";
import { Clock, systemClock } from "../../clock";
import { hashSecret, newSecret } from "../../devices/secrets";
import { addUsage, countLots } from "../../licenses/kept-pools";
import { addMonths, deliverOrder, generatePak } from "../../orders/fulfilment";

export interface LineSpec {
  sku: string;
  quantity: number;
  kind?: LicenseKind;
  termMonths?: number;
  virtualAccount?: VirtualAccount | null;
}

/**
 * Builds rows straight into the database, following the hierarchy: for the demo data set and for
 * test fixtures (`account("acme.com").virtualAccount("US")…`). It bypasses the services on purpose:
 * fixtures state facts, the tests then exercise the rules through the API.
 */
export class Builder {
  constructor(
    readonly manager: EntityManager,
    readonly clock: Clock = systemClock,
  ) {}

  async user(email: string, name: string | null = null): Promise<User> {
    const existing = await this.manager.findOneBy(User, { email });
    return existing ?? this.manager.save(this.manager.create(User, { email, name, createdAt: this.clock.now() }));
  }

  async product(sku: string, options: { name?: string; model?: LicenseModel; smartEnabled?: boolean } = {}): Promise<Product> {
    // By the SKU's key, as the services look products up; the entity sets the key on save.
    const existing = await this.manager.findOneBy(Product, { skuKey: skuKey(sku) });
    if (existing) return existing;
    const now = this.clock.now();
    return this.manager.save(
      this.manager.create(Product, {
        sku,
        name: options.name ?? sku,
        model: options.model ?? LicenseModel.PERPETUAL,
        smartEnabled: options.smartEnabled ?? true,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }

  async account(
    domain: string,
    options: {
      name?: string;
      type?: SmartAccountType;
      status?: SmartAccountStatus;
      awaitingDomainApproval?: boolean;
      domainParentId?: number | null;
    } = {},
  ): Promise<AccountBuilder> {
    const status = options.status ?? SmartAccountStatus.ACTIVE;
    const account = await this.manager.save(
      this.manager.create(SmartAccount, {
        name: options.name ?? domain,
        domain,
        type: options.type ?? SmartAccountType.CUSTOMER,
        status,
        awaitingDomainApproval: options.awaitingDomainApproval ?? false,
        domainParentId: options.domainParentId ?? null,
        requestedById: null,
        createdAt: this.clock.now(),
        activatedAt: status === SmartAccountStatus.ACTIVE ? this.clock.now() : null,
      }),
    );
    const builder = new AccountBuilder(this, account);
    builder.defaultVirtualAccount = await builder.virtualAccount("Default", null, { isDefault: true });
    return builder;
  }
}

export class AccountBuilder {
  defaultVirtualAccount!: VirtualAccount;

  constructor(
    private readonly build: Builder,
    readonly account: SmartAccount,
  ) {}

  get id(): number {
    return this.account.id;
  }

  async virtualAccount(
    name: string,
    parent: VirtualAccount | null = null,
    options: { isDefault?: boolean; description?: string } = {},
  ): Promise<VirtualAccount> {
    const { manager } = this.build;
    const va = await manager.save(
      manager.create(VirtualAccount, {
        smartAccountId: this.account.id,
        parentId: parent?.id ?? null,
        name,
        siblingKey: siblingKey(parent?.id ?? null, name),
        description: options.description ?? null,
        isDefault: options.isDefault ?? false,
        depth: (parent?.depth ?? 0) + 1,
        path: `pending:${name}:${Math.random()}`,
        createdAt: this.build.clock.now(),
      }),
    );
    va.path = childPath(parent?.path ?? null, va.id);
    await manager.update(VirtualAccount, { id: va.id }, { path: va.path });
    return va;
  }

  /** A chain of nested Virtual Accounts, e.g. chain("US", "Finance", "Sacramento"); returns them top first. */
  async chain(...names: string[]): Promise<VirtualAccount[]> {
    const out: VirtualAccount[] = [];
    for (const name of names) out.push(await this.virtualAccount(name, out[out.length - 1] ?? null));
    return out;
  }

  async grant(email: string, role: Role, virtualAccount: VirtualAccount | null = null): Promise<RoleAssignment> {
    const { manager } = this.build;
    const user = await this.build.user(email);
    return manager.save(
      manager.create(RoleAssignment, {
        userId: user.id,
        smartAccountId: this.account.id,
        virtualAccountId: virtualAccount?.id ?? null,
        scopeKey: virtualAccount?.id ?? 0,
        role,
        grantedById: null,
        createdAt: this.build.clock.now(),
      }),
    );
  }

  /**
   * An order as placeOrder books it (R16): fulfilled into lots when the account is active, PENDING
   * otherwise. `bookedAt` back-dates it, e.g. to make a term lot that expires soon.
   */
  async order(lines: LineSpec[], options: { placedBy?: string; bookedAt?: Date } = {}): Promise<{ order: Order; licenses: License[] }> {
    const { manager } = this.build;
    const bookedAt = options.bookedAt ?? this.build.clock.now();
    const placedBy = options.placedBy ? await this.build.user(options.placedBy) : null;
    const order = await manager.save(
      manager.create(Order, {
        number: `SO-${bookedAt.getUTCFullYear()}-${Math.random().toString().slice(2, 12)}`,
        status: OrderStatus.PENDING,
        smartAccountId: this.account.id,
        placedById: placedBy?.id ?? null,
        assignedFromId: null,
        createdAt: bookedAt,
        fulfilledAt: null,
      }),
    );
    order.number = `SO-${bookedAt.getUTCFullYear()}-${String(order.id).padStart(6, "0")}`;
    await manager.update(Order, { id: order.id }, { number: order.number });
    const saved: OrderLine[] = [];
    for (const line of lines) {
      const product = await this.build.product(line.sku);
      const kind = line.kind ?? LicenseKind.SMART;
      saved.push(
        await manager.save(
          manager.create(OrderLine, {
            orderId: order.id,
            productId: product.id,
            kind,
            quantity: line.quantity,
            termMonths: line.termMonths ?? null,
            startsAt: bookedAt,
            endsAt: line.termMonths ? addMonths(bookedAt, line.termMonths) : null,
            virtualAccountId: line.virtualAccount?.id ?? null,
            pak: kind === LicenseKind.CLASSIC ? generatePak() : null,
          }),
        ),
      );
    }
    const licenses = this.account.status === SmartAccountStatus.ACTIVE ? await deliverOrder(manager, order, saved, bookedAt) : [];
    return { order, licenses };
  }

  /** A bare license lot (no order), for fixtures that only need a pool. */
  async license(
    virtualAccount: VirtualAccount,
    sku: string,
    quantity: number,
    options: { kind?: LicenseKind; startsAt?: Date; endsAt?: Date | null; tags?: string[]; pak?: string | null } = {},
  ): Promise<License> {
    const { manager } = this.build;
    const product = await this.build.product(sku);
    const kind = options.kind ?? LicenseKind.SMART;
    const lot = await manager.save(
      manager.create(License, {
        smartAccountId: this.account.id,
        virtualAccountId: virtualAccount.id,
        productId: product.id,
        orderId: null,
        orderLineId: null,
        kind,
        quantity,
        startsAt: options.startsAt ?? this.build.clock.now(),
        endsAt: options.endsAt ?? null,
        pak: options.pak ?? (kind === LicenseKind.CLASSIC ? generatePak() : null),
        splitFromId: null,
        createdAt: this.build.clock.now(),
      }),
    );
    if (options.tags?.length)
      await manager.insert(
        LicenseTag,
        options.tags.map((tag) => ({ licenseId: lot.id, tag })),
      );
    if (kind === LicenseKind.SMART)
      await countLots(manager, [{ virtualAccountId: virtualAccount.id, productId: product.id }], this.build.clock.now());
    return lot;
  }

  /** A registration token; returns it with its secret (only the hash is stored, R23). */
  async token(
    virtualAccount: VirtualAccount,
    options: { expiresAt?: Date; maxUses?: number | null; uses?: number; revokedAt?: Date | null; description?: string; createdBy?: string } = {},
  ): Promise<{ token: RegistrationToken; secret: string }> {
    const { manager, clock } = this.build;
    const secret = newSecret("sat");
    const createdBy = options.createdBy ? await this.build.user(options.createdBy) : null;
    const token = await manager.save(
      manager.create(RegistrationToken, {
        smartAccountId: this.account.id,
        virtualAccountId: virtualAccount.id,
        description: options.description ?? null,
        secretHash: hashSecret(secret),
        createdAt: clock.now(),
        expiresAt: options.expiresAt ?? new Date(clock.now().getTime() + 30 * 86_400_000),
        maxUses: options.maxUses ?? null,
        uses: options.uses ?? 0,
        exportControlled: false,
        revokedAt: options.revokedAt ?? null,
        createdById: createdBy?.id ?? null,
      }),
    );
    return { token, secret };
  }

  /** A registered device with its usage (R24, R25); returns it with its credential. */
  async device(
    virtualAccount: VirtualAccount,
    pid: string,
    serialNumber: string,
    options: { hostname?: string; usage?: { sku: string; count: number }[]; registeredAt?: Date; lastReportedAt?: Date | null } = {},
  ): Promise<{ device: ProductInstance; credential: string }> {
    const { manager, clock } = this.build;
    const credential = newSecret("dev");
    const device = await manager.save(
      manager.create(ProductInstance, {
        smartAccountId: this.account.id,
        virtualAccountId: virtualAccount.id,
        pid,
        serialNumber,
        hostname: options.hostname ?? null,
        credentialHash: hashSecret(credential),
        registrationTokenId: null,
        registeredAt: options.registeredAt ?? clock.now(),
        lastReportedAt: options.lastReportedAt === undefined ? clock.now() : options.lastReportedAt,
      }),
    );
    for (const line of options.usage ?? []) {
      const product = await this.build.product(line.sku);
      await manager.insert(LicenseUsage, { productInstanceId: device.id, productId: product.id, count: line.count });
      await addUsage(manager, [{ virtualAccountId: virtualAccount.id, productId: product.id, delta: line.count }], clock.now());
    }
    return { device, credential };
  }
}
