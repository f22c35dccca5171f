import { ArgsType, Field, ID, InputType, Int } from "type-graphql";
import { Role, SmartAccountType } from "../../entities";

@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;
  @Field(() => String, { nullable: true })
  after?: string | null;
}

@InputType("RequestSmartAccountInput")
export class RequestSmartAccountInput {
  @Field()
  name!: string;
  @Field()
  domain!: string;
  @Field(() => SmartAccountType)
  type!: SmartAccountType;
  @Field()
  approverEmail!: string;
}

@InputType("UpdateSmartAccountInput")
export class UpdateSmartAccountInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field()
  name!: string;
}

@InputType("CreateVirtualAccountInput")
export class CreateVirtualAccountInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field(() => ID, { nullable: true, description: "Omit for a top-level Virtual Account." })
  parentId?: string | null;
  @Field()
  name!: string;
  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType("UpdateVirtualAccountInput")
export class UpdateVirtualAccountInput {
  @Field(() => ID)
  id!: string;
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => String, { nullable: true })
  description?: string | null;
  @Field(() => ID, { nullable: true, description: "Move under this Virtual Account of the same Smart Account." })
  parentId?: string | null;
  @Field(() => Boolean, { nullable: true, description: "Move to the top level." })
  toTopLevel?: boolean | null;
}

@InputType("GrantRoleInput")
export class GrantRoleInput {
  @Field(() => ID)
  smartAccountId!: string;
  @Field()
  email!: string;
  @Field(() => Role)
  role!: Role;
  @Field(() => ID, { nullable: true, description: "Required for Virtual Account roles, forbidden for Smart Account roles." })
  virtualAccountId?: string | null;
}

@InputType("RequestAccessInput")
export class RequestAccessInput {
  @Field()
  domain!: string;
  @Field(() => String, { nullable: true })
  message?: string | null;
}

@InputType("DecideAccessRequestInput")
export class DecideAccessRequestInput {
  @Field(() => ID)
  id!: string;
  @Field()
  approve!: boolean;
  @Field(() => Role, { nullable: true, description: "Required when approving." })
  role?: Role | null;
  @Field(() => ID, { nullable: true })
  virtualAccountId?: string | null;
}
