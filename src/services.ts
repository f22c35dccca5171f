import { SmartAccountService } from "./accounts/smart-account.service";
import { VirtualAccountService } from "./accounts/virtual-account.service";
import { ProductService } from "./catalog/product.service";
import { Clock } from "./clock";
import { NotificationSettings } from "./config";
import { DeviceService } from "./devices/device.service";
import { RegistrationTokenService } from "./devices/token.service";
import { EventService } from "./events/event.service";
import { LicenseService } from "./licenses/license.service";
import { fulfilPendingOrders } from "./orders/fulfilment";
import { OrderService } from "./orders/order.service";
import { AccessRequestService } from "./roles/access-request.service";
import { RoleService } from "./roles/role.service";
import { UserService } from "./users/user.service";
import { WebhookService } from "./notifications/webhook.service";

/**
 * The process-wide services; they hold no request state (each call takes the request context).
 * `notifications` are the webhooks' settings (R37); src/app.ts should pass `config.notifications` — until
 * it does, they are read from the process environment as src/main.ts reads its configuration.
 */
export function createServices(clock: Clock, notifications: NotificationSettings) {
  const events = new EventService(clock);
  const users = new UserService(clock);
  const roles = new RoleService(clock, events, users);
  const smartAccounts = new SmartAccountService(clock, events, users);
  // R10: activation fulfils the account's pending orders, in the activation's transaction.
  smartAccounts.onActivation((manager, account) => fulfilPendingOrders(manager, account, clock.now()).then(() => undefined));
  return {
    events,
    users,
    smartAccounts,
    virtualAccounts: new VirtualAccountService(clock, events),
    roles,
    accessRequests: new AccessRequestService(clock, events, users, roles),
    products: new ProductService(clock, events),
    orders: new OrderService(clock, events),
    licenses: new LicenseService(clock, events),
    registrationTokens: new RegistrationTokenService(clock, events),
    devices: new DeviceService(clock, events),
    webhooks: new WebhookService(clock, events, notifications),
  };
}

export type Services = ReturnType<typeof createServices>;
