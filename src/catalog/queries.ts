import { Product } from "../../entities";
import { RequestContext } from "../context";
import { sql } from "../db/sql";
import { loadWindowedPages } from "../db/windowed";
import { Connection, emptyConnection, PageArgs, pageRequest } from "../paging";
import { skuKey } from "./sku";

/** products(search:): the catalog, by SKU; `search` matches SKU or name, case-insensitively. */
export async function searchProducts(context: RequestContext, search: string | null | undefined, args: PageArgs): Promise<Connection<Product>> {
  const request = pageRequest("Query.products", args);
  const term = search?.trim();
  // "!" escapes LIKE wildcards: a backslash in ESCAPE '\\' is itself an escape in MySQL/MariaDB string literals.
  // SKUs are matched on their normalized key (lower case, as the pattern), names lower-cased.
  const pattern = term ? `%${skuKey(term).replace(/[!%_]/g, (c) => `!${c}`)}%` : null;
  const pages = await loadWindowedPages(
    context.db,
    {
      entity: Product,
      kind: "Query.products",
      from: sql`products p`,
      alias: "p",
      partitionBy: null,
      where: pattern ? sql`(p.sku_key LIKE ${pattern} ESCAPE '!' OR LOWER(p.name) LIKE ${pattern} ESCAPE '!')` : sql`1 = 1`,
      sort: [{ property: "sku" }],
    },
    request,
  );
  return pages.get(0) ?? emptyConnection();
}
