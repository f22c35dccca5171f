import { virtualAccountPlace } from "../auth/guard";
import { SmartAccount, VirtualAccount } from "../../entities";
import { displayPath, pathIds } from "../accounts/tree";
import { RequestContext } from "../context";
import { Alert } from "./alerts";
import { LicensePool } from "./pools";

/** VirtualAccount.alerts (R28): its own pools, lots and devices. */
export function virtualAccountAlerts(context: RequestContext, va: VirtualAccount): Promise<Alert[]> {
  return context.loaders.virtualAccountAlerts.load(va.id);
}

/** SmartAccount.alerts (R28): every Virtual Account where the viewer may see licenses. */
export function smartAccountAlerts(context: RequestContext, account: SmartAccount): Promise<Alert[]> {
  return context.loaders.accountAlerts.load(account.id);
}

/** One row of SmartAccount.usageSummary: a product's pool in one Virtual Account, with its display path. */
export interface UsageSummaryEntry extends LicensePool {
  virtualAccountId: number;
  path: string;
}

/**
 * SmartAccount.usageSummary: purchased / in use / available / shortage per product and Virtual Account,
 * over every Virtual Account where the viewer may see licenses, ordered by path. Paths name only the
 * Virtual Accounts the viewer can see (an invisible parent does not exist, R4).
 */
export async function usageSummary(context: RequestContext, account: SmartAccount): Promise<UsageSummaryEntry[]> {
  const poolsByVa = await context.loaders.visibleVirtualAccountPools.load(account.id);
  const vas = (await context.loaders.virtualAccount.loadMany([...poolsByVa.keys()])).filter(
    (va): va is VirtualAccount => va instanceof VirtualAccount,
  );
  const ancestorIds = [...new Set(vas.flatMap((va) => pathIds(va.path)))];
  const visibleNames = new Map(
    (await context.loaders.virtualAccount.loadMany(ancestorIds))
      .filter((va): va is VirtualAccount => va instanceof VirtualAccount && context.guard.visible("VirtualAccount", va, virtualAccountPlace(va)))
      .map((va) => [va.id, va.name]),
  );
  const entries = vas.flatMap((va) => {
    const path = displayPath(va.path, visibleNames);
    return (poolsByVa.get(va.id) ?? []).map((pool) => ({ ...pool, virtualAccountId: va.id, path }));
  });
  return entries.sort((a, b) => a.path.localeCompare(b.path) || a.productId - b.productId);
}
