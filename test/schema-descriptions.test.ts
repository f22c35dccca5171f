import {
  buildSchema,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isIntrospectionType,
  isObjectType,
  isSpecifiedDirective,
  isSpecifiedScalarType,
} from "graphql";
import { buildGraphQLSchema } from "../resolvers";

/**
 * Every element of the schema that a reader of the explorer or of schema/schema.graphql meets without a
 * description: types, fields, arguments, enum values, input fields, and the service's own directives
 * with their arguments. GraphQL's built-in scalars, directives and introspection types describe themselves.
 */
function undescribed(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (description: string | null | undefined, what: string) => {
    if (!description?.trim()) missing.push(what);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type) || isSpecifiedScalarType(type)) continue;
    check(type.description, `type ${type.name}`);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(field.description, `field ${type.name}.${field.name}`);
        for (const arg of field.args) check(arg.description, `argument ${type.name}.${field.name}(${arg.name}:)`);
      }
    }
    if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(field.description, `input field ${type.name}.${field.name}`);
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) check(value.description, `enum value ${type.name}.${value.name}`);
    }
  }
  for (const directive of schema.getDirectives()) {
    if (isSpecifiedDirective(directive)) continue;
    check(directive.description, `directive @${directive.name}`);
    for (const arg of directive.args) check(arg.description, `argument @${directive.name}(${arg.name}:)`);
  }
  return missing;
}

describe("the served schema's descriptions", () => {
  it("describe every type, field, argument, enum value and input field", () => {
    expect(undescribed(buildGraphQLSchema())).toEqual([]);
  });

  it("are checked element by element: a blank or missing description is named, built-ins are not", () => {
    const schema = buildSchema(`
      "Described." type Query { "Described." a(x: Int, "Described." y: Int): E, b(i: I): String }
      enum E { "Described." ONE, TWO }
      "  " input I { c: Int }
      directive @d(z: Int) on FIELD
    `);
    expect(undescribed(schema)).toEqual([
      "argument Query.a(x:)",
      "field Query.b",
      "argument Query.b(i:)",
      "type E",
      "enum value E.TWO",
      "type I",
      "input field I.c",
      "directive @d",
      "argument @d(z:)",
    ]);
  });
});
