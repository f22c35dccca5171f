import { License, Product, SmartAccount, VirtualAccount } from "../../entities";
import { RequestContext } from "../context";
import { Alert, byUrgency, licenseAlerts } from "./alerts";
import { LicensePool } from "./pools";

async function productsById(context: RequestContext, ids: number[]): Promise<Map<number, Product>> {
  const products = await context.loaders.product.loadMany([...new Set(ids)]);
  return new Map(products.filter((p): p is Product => p instanceof Product).map((p) => [p.id, p]));
}

/** VirtualAccount.alerts (R28): its own pools and lots. */
export async function virtualAccountAlerts(context: RequestContext, va: VirtualAccount): Promise<Alert[]> {
  const [pools, lots, silent] = await Promise.all([
    context.loaders.pools.load(va.id),
    context.loaders.alertLots.load(va.id),
    context.loaders.silentDevices.load(va.id),
  ]);
  const products = await productsById(context, [...pools.map((p) => p.productId), ...lots.map((l) => l.productId)]);
  return licenseAlerts(va.id, va.name, pools, lots, products, context.clock.now(), silent).sort(byUrgency);
}

/** SmartAccount.alerts (R28): every Virtual Account where the viewer may see licenses. */
export async function smartAccountAlerts(context: RequestContext, account: SmartAccount): Promise<Alert[]> {
  const [poolsByVa, lots, silent] = await Promise.all([
    context.loaders.visibleVirtualAccountShortages.load(account.id),
    context.loaders.accountAlertLots.load(account.id),
    context.loaders.accountSilentDevices.load(account.id),
  ]);
  const vaIds = [...new Set([...poolsByVa.keys(), ...lots.map((lot) => lot.virtualAccountId), ...silent.map((d) => d.virtualAccountId)])];
  const vas = (await context.loaders.virtualAccount.loadMany(vaIds)).filter((va): va is VirtualAccount => va instanceof VirtualAccount);
  const products = await productsById(context, [...[...poolsByVa.values()].flat().map((p) => p.productId), ...lots.map((l) => l.productId)]);
  const now = context.clock.now();
  return vas
    .flatMap((va) =>
      licenseAlerts(
        va.id,
        va.name,
        poolsByVa.get(va.id) ?? [],
        lots.filter((lot: License) => lot.virtualAccountId === va.id),
        products,
        now,
        silent.filter((device) => device.virtualAccountId === va.id),
      ),
    )
    .sort(byUrgency);
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
  const vas = (await context.loaders.virtualAccount.loadMany([...poolsByVa.keys()])).filter((va): va is VirtualAccount => va instanceof VirtualAccount);
  const ancestorIds = [...new Set(vas.flatMap((va) => va.path.split("/").filter(Boolean).map(Number)))];
  const ancestors = new Map(
    (await context.loaders.virtualAccount.loadMany(ancestorIds))
      .filter((va): va is VirtualAccount => va instanceof VirtualAccount && context.access.can("virtualAccounts:read", va))
      .map((va) => [va.id, va.name]),
  );
  const entries = vas.flatMap((va) => {
    const path = va.path.split("/").filter(Boolean).map(Number).filter((id) => ancestors.has(id)).map((id) => ancestors.get(id)).join(" / ");
    return (poolsByVa.get(va.id) ?? []).map((pool) => ({ ...pool, virtualAccountId: va.id, path }));
  });
  return entries.sort((a, b) => a.path.localeCompare(b.path) || a.productId - b.productId);
}
