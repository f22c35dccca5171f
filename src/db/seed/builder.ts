import { EntityManager } from "typeorm";
import {
  Role,
  RoleAssignment,
  SmartAccount,
  SmartAccountStatus,
  SmartAccountType,
  User,
  VirtualAccount,
} from "../../../entities";
import { childPath, siblingKey } from "../../accounts/tree";
import { Clock, systemClock } from "../../clock";

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

  async account(
    domain: string,
    options: { name?: string; type?: SmartAccountType; status?: SmartAccountStatus; awaitingDomainApproval?: boolean; domainParentId?: number | null } = {},
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
}
