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
  @Query(() => ProductConnection)
  products(
    @Arg("search", () => String, { nullable: true }) search: string | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<Product>> {
    return searchProducts(context, search, page);
  }

  @Mutation(() => ProductObject)
  upsertProduct(@Arg("input") input: UpsertProductInput, @Ctx() context: RequestContext): Promise<Product> {
    return context.services.products.upsert(context, input);
  }
}
