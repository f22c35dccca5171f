import { License, Product, SmartAccount, VirtualAccount } from "../../entities";
import { RequestContext } from "../context";
import { Alert, byUrgency, licenseAlerts } from "./alerts";

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
    context.loaders.visibleVirtualAccountPools.load(account.id),
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
