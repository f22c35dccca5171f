/** The materialized path of the Virtual Account tree: zero-padded ids, so paths sort parents first. */
export const MAX_DEPTH = 10;

export const pathSegment = (id: number): string => `${String(id).padStart(10, "0")}/`;

export const childPath = (parentPath: string | null, id: number): string => `${parentPath ?? "/"}${pathSegment(id)}`;

/** `<parentId or 0>:<lower-cased name>`, unique per Smart Account (R12). */
export const siblingKey = (parentId: number | null, name: string): string => `${parentId ?? 0}:${name.toLowerCase()}`;

export const isUnder = (path: string, ancestorPath: string): boolean => path.startsWith(ancestorPath);
