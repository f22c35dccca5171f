import { Role } from "../../entities";

// The cell machinery shared by the §5 role-table suites: every role in and out of scope, an outsider
// (SMART_ACCOUNT_ADMIN of another account only) and no token.

export const SA_ROLES = [
  Role.SMART_ACCOUNT_APPROVER,
  Role.SMART_ACCOUNT_ADMIN,
  Role.SMART_ACCOUNT_USER,
  Role.SMART_ACCOUNT_VIEWER,
];
export const VA_ROLES = [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER];
export const SEVEN_ROLES = [...SA_ROLES, ...VA_ROLES];
export const isSa = (role: Role) => SA_ROLES.includes(role);

export const OUTSIDER = "outsider@other.test";
export const OUTSIDER_LABEL = "outsider (SMART_ACCOUNT_ADMIN of another account only)";

export type Who = "member" | "outsider" | "anonymous";

export interface Cell<E> {
  name: string;
  who: Who;
  role: Role | null;
  inScope: boolean;
  expected: E;
}

/**
 * The cells of one row: each role (in and out of scope when `scoped`), the outsider, and no token.
 * `label` turns an expectation into the words of the test name.
 */
export function cellsOf<E>(
  title: string,
  options: {
    scoped: boolean;
    expected: (role: Role, inScope: boolean) => E;
    outsider: E;
    anonymous: E;
    label?: (expected: E) => string;
  },
): Cell<E>[] {
  const label = options.label ?? String;
  const cells: Cell<E>[] = [];
  for (const role of SEVEN_ROLES) {
    for (const inScope of options.scoped ? [true, false] : [true]) {
      const expected = options.expected(role, inScope);
      const where = options.scoped ? (inScope ? " in scope" : " out of scope") : "";
      cells.push({ name: `${title}: ${role}${where} → ${label(expected)}`, who: "member", role, inScope, expected });
    }
  }
  cells.push({ name: `${title}: ${OUTSIDER_LABEL} → ${label(options.outsider)}`, who: "outsider", role: null, inScope: true, expected: options.outsider });
  cells.push({ name: `${title}: no token → ${label(options.anonymous)} (R1)`, who: "anonymous", role: null, inScope: true, expected: options.anonymous });
  return cells;
}

export type Outcome = "allowed" | "FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED";

export const slug = (role: Role) => role.toLowerCase().replace(/_/g, "-");
