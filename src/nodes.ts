import { Event } from "../entities";
import { SmartAccountService } from "./accounts/smart-account.service";
import { RequestContext } from "./context";
import { parseGlobalId } from "./ids";
import { OrderService } from "./orders/order.service";
import { AccessRequestService } from "./roles/access-request.service";
import { RoleService } from "./roles/role.service";

/**
 * `node(id:)`: the object behind a global id if it exists and the viewer may see it, else null (R4, R5).
 * Every kind's visibility rule is the same one its lists and mutations use.
 */
export async function loadNode(context: RequestContext, globalId: string): Promise<object | null> {
  const parsed = parseGlobalId(globalId);
  if (!parsed) return null;
  const { loaders, access } = context;
  switch (parsed.type) {
    case "SmartAccount": {
      const account = await loaders.smartAccount.load(parsed.id);
      return SmartAccountService.visible(access, account) ? account : null;
    }
    case "VirtualAccount": {
      const va = await loaders.virtualAccount.load(parsed.id);
      return va && access.can("virtualAccounts:read", va) ? va : null;
    }
    case "RoleAssignment": {
      const assignment = await loaders.roleAssignment.load(parsed.id);
      return assignment && RoleService.visible(access, assignment, await pathOf(context, assignment)) ? assignment : null;
    }
    case "AccessRequest": {
      const request = await loaders.accessRequest.load(parsed.id);
      return request && AccessRequestService.visible(access, request) ? request : null;
    }
    case "Event": {
      const event = await loaders.event.load(parsed.id);
      return event && (await eventVisible(context, event)) ? event : null;
    }
    case "User": {
      const user = await loaders.user.load(parsed.id);
      return user && (await userVisible(context, user.id)) ? user : null;
    }
    case "License": {
      const license = await loaders.license.load(parsed.id);
      const va = license ? await loaders.virtualAccount.load(license.virtualAccountId) : null;
      return license && va && access.can("licenses:read", va) ? license : null;
    }
    case "Order": {
      const order = await loaders.order.load(parsed.id);
      return order && OrderService.visible(access, order) ? order : null;
    }
    case "ProductInstance": {
      const device = await loaders.productInstance.load(parsed.id);
      const va = device ? await loaders.virtualAccount.load(device.virtualAccountId) : null;
      return device && va && access.can("licenses:read", va) ? device : null;
    }
    case "RegistrationToken": {
      const token = await loaders.registrationToken.load(parsed.id);
      const va = token ? await loaders.virtualAccount.load(token.virtualAccountId) : null;
      return token && va && access.can("licenses:read", va) ? token : null;
    }
    case "Product":
      return loaders.product.load(parsed.id);
    default:
      return null;
  }
}

async function pathOf(context: RequestContext, item: { virtualAccountId: number | null }): Promise<string | null> {
  if (item.virtualAccountId === null) return null;
  return (await context.loaders.virtualAccount.load(item.virtualAccountId))?.path ?? null;
}

async function eventVisible(context: RequestContext, event: Event): Promise<boolean> {
  if (event.smartAccountId === null) return false;
  return context.access.can("events:read", { smartAccountId: event.smartAccountId, path: await pathOf(context, event) });
}

/** A user is visible to themself and wherever one of their role assignments or access requests is. */
async function userVisible(context: RequestContext, userId: number): Promise<boolean> {
  const { access, db } = context;
  if (access.viewer?.id === userId) return true;
  const assignments: { smart_account_id: number; path: string | null }[] = await db.dataSource.query(
    "SELECT ra.smart_account_id, va.path FROM role_assignments ra LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id WHERE ra.user_id = ?",
    [userId],
  );
  if (assignments.some((row) => access.can("roles:read", { smartAccountId: Number(row.smart_account_id), path: row.path }))) {
    return true;
  }
  const requests: { smart_account_id: number }[] = await db.dataSource.query(
    "SELECT DISTINCT smart_account_id FROM access_requests WHERE user_id = ?",
    [userId],
  );
  return requests.some((row) => access.can("accessRequests:manage", { smartAccountId: Number(row.smart_account_id) }));
}

