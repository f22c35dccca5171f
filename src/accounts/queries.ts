import { SmartAccount } from "../../entities";
import { RequestContext } from "../context";
import { Connection, PageArgs, pageInMemory, pageRequest } from "../paging";

/**
 * Viewer.smartAccounts: the accounts in which the viewer holds any role, by name (alphabetical, case
 * aside) then id. Authentication loaded them with the viewer's grants, so this pages them in memory.
 */
export function viewerSmartAccounts(context: RequestContext, args: PageArgs): Connection<SmartAccount> {
  const request = pageRequest("Viewer.smartAccounts", args, 2);
  return pageInMemory("Viewer.smartAccounts", request, context.access.smartAccounts, (account) => [account.name, account.id], byNameThenId);
}

const names = new Intl.Collator("en", { sensitivity: "accent" });

function byNameThenId(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const order =
      typeof a[i] === "number" && typeof b[i] === "number" ? (a[i] as number) - (b[i] as number) : names.compare(String(a[i]), String(b[i]));
    if (order !== 0) return order;
  }
  return 0;
}

/** smartAccount(domain:): exact, case-insensitive; null unless the viewer may see it, as `node` says (R4, R9). */
export async function smartAccountByDomain(context: RequestContext, domain: string): Promise<SmartAccount | null> {
  return context.seen("SmartAccount", await context.db.manager.findOneBy(SmartAccount, { domain: domain.trim().toLowerCase() }));
}
