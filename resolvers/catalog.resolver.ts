import { Arg, Args, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { Product } from "../entities";
import { searchProducts } from "../src/catalog/queries";
import { RequestContext } from "../src/context";
import { Connection } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { ProductConnection, ProductObject, UpsertProductInput } from "./types/catalog";
import { PageArgs } from "./types/connection";

// The catalog domain (src/catalog): products, the catalog search and its upkeep by an integration (R2).

@Resolver(() => ProductObject)
export class ProductResolver extends NodeResolver("Product", ProductObject) {
  @Query(() => ProductConnection, { description: "The product catalog, by SKU; any signed-in user may read it." })
  products(
    @Arg("search", () => String, { nullable: true, description: "Only products whose SKU or name contains this text, case aside; omit for all." })
    search: string | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<Product>> {
    return searchProducts(context, search, page);
  }

  @Mutation(() => ProductObject, {
    description: "Adds a product to the catalog, or updates the one with this SKU: needs the catalog:write scope, no role (R2).",
  })
  upsertProduct(
    @Arg("input", { description: "The product, found by its SKU." }) input: UpsertProductInput,
    @Ctx() context: RequestContext,
  ): Promise<Product> {
    return context.services.products.upsert(context, input);
  }
}
