import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { License, Order, Product, SmartAccount, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { LicenseStatus, licenseStatus } from "../src/licenses/expiry";
import { Alert } from "../src/licenses/alerts";
import { LicensePool } from "../src/licenses/pools";
import { smartAccountAlerts, usageSummary, UsageSummaryEntry, virtualAccountAlerts } from "../src/licenses/queries";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { ProductObject } from "./types/catalog";
import { PageArgs } from "./types/connection";
import {
  AlertObject,
  ConvertClassicLicenseInput,
  LicenseConnection,
  LicenseFilterInput,
  LicenseObject,
  LicensePoolObject,
  SetLicenseTagsInput,
  TransferLicensesInput,
  TransferLicensesPayload,
  UsageSummaryEntryObject,
} from "./types/licenses";
import { OrderObject } from "./types/orders";

/** Normalises a filter for use as part of a loader key. */
const filterKey = (filter: LicenseFilterInput | null | undefined) => (filter ? { ...filter } : null);

@Resolver(() => SmartAccountObject)
export class SmartAccountLicensesResolver {
  @FieldResolver(() => [LicensePoolObject], { nullable: true, description: "License pools summed over every Virtual Account the viewer can see." })
  licensePools(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<LicensePool[]> {
    return context.loaders.accountPools.load(account.id);
  }

  @FieldResolver(() => LicenseConnection, { nullable: true })
  licenses(
    @Root() account: SmartAccount,
    @Arg("filter", () => LicenseFilterInput, { nullable: true }) filter: LicenseFilterInput | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<License>> {
    return context.loaders.smartAccountLicenses.load({
      parent: account.id,
      request: pageRequest("SmartAccount.licenses", page),
      filter: filterKey(filter),
    });
  }

  @FieldResolver(() => [AlertObject], { nullable: true })
  alerts(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<Alert[]> {
    return smartAccountAlerts(context, account);
  }

  @FieldResolver(() => [UsageSummaryEntryObject], {
    nullable: true,
    description: "Purchased, in use, available and shortage per product and Virtual Account over the viewer's scope, by path.",
  })
  usageSummary(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<UsageSummaryEntry[]> {
    return usageSummary(context, account);
  }
}

@Resolver(() => UsageSummaryEntryObject)
export class UsageSummaryEntryResolver {
  @FieldResolver(() => VirtualAccountObject)
  async virtualAccount(@Root() entry: UsageSummaryEntry, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(entry.virtualAccountId)) as VirtualAccount;
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountLicensesResolver {
  @FieldResolver(() => LicenseConnection, { nullable: true })
  licenses(
    @Root() va: VirtualAccount,
    @Arg("filter", () => LicenseFilterInput, { nullable: true }) filter: LicenseFilterInput | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<License>> {
    return context.loaders.virtualAccountLicenses.load({
      parent: va.id,
      request: pageRequest("VirtualAccount.licenses", page),
      filter: filterKey(filter),
    });
  }

  @FieldResolver(() => [LicensePoolObject], {
    nullable: true,
    description: "One pool per product; with includeDescendants, summed over the whole subtree.",
  })
  licensePools(
    @Root() va: VirtualAccount,
    @Arg("includeDescendants", () => Boolean, { nullable: true, defaultValue: false }) includeDescendants: boolean,
    @Ctx() context: RequestContext,
  ): Promise<LicensePool[]> {
    return (includeDescendants ? context.loaders.subtreePools : context.loaders.pools).load(va.id);
  }

  @FieldResolver(() => [AlertObject], { nullable: true })
  alerts(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<Alert[]> {
    return virtualAccountAlerts(context, va);
  }
}

@Resolver(() => LicenseObject)
export class LicenseResolver extends NodeResolver("License", LicenseObject) {
  @FieldResolver(() => ProductObject)
  async product(@Root() license: License, @Ctx() context: RequestContext): Promise<Product> {
    return (await context.loaders.product.load(license.productId)) as Product;
  }

  @FieldResolver(() => LicenseStatus)
  status(@Root() license: License, @Ctx() context: RequestContext): LicenseStatus {
    return licenseStatus(license, context.clock.now());
  }

  @FieldResolver(() => [String])
  tags(@Root() license: License, @Ctx() context: RequestContext): Promise<string[]> {
    return context.loaders.tags.load(license.id);
  }

  @FieldResolver(() => VirtualAccountObject)
  async virtualAccount(@Root() license: License, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(license.virtualAccountId)) as VirtualAccount;
  }

  @FieldResolver(() => OrderObject, { nullable: true, description: "Null where the viewer cannot see orders." })
  async order(@Root() license: License, @Ctx() context: RequestContext): Promise<Order | null> {
    if (license.orderId === null) return null;
    return context.seen("Order", await context.loaders.order.load(license.orderId));
  }

  @Mutation(() => TransferLicensesPayload)
  transferLicenses(@Arg("input") input: TransferLicensesInput, @Ctx() context: RequestContext) {
    return context.services.licenses.transfer(context, input);
  }

  @Mutation(() => LicenseObject)
  convertClassicLicense(@Arg("input") input: ConvertClassicLicenseInput, @Ctx() context: RequestContext): Promise<License> {
    return context.services.licenses.convert(context, input);
  }

  @Mutation(() => LicenseObject)
  setLicenseTags(@Arg("input") input: SetLicenseTagsInput, @Ctx() context: RequestContext): Promise<License> {
    return context.services.licenses.setTags(context, input);
  }
}

@Resolver(() => TransferLicensesPayload)
export class TransferLicensesPayloadResolver {
  @FieldResolver(() => VirtualAccountObject)
  from(@Root() payload: { from: VirtualAccount }): VirtualAccount {
    return payload.from;
  }

  @FieldResolver(() => VirtualAccountObject)
  to(@Root() payload: { to: VirtualAccount }): VirtualAccount {
    return payload.to;
  }
}
