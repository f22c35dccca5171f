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
  @FieldResolver(() => [LicensePoolObject], {
    nullable: true,
    description:
      "License pools summed over every Virtual Account the viewer can see. One per product, by SKU; null with FORBIDDEN for roles that see no licenses (R27, R4).",
  })
  licensePools(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<LicensePool[]> {
    return context.loaders.accountPools.load(account.id);
  }

  @FieldResolver(() => LicenseConnection, {
    nullable: true,
    description:
      "Every license lot in a Virtual Account where the viewer may see licenses, oldest first; null with FORBIDDEN for roles that see no licenses (§5, R4).",
  })
  licenses(
    @Root() account: SmartAccount,
    @Arg("filter", () => LicenseFilterInput, { nullable: true, description: "Only the lots that match; omit for all." })
    filter: LicenseFilterInput | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<License>> {
    return context.loaders.smartAccountLicenses.load({
      parent: account.id,
      request: pageRequest("SmartAccount.licenses", page),
      filter: filterKey(filter),
    });
  }

  @FieldResolver(() => [AlertObject], {
    nullable: true,
    description:
      "The alerts of every Virtual Account where the viewer may see licenses, MAJOR before MINOR, then by dueAt (alerts without one first); null with FORBIDDEN for roles that see no licenses (R28, R4).",
  })
  alerts(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<Alert[]> {
    return smartAccountAlerts(context, account);
  }

  @FieldResolver(() => [UsageSummaryEntryObject], {
    nullable: true,
    description:
      "Purchased, in use, available and shortage per product and Virtual Account over the viewer's scope, by path. Null with FORBIDDEN for roles that see no licenses (R27, R4).",
  })
  usageSummary(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<UsageSummaryEntry[]> {
    return usageSummary(context, account);
  }
}

@Resolver(() => UsageSummaryEntryObject)
export class UsageSummaryEntryResolver {
  @FieldResolver(() => VirtualAccountObject, { description: "The Virtual Account whose pool this is." })
  async virtualAccount(@Root() entry: UsageSummaryEntry, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(entry.virtualAccountId)) as VirtualAccount;
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountLicensesResolver {
  @FieldResolver(() => LicenseConnection, {
    nullable: true,
    description:
      "The license lots of this very Virtual Account, oldest first; null with FORBIDDEN where the viewer may not see licenses here (§5, R4).",
  })
  licenses(
    @Root() va: VirtualAccount,
    @Arg("filter", () => LicenseFilterInput, { nullable: true, description: "Only the lots that match; omit for all." })
    filter: LicenseFilterInput | null,
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
    description:
      "One pool per product; with includeDescendants, summed over the whole subtree. By SKU; null with FORBIDDEN where the viewer may not see licenses here (R27, R4).",
  })
  licensePools(
    @Root() va: VirtualAccount,
    @Arg("includeDescendants", () => Boolean, {
      nullable: true,
      defaultValue: false,
      description: "True sums this Virtual Account and every one below it; false (the default) counts this one alone.",
    })
    includeDescendants: boolean,
    @Ctx() context: RequestContext,
  ): Promise<LicensePool[]> {
    return includeDescendants ? context.loaders.subtreePools.load(va) : context.loaders.pools.load(va.id);
  }

  @FieldResolver(() => [AlertObject], {
    nullable: true,
    description:
      "This very Virtual Account's alerts, MAJOR before MINOR, then by dueAt (alerts without one first); null with FORBIDDEN where the viewer may not see licenses here (R28, R4).",
  })
  alerts(@Root() va: VirtualAccount, @Ctx() context: RequestContext): Promise<Alert[]> {
    return virtualAccountAlerts(context, va);
  }
}

@Resolver(() => LicenseObject)
export class LicenseResolver extends NodeResolver("License", LicenseObject) {
  @FieldResolver(() => ProductObject, { description: "The product the licenses are for." })
  async product(@Root() license: License, @Ctx() context: RequestContext): Promise<Product> {
    return (await context.loaders.product.load(license.productId)) as Product;
  }

  @FieldResolver(() => LicenseStatus, { description: "EXPIRED once endsAt has passed, else ACTIVE (R22)." })
  status(@Root() license: License, @Ctx() context: RequestContext): LicenseStatus {
    return licenseStatus(license, context.clock.now());
  }

  @FieldResolver(() => [String], { description: "The lot's tags, alphabetically; they help search and never restrict access (R21)." })
  tags(@Root() license: License, @Ctx() context: RequestContext): Promise<string[]> {
    return context.loaders.tags.load(license.id);
  }

  @FieldResolver(() => VirtualAccountObject, { description: "The Virtual Account the lot is in." })
  async virtualAccount(@Root() license: License, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(license.virtualAccountId)) as VirtualAccount;
  }

  @FieldResolver(() => OrderObject, {
    nullable: true,
    description: "The order that delivered the lot. Null where the viewer cannot see orders, or where no order delivered it.",
  })
  async order(@Root() license: License, @Ctx() context: RequestContext): Promise<Order | null> {
    if (license.orderId === null) return null;
    return context.seen("Order", await context.loaders.order.load(license.orderId));
  }

  @Mutation(() => TransferLicensesPayload, {
    description:
      "Moves SMART licenses of one product between two Virtual Accounts, keeping their dates; the caller manages licenses at both ends (R19).",
  })
  transferLicenses(
    @Arg("input", { description: "From where, to where, which product and how many." }) input: TransferLicensesInput,
    @Ctx() context: RequestContext,
  ) {
    return context.services.licenses.transfer(context, input);
  }

  @Mutation(() => LicenseObject, {
    description:
      "Turns licenses of a CLASSIC lot into a new SMART lot in the same Virtual Account with the same dates, and returns the new lot; the classic lot keeps its ID and shrinks (R20).",
  })
  convertClassicLicense(
    @Arg("input", { description: "The classic lot and how many of its licenses to convert." }) input: ConvertClassicLicenseInput,
    @Ctx() context: RequestContext,
  ): Promise<License> {
    return context.services.licenses.convert(context, input);
  }

  @Mutation(() => LicenseObject, { description: "Replaces a lot's tags; returns the lot (R21)." })
  setLicenseTags(
    @Arg("input", { description: "The lot and its new tags." }) input: SetLicenseTagsInput,
    @Ctx() context: RequestContext,
  ): Promise<License> {
    return context.services.licenses.setTags(context, input);
  }
}

@Resolver(() => TransferLicensesPayload)
export class TransferLicensesPayloadResolver {
  @FieldResolver(() => VirtualAccountObject, { description: "The Virtual Account the licenses left." })
  from(@Root() payload: { from: VirtualAccount }): VirtualAccount {
    return payload.from;
  }

  @FieldResolver(() => VirtualAccountObject, { description: "The Virtual Account the licenses went to." })
  to(@Root() payload: { to: VirtualAccount }): VirtualAccount {
    return payload.to;
  }
}
