import { GraphQLObjectType, graphql } from "graphql";
import { buildGraphQLSchema } from "../resolvers";
import { RULES, shieldSchema } from "../src/auth/shield";

describe("the shield rule map (§5, deny by default)", () => {
  it("names every field of every object type, so no field ships without a decision", () => {
    const schema = buildGraphQLSchema();
    const unnamed: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!(type instanceof GraphQLObjectType) || type.name.startsWith("__")) continue;
      const rules = (RULES as Record<string, unknown>)[type.name];
      // A rule for the whole type, or a map that names the field or has a "*" entry.
      const isMap = rules !== undefined && Object.getPrototypeOf(rules) === Object.prototype;
      for (const field of Object.keys(type.getFields())) {
        const named = rules !== undefined && (!isMap || field in (rules as object) || "*" in (rules as object));
        if (!named) unnamed.push(`${type.name}.${field}`);
      }
    }
    expect(unnamed).toEqual([]);
  });

  it("still denies a field the map does not name (the fallback rule)", async () => {
    const schema = buildGraphQLSchema();
    // Query.products is ruled; take its rule away and the fallback must refuse it.
    const saved = (RULES as any).Query.products;
    delete (RULES as any).Query.products;
    try {
      const result = await graphql({ schema: shieldSchema(schema), source: "{ products { totalCount } }", contextValue: {} });
      expect(result.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      (RULES as any).Query.products = saved;
    }
  });
});
