import { InputError } from "./errors";

/** Connection arguments as they arrive (R5). */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Validated arguments: `after` holds the decoded sort key of the last row seen. */
export interface PageRequest {
  first: number;
  after: unknown[] | null;
}

/** What every connection resolver returns; the GraphQL Connection types read it as is. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Cursors are opaque: base64url of `[kind, ...sortKey]`; a cursor of another kind is refused (R5). */
export const encodeCursor = (kind: string, key: unknown[]): string => Buffer.from(JSON.stringify([kind, ...key])).toString("base64url");

export function decodeCursor(kind: string, cursor: string, arity: number): unknown[] {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value[0] === kind && value.length === arity + 1) {
      const key = value.slice(1);
      if (key.every((part) => typeof part === "string" || typeof part === "number")) return key;
    }
  } catch {
    // fall through to the input error
  }
  throw new InputError("after", "after is not a cursor of this connection.");
}

/** R5: `first` defaults to 50 and must be 1–500; `after` must be a cursor of this connection. */
export function pageRequest(kind: string, args: PageArgs, arity = 1): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new InputError("first", `first must be between 1 and ${MAX_PAGE_SIZE}.`);
  }
  return { first, after: args.after == null ? null : decodeCursor(kind, args.after, arity) };
}

/** Builds the connection from up to `first + 1` rows of one partition. */
export function toConnection<T>(kind: string, request: PageRequest, rows: T[], totalCount: number, keyOf: (row: T) => unknown[]): Connection<T> {
  const hasNextPage = rows.length > request.first;
  const nodes = hasNextPage ? rows.slice(0, request.first) : rows;
  const cursorOf = (node: T) => encodeCursor(kind, keyOf(node));
  // Cursors are encoded only when a query asks for them: most ask for `nodes`, some for `endCursor`.
  let edges: Connection<T>["edges"] | undefined;
  return {
    get edges() {
      return (edges ??= nodes.map((node) => ({ cursor: cursorOf(node), node })));
    },
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: request.after !== null,
      get startCursor() {
        return nodes.length ? cursorOf(nodes[0]) : null;
      },
      get endCursor() {
        return nodes.length ? cursorOf(nodes[nodes.length - 1]) : null;
      },
    },
    totalCount,
  };
}

/**
 * One page of a list already in memory (R5, the same cursors as a keyset page): the rows ordered by
 * their sort keys under `compare`, and `after` placed by that same comparison, so paging is stable
 * whatever the database's collation.
 */
export function pageInMemory<T>(
  kind: string,
  request: PageRequest,
  rows: T[],
  keyOf: (row: T) => unknown[],
  compare: (a: unknown[], b: unknown[]) => number,
): Connection<T> {
  const keyed = rows.map((row) => ({ row, key: keyOf(row) })).sort((a, b) => compare(a.key, b.key));
  const after = request.after;
  const start = after ? keyed.findIndex(({ key }) => compare(key, after) > 0) : 0;
  const page = start < 0 ? [] : keyed.slice(start, start + request.first + 1).map(({ row }) => row);
  return toConnection(kind, request, page, rows.length, keyOf);
}

export const emptyConnection = <T>(): Connection<T> => ({
  edges: [],
  nodes: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  totalCount: 0,
});
