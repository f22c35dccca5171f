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
import { AlertObject } from "./types/licenses";
import type { Alert } from "../src/licenses/alerts";

@Resolver(() => SmartAccountObject)
export class SmartAccountOrdersResolver {
  @FieldResolver(() => OrderConnection, {
    nullable: true,
    description: "The orders placed into or assigned to this account, newest first; null with FORBIDDEN for roles that see no orders (§5, R4).",
  })
  orders(
    @Root() account: SmartAccount,
    @Arg("status", () => OrderStatus, { nullable: true, description: "Only orders with this status; omit for all." }) status: OrderStatus | null,
    @Args() page: PageArgs,
    @Ctx() context: RequestContext,
  ): Promise<Connection<Order>> {
    return context.loaders.smartAccountOrders.load({ parent: account.id, request: pageRequest("SmartAccount.orders", page), filter: status ?? null });
  }
}

@Resolver(() => OrderObject)
export class OrderResolver extends NodeResolver("Order", OrderObject) {
  @FieldResolver(() => SmartAccountObject, {
    description: "The Smart Account the order is in: the one it was placed into, or the customer's once assigned (R18).",
  })
  async smartAccount(@Root() order: Order, @Ctx() context: RequestContext): Promise<SmartAccount> {
    return (await context.loaders.smartAccount.load(order.smartAccountId)) as SmartAccount;
  }

  @FieldResolver(() => UserObject, { nullable: true, description: "Who placed the order; null where that is not recorded." })
  placedBy(@Root() order: Order, @Ctx() context: RequestContext): Promise<User | null> | null {
    return order.placedById === null ? null : context.loaders.user.load(order.placedById);
  }

  @FieldResolver(() => [OrderLineObject], { description: "The order's lines, in the order given." })
  lines(@Root() order: Order, @Ctx() context: RequestContext): Promise<OrderLine[]> {
    return context.loaders.orderLines.load(order.id);
  }

  @Mutation(() => OrderObject, {
    description:
      "Books an order from the commerce system into the Smart Account with this domain: needs the orders:write scope, no role (R2, R15). Into an ACTIVE account its licenses are delivered at once, into a PENDING one at activation (R16).",
  })
  placeOrder(
    @Arg("input", { description: "The target account, by domain, and the order's lines." }) input: PlaceOrderInput,
    @Ctx() context: RequestContext,
  ): Promise<Order> {
    return context.services.orders.place(context, input);
  }

  @Mutation(() => OrderObject, {
    description:
      "Moves an order and its licenses out of a partner holding account to a customer's account; needs SMART_ACCOUNT_ADMIN or SMART_ACCOUNT_USER on the holding account, nothing on the customer's. Dates never change (R18).",
  })
  assignOrder(
    @Arg("input", { description: "The order and the customer account it goes to." }) input: AssignOrderInput,
    @Ctx() context: RequestContext,
  ): Promise<Order> {
    return context.services.orders.assign(context, input);
  }
}

@Resolver(() => AlertObject)
export class AlertOrderResolver {
  @FieldResolver(() => OrderObject, {
    nullable: true,
    description: "The waiting order of an ORDER_AWAITING_ASSIGNMENT alert, where the viewer may see orders.",
  })
  async order(@Root() alert: Alert, @Ctx() context: RequestContext): Promise<Order | null> {
    if (alert.orderId == null) return null;
    return context.seen("Order", await context.loaders.order.load(alert.orderId));
  }
}

@Resolver(() => OrderLineObject)
export class OrderLineResolver {
  @FieldResolver(() => ID, { description: "The line's global ID (R5)." })
  id(@Root() line: OrderLine): string {
    return toGlobalId("OrderLine", line.id);
  }

  @FieldResolver(() => ProductObject, { description: "The product ordered." })
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
