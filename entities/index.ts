export * from "./access-request";
export * from "./alert-state";
export * from "./event";
export * from "./license";
export * from "./license-kind";
export * from "./license-pool";
export * from "./license-tag";
export * from "./license-usage";
export * from "./notification";
export * from "./notification-preference";
export * from "./order";
export * from "./order-line";
export * from "./product";
export * from "./product-instance";
export * from "./registration-token";
export * from "./role-assignment";
export * from "./smart-account";
export * from "./user";
export * from "./virtual-account";
export * from "./webhook";

import { AccessRequest } from "./access-request";
import { AlertCheck, AlertState } from "./alert-state";
import { Event } from "./event";
import { License } from "./license";
import { LicensePoolRow } from "./license-pool";
import { LicenseTag } from "./license-tag";
import { LicenseUsage } from "./license-usage";
import { Notification } from "./notification";
import { NotificationPreference, WorkerTask } from "./notification-preference";
import { Order } from "./order";
import { OrderLine } from "./order-line";
import { Product } from "./product";
import { ProductInstance } from "./product-instance";
import { RegistrationToken } from "./registration-token";
import { RoleAssignment } from "./role-assignment";
import { SmartAccount } from "./smart-account";
import { User } from "./user";
import { VirtualAccount } from "./virtual-account";
import { Webhook, WebhookDelivery } from "./webhook";

export const ENTITIES = [
  User,
  SmartAccount,
  VirtualAccount,
  RoleAssignment,
  AccessRequest,
  Event,
  Product,
  Order,
  OrderLine,
  License,
  LicenseTag,
  ProductInstance,
  LicenseUsage,
  LicensePoolRow,
  RegistrationToken,
  Notification,
  AlertState,
  AlertCheck,
  Webhook,
  WebhookDelivery,
  NotificationPreference,
  WorkerTask,
];
