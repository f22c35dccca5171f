import { Field, ID, InputType, ObjectType } from "type-graphql";
import { AlertType } from "./licenses";

// The notifications domain's mail choices (src/notifications/preferences.ts, R38).

@ObjectType("NotificationPreferences", {
  simpleResolvers: true,
  description: "One user's mail choices in one Smart Account (R38): the viewer's own, never anyone else's.",
})
export class NotificationPreferencesObject {
  @Field({ description: "A daily email listing the viewer's visible alerts in this account, when there are any." })
  dailyDigest!: boolean;
  @Field(() => [AlertType], { description: "Alert types mailed at once when raised." })
  immediateAlertTypes!: AlertType[];
}

@InputType("SetNotificationPreferencesInput", {
  description: "The caller's own mail choices in one Smart Account in which they hold a role (R38); replaces what was set before.",
})
export class SetNotificationPreferencesInput {
  @Field(() => ID, { description: "The Smart Account the choices are for." })
  smartAccountId!: string;
  @Field({ description: "True sends a daily digest of the caller's visible alerts in this account, on days there are any." })
  dailyDigest!: boolean;
  @Field(() => [AlertType], { description: "Alert types mailed at once when raised where the caller may see them; empty for none." })
  immediateAlertTypes!: AlertType[];
}
