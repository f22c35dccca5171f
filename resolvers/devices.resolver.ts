import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { LicenseUsage, ProductInstance, RegistrationToken, SmartAccount, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { PageArgs } from "./types/connection";
import {
  CreateRegistrationTokenInput,
  CreateRegistrationTokenPayload,
  DeviceConnection,
  DeviceObject,
  LicenseUsageObject,
  RegisterDeviceInput,
  RegisterDevicePayload,
  RegistrationTokenConnection,
  RegistrationTokenObject,
  ReportUsageInput,
  TransferDeviceInput,
} from "./types/devices";
import { UserObject } from "./types/users";

// The devices domain (src/devices): devices (GraphQL `ProductInstance`) and the registration tokens
// they register with.

@Resolver(() => SmartAccountObject)
export class SmartAccountDevicesResolver {
  @FieldResolver(() => DeviceConnection, { nullable: true })
  productInstances(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.smartAccountProductInstances.load({ parent: account.id, request: pageRequest("SmartAccount.productInstances", page) });
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountDevicesResolver {
  @FieldResolver(() => DeviceConnection, { nullable: true })
  productInstances(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.virtualAccountProductInstances.load({ parent: va.id, request: pageRequest("VirtualAccount.productInstances", page) });
  }

  @FieldResolver(() => RegistrationTokenConnection, { nullable: true })
  registrationTokens(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RegistrationToken>> {
    return context.loaders.registrationTokens.load({ parent: va.id, request: pageRequest("VirtualAccount.registrationTokens", page) });
  }
}

@Resolver(() => DeviceObject)
export class DeviceResolver extends NodeResolver("ProductInstance", DeviceObject) {
  @FieldResolver(() => VirtualAccountObject)
  async virtualAccount(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(device.virtualAccountId)) as VirtualAccount;
  }

  @FieldResolver(() => [LicenseUsageObject])
  usage(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<LicenseUsage[]> {
    return context.loaders.usage.load(device.id);
  }

  @Mutation(() => RegisterDevicePayload, { description: "Called by the device itself: the registration token is its credential." })
  registerProductInstance(@Arg("input") input: RegisterDeviceInput, @Ctx() context: RequestContext) {
    return context.services.devices.register(context, input);
  }

  @Mutation(() => DeviceObject, { description: "Called by the device itself with the credential it got at registration." })
  reportUsage(@Arg("input") input: ReportUsageInput, @Ctx() context: RequestContext): Promise<ProductInstance> {
    return context.services.devices.reportUsage(context, input);
  }

  @Mutation(() => DeviceObject)
  transferProductInstance(@Arg("input") input: TransferDeviceInput, @Ctx() context: RequestContext): Promise<ProductInstance> {
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
