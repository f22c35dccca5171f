import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from "type-graphql";
import { Order, OrderLine, OrderStatus, Product, SmartAccount, User, VirtualAccount } from "../entities";
import { RequestContext } from "../src/context";
import { toGlobalId } from "../src/ids";
import { Connection, pageRequest } from "../src/paging";
import { NodeResolver } from "./node-resolver";
import { SmartAccountObject, VirtualAccountObject } from "./types/accounts";
import { ProductObject } from "./types/catalog";
import { PageArgs } from "./types/connection";
import { AssignOrderInput, OrderConnection, OrderLineObject, OrderObject, PlaceOrderInput } from "./types/orders";
import { UserObject } from "./types/users";

@Resolver(() => SmartAccountObject)
export class SmartAccountOrdersResolver {
  @FieldResolver(() => OrderConnection, { nullable: true })
  orders(
    @Root() account: SmartAccount,
    @Arg("status", () => OrderStatus, { nullable: true }) status: OrderStatus | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<Order>> {
    return context.loaders.smartAccountOrders.load({ parent: account.id, request: pageRequest("SmartAccount.orders", page), filter: status ?? null });
  }
}

@Resolver(() => OrderObject)
export class OrderResolver extends NodeResolver("Order", OrderObject) {
  @FieldResolver(() => SmartAccountObject)
  async smartAccount(@Root() order: Order, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(order.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => UserObject, { nullable: true })
  placedBy(@Root() order: Order, @Ctx() context: RequestContext): Promise<User | null> | null {
    return order.placedById === null ? null : context.loaders.user.load(order.placedById);
  }

  @FieldResolver(() => [OrderLineObject])
  lines(@Root() order: Order, @Ctx() context: RequestContext): Promise<OrderLine[]> {
    return context.loaders.orderLines.load(order.id);
  }

  @Mutation(() => OrderObject)
  placeOrder(@Arg("input") input: PlaceOrderInput, @Ctx() context: RequestContext): Promise<Order> {
    return context.services.orders.place(context, input);
  }

  @Mutation(() => OrderObject)
  assignOrder(@Arg("input") input: AssignOrderInput, @Ctx() context: RequestContext): Promise<Order> {
    return context.services.orders.assign(context, input);
  }
}

@Resolver(() => OrderLineObject)
export class OrderLineResolver {
  @FieldResolver(() => ID)
  id(@Root() line: OrderLine): string {
    return toGlobalId("OrderLine", line.id);
  }

  @FieldResolver(() => ProductObject)
  async product(@Root() line: OrderLine, @Ctx() context: RequestContext): Promise<Product> {
    return (await context.loaders.product.load(line.productId)) as Product;
  }

  @FieldResolver(() => VirtualAccountObject, {
    nullable: true,
    description: "Where the line's licenses go; null where the viewer cannot see that Virtual Account.",
  })
  async virtualAccount(@Root() line: OrderLine, @Ctx() context: RequestContext): Promise<VirtualAccount | null> {
    const va =
      line.virtualAccountId === null
        ? await context.loaders.defaultVirtualAccount.load((await context.loaders.order.load(line.orderId))?.smartAccountId ?? 0)
        : await context.loaders.virtualAccount.load(line.virtualAccountId);
    return context.seen("VirtualAccount", va);
  }
}
