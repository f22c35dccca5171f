import { Product, User } from "../entities";
import { accountLoaders } from "./accounts/loaders";
import type { Scope } from "./actor";
import { byIdLoader } from "./db/loader-kit";
import { deviceLoaders } from "./devices/loaders";
import { eventLoaders } from "./events/loaders";
import { licenseLoaders } from "./licenses/loaders";
import { orderLoaders } from "./orders/loaders";
import { roleLoaders } from "./roles/loaders";
import { webhookLoaders } from "./notifications/webhooks";

/** Every per-request DataLoader, one family per domain folder. */
export function createLoaders(context: Scope) {
  return {
    user: byIdLoader(context.db, User),
    product: byIdLoader(context.db, Product),
    ...accountLoaders(context),
    ...roleLoaders(context),
    ...eventLoaders(context),
    ...licenseLoaders(context),
    ...orderLoaders(context),
    ...deviceLoaders(context),
    ...webhookLoaders(context),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
