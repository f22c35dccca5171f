import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLSchema,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SchemaMetaFieldDef,
  SelectionSetNode,
  TypeMetaFieldDef,
  ValueNode,
} from "graphql";

/** A connection's page size when `first` is not given (R5). */
export const DEFAULT_PAGE_SIZE = 50;
/** What a plain list field (`licensePools`, `alerts`, `usage`, …) is assumed to hold (R30). */
export const LIST_FIELD_ESTIMATE = 10;
/** Costs stop growing here: anything past it is over every limit anyway. */
const CEILING = 1e15;

export interface OperationSize {
  /** R30's cost: objects the answer may hold, connections weighted by their page size. */
  cost: number;
  /** Field selections once every fragment is expanded. */
  fields: number;
  /** The most ids any `nodes(ids:)` of the operation asks for (R30: at most 500). */
  nodeIds?: number;
}

const add = (a: OperationSize, b: OperationSize): OperationSize => ({
  cost: Math.min(a.cost + b.cost, CEILING),
  fields: Math.min(a.fields + b.fields, CEILING),
});
const NOTHING: OperationSize = { cost: 0, fields: 0 };

/**
 * R30: what an operation may cost, from its document and variables, before anything runs.
 * Every object the answer may hold costs 1 (scalars are free); a connection multiplies what its
 * `nodes` / `edges` select by its page size (`first`, default 50), `nodes(ids:)` by its id count, and a
 * plain list field by a fixed estimate. Fragments are priced once each and reused, so a document whose
 * fragments double at every level costs its full expansion while pricing it stays linear in its size.
 * `fields` counts the field selections of that expansion, which is what an executor compiles and walks.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): OperationSize {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getRootType(operation.operation);
  if (!root) return NOTHING;
  const priced = new Map<string, OperationSize>();
  let mostIds = 0;

  const number = (node: ValueNode | undefined): unknown => {
    if (!node) return undefined;
    if (node.kind === Kind.VARIABLE) return variables[node.name.value];
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind === Kind.LIST) return node.values;
    return undefined;
  };
  const argument = (field: FieldNode, name: string) => number(field.arguments?.find((arg) => arg.name.value === name)?.value);

  /** The number of items a list field stands for, given the page size of the connection it sits in. */
  const itemsOf = (field: FieldNode, parent: GraphQLCompositeType, pageSize: number): number => {
    if (field.name.value === "nodes" && parent === schema.getQueryType()) {
      const ids = argument(field, "ids");
      const count = Array.isArray(ids) ? ids.length : 1;
      mostIds = Math.max(mostIds, count);
      return count;
    }
    if (isConnection(parent) && (field.name.value === "nodes" || field.name.value === "edges")) return pageSize;
    return LIST_FIELD_ESTIMATE;
  };

  const selectionCost = (set: SelectionSetNode | undefined, parent: GraphQLCompositeType, pageSize: number): OperationSize => {
    if (!set) return NOTHING;
    let total = NOTHING;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) total = add(total, fieldCost(selection, parent, pageSize));
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total = add(total, selectionCost(selection.selectionSet, isCompositeType(type) ? type : parent, pageSize));
      } else {
        const key = `${selection.name.value}:${pageSize}`;
        let size = priced.get(key);
        if (size === undefined) {
          const fragment = fragments.get(selection.name.value);
          const type = fragment ? schema.getType(fragment.typeCondition.name.value) : null;
          size = fragment && isCompositeType(type) ? selectionCost(fragment.selectionSet, type, pageSize) : NOTHING;
          priced.set(key, size);
        }
        total = add(total, size);
      }
    }
    return total;
  };

  const fieldCost = (field: FieldNode, parent: GraphQLCompositeType, pageSize: number): OperationSize => {
    const definition = fieldDefinition(schema, parent, field.name.value);
    const type = definition ? getNamedType(definition.type) : null;
    if (!definition || !type || !isCompositeType(type)) return { cost: 0, fields: 1 };
    const first = argument(field, "first");
    const childPageSize = isConnection(type) ? (typeof first === "number" && first > 0 ? first : DEFAULT_PAGE_SIZE) : pageSize;
    const below = selectionCost(field.selectionSet, type, childPageSize);
    const items = isListType(getNullableType(definition.type)) ? itemsOf(field, parent, pageSize) : 1;
    return { cost: Math.min(items * (1 + below.cost), CEILING), fields: Math.min(1 + below.fields, CEILING) };
  };

  const size = selectionCost(operation.selectionSet, root, DEFAULT_PAGE_SIZE);
  return { ...size, nodeIds: mostIds };
}

const isConnection = (type: GraphQLCompositeType): boolean => isObjectType(type) && type.name.endsWith("Connection") && "nodes" in type.getFields();

function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === "__schema" && parent === schema.getQueryType()) return SchemaMetaFieldDef;
  if (name === "__type" && parent === schema.getQueryType()) return TypeMetaFieldDef;
  if (name === "__typename" || !("getFields" in parent)) return undefined;
  return parent.getFields()[name];
}
