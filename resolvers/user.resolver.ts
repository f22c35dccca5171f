import { Resolver } from "type-graphql";
import { NodeResolver } from "./node-resolver";
import { ProductObject, UserObject } from "./types/objects";

@Resolver(() => UserObject)
export class UserResolver extends NodeResolver("User", UserObject) {}

@Resolver(() => ProductObject)
export class ProductResolver extends NodeResolver("Product", ProductObject) {}
