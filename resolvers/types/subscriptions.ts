import { Field, ObjectType, registerEnumType } from "type-graphql";
import { AlertObject } from "./licenses";

// The live side of the notifications (src/notifications, SPEC §8): what Subscription.alertChanges yields (R35, R36).

export enum AlertChangeKind {
  RAISED = "RAISED",
  CLEARED = "CLEARED",
}
registerEnumType(AlertChangeKind, {
  name: "AlertChangeKind",
  description: "Whether an alert began or ended (R35).",
  valuesConfig: {
    RAISED: { description: "The alert holds now and did not before." },
    CLEARED: { description: "The alert held and holds no more; `alert` is as it was last recorded." },
  },
});

@ObjectType("AlertChange", { simpleResolvers: true, description: "An alert raised or cleared, as Subscription.alertChanges streams it (R35, R36)." })
export class AlertChangeObject {
  @Field(() => AlertChangeKind, { description: "RAISED or CLEARED." })
  kind!: AlertChangeKind;
  @Field(() => AlertObject, { description: "The alert: for CLEARED, its figures as last recorded." })
  alert!: AlertObject;
  @Field({ description: "When the change was recorded." })
  at!: Date;
}
