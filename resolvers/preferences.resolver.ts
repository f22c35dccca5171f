import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { SmartAccount } from "../entities";
import { RequestContext } from "../src/context";
import { NotificationPreferences, setNotificationPreferences, viewerNotificationPreferences } from "../src/notifications/preferences";
import { SmartAccountObject } from "./types/accounts";
import { NotificationPreferencesObject, SetNotificationPreferencesInput } from "./types/preferences";

// R38 mail choices (src/notifications/preferences.ts); the mail itself is the worker's
// (src/notifications/immediate-mail.ts, src/notifications/digest.ts).

@Resolver(() => SmartAccountObject)
export class SmartAccountPreferencesResolver {
  @FieldResolver(() => NotificationPreferencesObject, {
    description: "The viewer's own notification preferences in this account (R38); defaults until set.",
  })
  viewerNotificationPreferences(@Root() account: SmartAccount, @Ctx() context: RequestContext): Promise<NotificationPreferences> {
    return viewerNotificationPreferences(context, account.id);
  }
}

@Resolver(() => NotificationPreferencesObject)
export class NotificationPreferencesResolver {
  @FieldResolver(() => SmartAccountObject, { description: "The Smart Account these choices are for." })
  async smartAccount(@Root() preferences: NotificationPreferences, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(preferences.smartAccountId)) as SmartAccount;
  }

  @Mutation(() => NotificationPreferencesObject, {
    description:
      "Sets the caller's own mail choices in a Smart Account in which they hold any role (R38, §5): a daily digest of their visible alerts, and the alert types mailed at once when raised.",
  })
  setNotificationPreferences(
    @Arg("input", { description: "The account and the choices; they replace what was set before." }) input: SetNotificationPreferencesInput,
    @Ctx() context: RequestContext,
  ): Promise<NotificationPreferences> {
    return setNotificationPreferences(context, context.services.events, input);
  }
}
