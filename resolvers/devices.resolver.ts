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
  @FieldResolver(() => DeviceConnection, {
    nullable: true,
    description:
      "Every device in a Virtual Account where the viewer may see devices, in order of first registration; null with FORBIDDEN for roles that see no devices (§5, R4).",
  })
  productInstances(@Root() account: SmartAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.smartAccountProductInstances.load({ parent: account.id, request: pageRequest("SmartAccount.productInstances", page) });
  }
}

@Resolver(() => VirtualAccountObject)
export class VirtualAccountDevicesResolver {
  @FieldResolver(() => DeviceConnection, {
    nullable: true,
    description:
      "The devices registered in this very Virtual Account, in order of first registration; null with FORBIDDEN where the viewer may not see devices here (§5, R4).",
  })
  productInstances(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<ProductInstance>> {
    return context.loaders.virtualAccountProductInstances.load({ parent: va.id, request: pageRequest("VirtualAccount.productInstances", page) });
  }

  @FieldResolver(() => RegistrationTokenConnection, {
    nullable: true,
    description:
      "This Virtual Account's registration tokens, newest first, revoked ones included (R23); null with FORBIDDEN where the viewer may not see tokens here (§5, R4).",
  })
  registrationTokens(@Root() va: VirtualAccount, @Args() page: PageArgs, @Ctx() context: RequestContext): Promise<Connection<RegistrationToken>> {
    return context.loaders.registrationTokens.load({ parent: va.id, request: pageRequest("VirtualAccount.registrationTokens", page) });
  }
}

@Resolver(() => DeviceObject)
export class DeviceResolver extends NodeResolver("ProductInstance", DeviceObject) {
  @FieldResolver(() => VirtualAccountObject, {
    description: "The Virtual Account the device is registered in; for users who may see devices there, never for the device itself (R24).",
  })
  async virtualAccount(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(device.virtualAccountId)) as VirtualAccount;
  }

  @FieldResolver(() => [LicenseUsageObject], { description: "What the device reported it uses, per product; empty until it reports (R25)." })
  usage(@Root() device: ProductInstance, @Ctx() context: RequestContext): Promise<LicenseUsage[]> {
    return context.loaders.usage.load(device.id);
  }

  @Mutation(() => RegisterDevicePayload, {
    description:
      "Called by the device itself: the registration token is its credential. Registers the device into the token's Virtual Account (moving it there if it is already in that Smart Account) and returns a new credential (R24).",
  })
  registerProductInstance(
    @Arg("input", { description: "The token's secret and the device's identity." }) input: RegisterDeviceInput,
    @Ctx() context: RequestContext,
  ) {
    return context.services.devices.register(context, input);
  }

  @Mutation(() => DeviceObject, {
    description:
      "Called by the device itself with the credential it got at registration. Replaces the device's usage with the counts given and sets lastReportedAt (R25).",
  })
  reportUsage(
    @Arg("input", { description: "The device's credential and its whole current usage." }) input: ReportUsageInput,
    @Ctx() context: RequestContext,
  ): Promise<ProductInstance> {
    return context.services.devices.reportUsage(context, input);
  }

  @Mutation(() => DeviceObject, {
    description:
      "Moves a device with its usage between Virtual Accounts the caller manages licenses in; out of its Smart Account only with SMART_ACCOUNT_ADMIN or SMART_ACCOUNT_USER there (R26).",
  })
  transferProductInstance(
    @Arg("input", { description: "The device and where it goes." }) input: TransferDeviceInput,
    @Ctx() context: RequestContext,
  ): Promise<ProductInstance> {
    return context.services.devices.transfer(context, input);
  }

  @Mutation(() => ID, {
    description: "Deletes a device and releases its usage; licenses keep their dates. Returns its ID (R26).",
  })
  removeProductInstance(
    @Arg("id", () => ID, { description: "The device (product instance) to remove." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<string> {
    return context.services.devices.remove(context, id);
  }
}

@Resolver(() => RegistrationTokenObject)
export class RegistrationTokenResolver extends NodeResolver("RegistrationToken", RegistrationTokenObject) {
  @FieldResolver(() => UserObject, { nullable: true, description: "Who created the token; null where that is not recorded." })
  createdBy(@Root() token: RegistrationToken, @Ctx() context: RequestContext): Promise<User | null> | null {
    return token.createdById === null ? null : context.loaders.user.load(token.createdById);
  }

  @FieldResolver(() => VirtualAccountObject, { description: "The Virtual Account devices registered with this token go into." })
  async virtualAccount(@Root() token: RegistrationToken, @Ctx() context: RequestContext): Promise<VirtualAccount> {
    return (await context.loaders.virtualAccount.load(token.virtualAccountId)) as VirtualAccount;
  }

  @Mutation(() => CreateRegistrationTokenPayload, {
    description: "Creates a registration token in a Virtual Account where the caller manages licenses; the secret is returned once (R23).",
  })
  createRegistrationToken(
    @Arg("input", { description: "Where the token registers devices, and its limits." }) input: CreateRegistrationTokenInput,
    @Ctx() context: RequestContext,
  ) {
    return context.services.registrationTokens.create(context, input);
  }

  @Mutation(() => RegistrationTokenObject, {
    description: "Revokes a registration token: it registers nothing more and stays listed with revokedAt; revoking twice is a CONFLICT (R23).",
  })
  revokeRegistrationToken(
    @Arg("id", () => ID, { description: "The registration token to revoke." }) id: string,
    @Ctx() context: RequestContext,
  ): Promise<RegistrationToken> {
    return context.services.registrationTokens.revoke(context, id);
  }
}
