import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { LicenseUsage, ProductInstance, RegistrationToken, SmartAccount, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import {
  CreateRegistrationTokenInput,
  CreateRegistrationTokenPayload,
  LicenseUsageObject,
  ProductInstanceConnection,
  ProductInstanceObject,
  RegisterProductInstanceInput,
  RegisterProductInstancePayload,
  RegistrationTokenConnection,
  RegistrationTokenObject,
  ReportUsageInput,
  TransferProductInstanceInput,
} from "./types/devices";
import { PageArgs } from "./types/inputs";
import { SmartAccountObject, UserObject, VirtualAccountObject } from "./types/objects";

@Resolver(() => SmartAccountObject)
export class SmartAccountDevicesResolver {
  @FieldResolver(() => ProductInstanceConnection, { nullable: true })
  productInstances(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.smartAccountProductInstances.load({ parent: account.id, request: pageRequest("SmartAccount.productInstances", page) });
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountDevicesResolver {
  @FieldResolver(() => ProductInstanceConnection, { nullable: true })
  productInstances(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.virtualAccountProductInstances.load({ parent: va.id, request: pageRequest("VirtualAccount.productInstances", page) });
  }

  @FieldResolver(() => RegistrationTokenConnection, { nullable: true })
  registrationTokens(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RegistrationToken>> {
    return context.loaders.registrationTokens.load({ parent: va.id, request: pageRequest("VirtualAccount.registrationTokens", page) });
  }
}

@Resolver(() => ProductInstanceObject)
export class ProductInstanceResolver extends NodeResolver("ProductInstance", ProductInstanceObject) {
  @FieldResolver(() => VirtualAccountObject)
  async virtualAccount(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(device.virtualAccountId)) as VirtualAccount;
  }

  @FieldResolver(() => [LicenseUsageObject])
  usage(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<LicenseUsage[]> {
    return context.loaders.usage.load(device.id);
  }

  @Mutation(() => RegisterProductInstancePayload, { description: "Called by the device itself: the registration token is its credential." })
  registerProductInstance(@Arg("input") input: RegisterProductInstanceInput, @Ctx() context: RequestContext) {
    return context.services.devices.register(context, input);
  }

  @Mutation(() => ProductInstanceObject, { description: "Called by the device itself with the credential it got at registration." })
  reportUsage(@Arg("input") input: ReportUsageInput, @Ctx() context: RequestContext): Promise<ProductInstance> {
    return context.services.devices.reportUsage(context, input);
  }

  @Mutation(() => ProductInstanceObject)
  transferProductInstance(@Arg("input") input: TransferProductInstanceInput, @Ctx() context: RequestContext): Promise<ProductInstance> {
    return context.services.devices.transfer(context, input);
  }

  @Mutation(() => ID)
  removeProductInstance(@Arg("id", () => ID) id: string, @Ctx() context: RequestContext): Promise<string> {
    return context.services.devices.remove(context, id);
  }
}

@Resolver(() => RegistrationTokenObject)
export class RegistrationTokenResolver extends NodeResolver("RegistrationToken", RegistrationTokenObject) {
  @FieldResolver(() => UserObject, { nullable: true })
  createdBy(@Root() token: RegistrationToken, @Ctx() context: RequestContext): Promise<User | null> | null {
    return token.createdById === null ? null : context.loaders.user.load(token.createdById);
  }

  @FieldResolver(() => VirtualAccountObject)
  async virtualAccount(@Root() token: RegistrationToken, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(token.virtualAccountId)) as VirtualAccount;
  }

  @Mutation(() => CreateRegistrationTokenPayload)
  createRegistrationToken(@Arg("input") input: CreateRegistrationTokenInput, @Ctx() context: RequestContext) {
    return context.services.registrationTokens.create(context, input);
  }

  @Mutation(() => RegistrationTokenObject)
  revokeRegistrationToken(@Arg("id", () => ID) id: string, @Ctx() context: RequestContext): Promise<RegistrationToken> {
    return context.services.registrationTokens.revoke(context, id);
  }
}

