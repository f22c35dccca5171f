import { SmartAccountService } from "./accounts/smart-account.service";
import { VirtualAccountService } from "./accounts/virtual-account.service";
import { Clock } from "./clock";
import { EventService } from "./events/event.service";
import { AccessRequestService } from "./roles/access-request.service";
import { RoleService } from "./roles/role.service";
import { UserService } from "./users/user.service";

/** The process-wide services; they hold no request state (each call takes the request context). */
export function createServices(clock: Clock) {
  const events = new EventService(clock);
  const users = new UserService(clock);
  const roles = new RoleService(clock, events, users);
  return {
    events,
    users,
    smartAccounts: new SmartAccountService(clock, events, users),
    virtualAccounts: new VirtualAccountService(clock, events),
    roles,
    accessRequests: new AccessRequestService(clock, events, users, roles),
  };
}

export type Services = ReturnType<typeof createServices>;
