import { SmartAccount } from "../../entities";
import { RequestContext } from "../context";
import { loadWindowedPages } from "../db/windowed";
import { Connection, emptyConnection, PageArgs, pageRequest } from "../paging";

/** Viewer.smartAccounts: the accounts in which the viewer holds any role, by name. */
export async function viewerSmartAccounts(context: RequestContext, args: PageArgs): Promise<Connection<SmartAccount>> {
  const request = pageRequest("Viewer.smartAccounts", args, 2);
  const accountIds = context.access.smartAccountIds;
  if (!accountIds.length) return emptyConnection();
  const pages = await loadWindowedPages(
    context.db,
    {
      entity: SmartAccount,
      kind: "Viewer.smartAccounts",
      from: "smart_accounts sa",
      alias: "sa",
      partitionBy: null,
      where: "sa.id IN (:...accountIds)",
      params: { accountIds },
      sort: [
        { column: "sa.name", property: "name" },
        { column: "sa.id", property: "id" },
      ],
    },
    request,
  );
  return pages.get(0) ?? emptyConnection();
}

/** smartAccount(domain:): exact, case-insensitive; null unless the viewer holds a role in it (R4). */
export async function smartAccountByDomain(context: RequestContext, domain: string): Promise<SmartAccount | null> {
  const account = await context.db.manager.findOneBy(SmartAccount, { domain: domain.trim().toLowerCase() });
  return account && context.access.canSeeAccount(account.id) ? account : null;
}
