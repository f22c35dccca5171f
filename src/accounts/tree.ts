/** The materialized path of the Virtual Account tree: zero-padded ids, so paths sort parents first. */
export const MAX_DEPTH = 10;

export const pathSegment = (id: number): string => `${String(id).padStart(10, "0")}/`;

export const childPath = (parentPath: string | null, id: number): string => `${parentPath ?? "/"}${pathSegment(id)}`;

/** `<parentId or 0>:<lower-cased name>`, unique per Smart Account (R12). */
export const siblingKey = (parentId: number | null, name: string): string => `${parentId ?? 0}:${name.toLowerCase()}`;

export const isUnder = (path: string, ancestorPath: string): boolean => path.startsWith(ancestorPath);

/** The ids on a materialized path, top first, the Virtual Account itself last. */
export const pathIds = (path: string): number[] => path.split("/").filter(Boolean).map(Number);

/**
 * The display path of a Virtual Account, "US / Finance / Sacramento": the names of the Virtual Accounts
 * on its path that `names` holds, top first. Pass only the ones the viewer can see: an invisible parent
 * does not exist (R4), so it is left out, not shown as a gap.
 */
export const displayPath = (path: string, names: ReadonlyMap<number, string>): string =>
  pathIds(path)
    .filter((id) => names.has(id))
    .map((id) => names.get(id))
    .join(" / ");
