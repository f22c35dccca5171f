import { Role } from "../../entities";

/**
 * SPEC §5 "Who may do what", written once, as the spec's table reads: one row per capability (with the
 * spec's row text), one column per role, the spec's cell values. The role-table suites read the
 * expected outcome of every case from here (test/support/section5-cases.ts); nothing else in them says
 * who may do what.
 *
 * Reading a cell (SPEC §5 and R4):
 * - "all" / "✓": the whole Smart Account (Smart Account roles cover the whole account);
 * - "scope" / "in scope": the role's Virtual Account and all its descendants ("scope");
 * - "VA roles in scope": in scope, and of the role assignments only those of Virtual Account roles;
 * - "–": nowhere.
 * A cell is about where a right reaches: a target is "in scope" (inside the subtree a Virtual Account
 * role is held on), "out of scope" (elsewhere in the tree) or "account" (the account itself, or what
 * belongs to no Virtual Account: a Smart Account role, an account-level event, an access request).
 * Account-wide values reach all three; scope values reach only "in scope".
 *
 * Two more columns the spec states in prose: an outsider (a user with no role in the account) sees
 * nothing of it, so everything of it behaves as if it did not exist (R4: null / NOT_FOUND); a caller
 * without a valid token gets UNAUTHENTICATED (R1).
 */

export const COLUMNS = ["SA_APPROVER", "SA_ADMIN", "SA_USER", "SA_VIEWER", "VA_ADMIN", "VA_USER", "VA_VIEWER"] as const;
export type Column = (typeof COLUMNS)[number];

export const ROLE_OF: Record<Column, Role> = {
  SA_APPROVER: Role.SMART_ACCOUNT_APPROVER,
  SA_ADMIN: Role.SMART_ACCOUNT_ADMIN,
  SA_USER: Role.SMART_ACCOUNT_USER,
  SA_VIEWER: Role.SMART_ACCOUNT_VIEWER,
  VA_ADMIN: Role.VIRTUAL_ACCOUNT_ADMIN,
  VA_USER: Role.VIRTUAL_ACCOUNT_USER,
  VA_VIEWER: Role.VIRTUAL_ACCOUNT_VIEWER,
};

export const columnOf = (role: Role): Column => {
  const column = COLUMNS.find((candidate) => ROLE_OF[candidate] === role);
  if (!column) throw new Error(`No §5 column for ${role}`);
  return column;
};

export const CELL_VALUES = ["all", "scope", "in scope", "VA roles in scope", "✓", "–"] as const;
export type CellValue = (typeof CELL_VALUES)[number];

// prettier-ignore
const TABLE = [
  // id                 capability (the spec's row text)                                      SA_APPROVER SA_ADMIN SA_USER SA_VIEWER VA_ADMIN             VA_USER  VA_VIEWER
  ["tree",              "see the Virtual Account tree",                                       "all",      "all",   "all",  "all",    "scope",             "scope", "scope"],
  ["updateAccount",     "update the Smart Account (name)",                                    "✓",        "✓",     "–",    "–",      "–",                 "–",     "–"],
  ["activate",          "activate it (R10)",                                                  "✓",        "–",     "–",    "–",      "–",                 "–",     "–"],
  ["writeTree",         "create / update / move / delete Virtual Accounts",                   "–",        "✓",     "–",    "–",      "–",                 "–",     "–"],
  ["seeRoles",          "see role assignments",                                               "all",      "all",   "–",    "–",      "VA roles in scope", "–",     "–"],
  ["saRoles",           "grant / revoke Smart Account roles",                                 "–",        "✓",     "–",    "–",      "–",                 "–",     "–"],
  ["vaRoles",           "grant / revoke Virtual Account roles",                               "–",        "all",   "–",    "–",      "in scope",          "–",     "–"],
  ["accessRequests",    "see and decide access requests",                                     "–",        "✓",     "–",    "–",      "–",                 "–",     "–"],
  ["prefix",            "approve a prefixed domain (R9)",                                     "–",        "✓",     "–",    "–",      "–",                 "–",     "–"],
  ["events",            "see events",                                                         "all",      "all",   "–",    "–",      "in scope",          "–",     "–"],
  ["seeLicenses",       "see licenses, pools, devices, tokens, alerts",                       "–",        "all",   "all",  "all",    "scope",             "scope", "scope"],
  ["manageLicenses",    "manage licenses: transfer, tag, tokens, device transfer / removal",  "–",        "all",   "all",  "–",      "scope",             "scope", "–"],
  ["convert",           "convert classic licenses (R20)",                                     "–",        "✓",     "✓",    "–",      "–",                 "–",     "–"],
  ["seeOrders",         "see orders",                                                         "–",        "✓",     "✓",    "✓",      "–",                 "–",     "–"],
  ["assignOrders",      "assign orders out of a holding account (R18)",                       "–",        "✓",     "✓",    "–",      "–",                 "–",     "–"],
  ["placeOrders",       "place orders (R15)",                                                 "only the `orders:write` scope (R2), no role"],
  ["moveOut",           "move licenses or devices out of the Smart Account (R19, R26)",       "–",        "✓",     "✓",    "–",      "–",                 "–",     "–"],
  ["subscribeEvents",   "subscribe to events (R36)",                                          "all",      "all",   "–",    "–",      "in scope",          "–",     "–"],
  ["subscribeAlerts",   "subscribe to alert changes (R36)",                                   "–",        "all",   "all",  "all",    "scope",             "scope", "scope"],
  ["webhooks",          "see and manage webhooks (R37)",                                      "–",        "all",   "–",    "–",      "in scope",          "–",     "–"],
  ["preferences",       "set one's own notification preferences (R38)",                       "✓",        "✓",     "✓",    "✓",      "✓",                 "✓",     "✓"],
] as const;

export type RowId = (typeof TABLE)[number][0];

/** Rows whose operations land with a later issue (§8): the suites skip them, the coverage test lists them as todo. */
export const NOT_YET_IMPLEMENTED: Partial<Record<RowId, string>> = {};

export interface Row {
  id: RowId;
  /** The spec's row text. */
  capability: string;
  /** One value per role column; a scope-only row ("no role") has "–" everywhere. */
  cells: Record<Column, CellValue>;
  /** The service scope (R2) that alone grants the row, e.g. orders:write for placing orders (R15). */
  scope: string | null;
  /** Why the row has no cases yet, when it has none. */
  pending: string | null;
}

const SCOPE_ONLY = /^only the `([^`]+)` scope \(R2\), no role$/;

function parseRow(entry: (typeof TABLE)[number]): Row {
  const [id, capability, ...values] = entry as readonly string[];
  const pending = NOT_YET_IMPLEMENTED[id as RowId] ?? null;
  if (values.length === 1) {
    const match = SCOPE_ONLY.exec(values[0]);
    if (!match) throw new Error(`§5 row "${capability}": one merged cell that is not a scope: ${values[0]}`);
    const cells = Object.fromEntries(COLUMNS.map((column) => [column, "–"])) as Record<Column, CellValue>;
    return { id: id as RowId, capability, cells, scope: match[1], pending };
  }
  if (values.length !== COLUMNS.length) throw new Error(`§5 row "${capability}": ${values.length} cells for ${COLUMNS.length} columns`);
  for (const value of values)
    if (!(CELL_VALUES as readonly string[]).includes(value)) throw new Error(`§5 row "${capability}": unknown cell "${value}"`);
  const cells = Object.fromEntries(COLUMNS.map((column, index) => [column, values[index]])) as Record<Column, CellValue>;
  return { id: id as RowId, capability, cells, scope: null, pending };
}

/** The table, row by row, in the spec's order. */
export const SECTION_5: readonly Row[] = TABLE.map(parseRow);

export const ROW = Object.fromEntries(SECTION_5.map((row) => [row.id, row])) as Record<RowId, Row>;

export const IMPLEMENTED_ROWS = SECTION_5.filter((row) => !row.pending);

/** The cell of a row for a role. */
export const cellOf = (row: RowId, role: Role): CellValue => ROW[row].cells[columnOf(role)];

// ---------------------------------------------------------------------------------------------------------
// Reading the table: who, where, and what follows (R4).
// ---------------------------------------------------------------------------------------------------------

/** Where the target of a case lies, relative to the scope a Virtual Account role is held on. */
export type Target = "in scope" | "out of scope" | "account";

/**
 * Who acts: a member holding one role in the account (Virtual Account roles on the scope's root), an
 * outsider (no role in this account), or nobody (no token, R1); with the service scopes of their token.
 */
export interface Viewer {
  who: "member" | "outsider" | "anonymous";
  role: Role | null;
  scopes: readonly string[];
}

export const member = (role: Role, scopes: readonly string[] = []): Viewer => ({ who: "member", role, scopes });
export const outsider = (scopes: readonly string[] = []): Viewer => ({ who: "outsider", role: null, scopes });
export const anonymous: Viewer = { who: "anonymous", role: null, scopes: [] };

const ACCOUNT_WIDE: readonly CellValue[] = ["all", "✓"];
const IN_SCOPE: readonly CellValue[] = ["scope", "in scope", "VA roles in scope"];

/** Whether a cell reaches a target: account-wide values reach everything, scope values only the role's subtree. */
export function covers(value: CellValue, target: Target): boolean {
  if (ACCOUNT_WIDE.includes(value)) return true;
  if (IN_SCOPE.includes(value)) return target === "in scope";
  return false;
}

/** Whether a cell reaches anywhere in the account (what a guarded Smart Account field asks). */
export const reachesAnywhere = (value: CellValue): boolean => value !== "–";

/** Whether the viewer holds a row at a target: by a service scope the row names, or by the cell of their role. */
export function holds(viewer: Viewer, row: RowId, target: Target): boolean {
  const { scope } = ROW[row];
  if (scope && viewer.who !== "anonymous" && viewer.scopes.includes(scope)) return true;
  return viewer.who === "member" && covers(cellOf(row, viewer.role as Role), target);
}

/**
 * What makes an object visible (R4): "account" for the Smart Account itself and what names it (any role in
 * the account sees the account, §5), or the read row that covers the object (e.g. "seeLicenses" for a
 * license lot, a device or a token; "tree" for a Virtual Account; "seeRoles" for a role assignment).
 */
export type Sees = "account" | RowId;

/** R4: whether the viewer can see an object made visible by `via`, lying at `target`. */
export function sees(viewer: Viewer, via: Sees, target: Target): boolean {
  if (viewer.who !== "member") return false;
  return via === "account" || covers(cellOf(via, viewer.role as Role), target);
}

export type Outcome = "allowed" | "FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED";

/**
 * The outcome of a mutation that needs every row of `rows` at `target` and names an object made visible by
 * `names` (R4): no token → UNAUTHENTICATED; a row held by a service scope needs no visibility (an
 * integration names an account it has no role in, R15); an object the viewer cannot see → NOT_FOUND; seen
 * but not allowed → FORBIDDEN.
 */
export function mutationOutcome(viewer: Viewer, rows: readonly RowId[], names: Sees, target: Target): Outcome {
  if (viewer.who === "anonymous") return "UNAUTHENTICATED";
  const allowed = rows.every((row) => holds(viewer, row, target));
  const byScope = rows.some((row) => ROW[row].scope !== null && viewer.scopes.includes(ROW[row].scope as string));
  if (allowed && byScope) return "allowed";
  if (!sees(viewer, names, target)) return "NOT_FOUND";
  return allowed ? "allowed" : "FORBIDDEN";
}

/**
 * A subscription (R36) to a row's stream, of the whole account ("account") or narrowed to a Virtual Account
 * at `target` (virtualAccountId): no token → UNAUTHENTICATED; an account or Virtual Account the viewer
 * cannot see → NOT_FOUND; the whole account is allowed where the row reaches anywhere in it (what it then
 * streams is scoped, as the lists are), a Virtual Account where the row reaches it; else FORBIDDEN.
 */
export function subscriptionOutcome(viewer: Viewer, row: RowId, target: Target): Outcome {
  if (viewer.who === "anonymous") return "UNAUTHENTICATED";
  if (target !== "account") return mutationOutcome(viewer, [row], "tree", target);
  if (viewer.who === "outsider") return "NOT_FOUND";
  return reachesAnywhere(cellOf(row, viewer.role as Role)) ? "allowed" : "FORBIDDEN";
}

/** A field as a read shows it: its value, null with FORBIDDEN at its path (R4), absent (its object is null), or refused (R1). */
export type FieldOutcome = "readable" | "FORBIDDEN" | "absent" | "UNAUTHENTICATED";

/**
 * A Smart Account field guarded by `row` (SmartAccount.licenses, .events, …): absent for who has no role in the
 * account (the account is null, R4); readable, scoped to the row's reach, where the row reaches anywhere in
 * the account; null with FORBIDDEN at its path elsewhere.
 */
export function accountField(viewer: Viewer, row: RowId): FieldOutcome {
  if (viewer.who === "anonymous") return "UNAUTHENTICATED";
  if (viewer.who === "outsider") return "absent";
  return reachesAnywhere(cellOf(row, viewer.role as Role)) ? "readable" : "FORBIDDEN";
}

/** An object made visible by `via` at `target` (node(id:), a parent's field): readable, or absent (null, R4). */
export function objectRead(viewer: Viewer, via: Sees, target: Target): FieldOutcome {
  if (viewer.who === "anonymous") return "UNAUTHENTICATED";
  return sees(viewer, via, target) ? "readable" : "absent";
}

/** A field guarded by `row` on an object made visible by `via` at `target` (VirtualAccount.licenses, …). */
export function objectField(viewer: Viewer, row: RowId, via: Sees, target: Target): FieldOutcome {
  const object = objectRead(viewer, via, target);
  if (object !== "readable") return object;
  return covers(cellOf(row, viewer.role as Role), target) ? "readable" : "FORBIDDEN";
}

/** The items of a list guarded by `row` that the viewer gets: those at targets the row's cell reaches. */
export function visibleItems<T extends { target: Target }>(viewer: Viewer, row: RowId, items: readonly T[]): T[] {
  if (viewer.who !== "member") return [];
  const value = cellOf(row, viewer.role as Role);
  return items.filter((item) => covers(value, item.target));
}
