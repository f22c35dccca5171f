import "reflect-metadata";
import { Role, RoleAssignment, SmartAccount, User } from "../entities";
import { Access, Grant, minimalRoots } from "../src/auth/access";
import { Capability, CAPABILITIES } from "../src/auth/capabilities";
import { childPath } from "../src/accounts/tree";
import { cellOf, covers, RowId, SECTION_5 } from "./support/section5";
import { isSa, SEVEN_ROLES } from "./support/role-table";

/**
 * `Access` (src/auth/access.ts) on its own: no server, no database. Grants are made by hand, with
 * materialized paths as the tree writes them (zero-padded ids, parents first).
 *
 * Account 1: US (2) → Finance (3), US → Sales (4); EMEA (5) → Paris (6); and a Virtual Account 20 whose id
 * shares US's leading digit, to show that a subtree is a path prefix of whole segments. Account 9: Other (90).
 */
const ACCOUNT = 1;
const OTHER_ACCOUNT = 9;
const US = childPath(null, 2);
const FINANCE = childPath(US, 3);
const SALES = childPath(US, 4);
const EMEA = childPath(null, 5);
const PARIS = childPath(EMEA, 6);
const TWENTY = childPath(null, 20);
const OTHER = childPath(null, 90);

const VIRTUAL_ACCOUNT_IDS: Record<string, number> = { [US]: 2, [FINANCE]: 3, [SALES]: 4, [EMEA]: 5, [PARIS]: 6, [TWENTY]: 20, [OTHER]: 90 };

const user = { id: 7, email: "someone@acme.test", name: null } as unknown as User;

let nextAssignment = 1;
/** A grant as authentication builds it: a Smart Account role with no Virtual Account, a Virtual Account role with its path. */
function grant(role: Role, smartAccountId = ACCOUNT, path: string | null = null): Grant {
  const virtualAccountId = path ? VIRTUAL_ACCOUNT_IDS[path] : null;
  const assignment = Object.assign(new RoleAssignment(), {
    id: nextAssignment++,
    userId: user.id,
    smartAccountId,
    virtualAccountId,
    role,
    smartAccount: { id: smartAccountId, domain: `account-${smartAccountId}.test` } as SmartAccount,
  });
  return { role, smartAccountId, virtualAccountId, virtualAccountPath: path, assignment };
}

const access = (grants: Grant[], scopes: string[] = []) => new Access(user, new Set(scopes), grants);

/** The capabilities of src/auth/capabilities.ts, as the §5 rows they stand for (placing orders is a scope, R15). */
const ROW_OF: Record<Capability, RowId> = {
  "virtualAccounts:read": "tree",
  "smartAccount:update": "updateAccount",
  "smartAccount:activate": "activate",
  "virtualAccounts:write": "writeTree",
  "roles:read": "seeRoles",
  "roles:manageAccount": "saRoles",
  "roles:manageVirtual": "vaRoles",
  "accessRequests:manage": "accessRequests",
  "domainPrefix:approve": "prefix",
  "events:read": "events",
  "licenses:read": "seeLicenses",
  "licenses:manage": "manageLicenses",
  "licenses:convert": "convert",
  "orders:read": "seeOrders",
  "orders:assign": "assignOrders",
  "licenses:moveOut": "moveOut",
  "alerts:subscribe": "subscribeAlerts",
  "webhooks:manage": "webhooks",
};

describe("Access (src/auth/access.ts), without a server", () => {
  describe("reach: where a capability reaches in one account", () => {
    it("§5 every capability, for each of the seven roles held alone (VA roles on US), reaches what its §5 cell says", () => {
      const rows = Object.keys(CAPABILITIES) as Capability[];
      const mismatches: string[] = [];
      for (const capability of rows) {
        for (const role of SEVEN_ROLES) {
          const value = cellOf(ROW_OF[capability], role);
          const expected = covers(value, "out of scope")
            ? { all: true, paths: [] }
            : covers(value, "in scope")
              ? { all: false, paths: [US] }
              : { all: false, paths: [] };
          const reach = access([grant(role, ACCOUNT, isSa(role) ? null : US)]).reach(capability, ACCOUNT);
          if (JSON.stringify(reach) !== JSON.stringify(expected)) mismatches.push(`${capability} / ${role} ("${value}"): ${JSON.stringify(reach)}`);
        }
      }
      expect(mismatches).toEqual([]);
    });

    it("§5 every capability stands for an implemented row, and every implemented row has one but placing orders (a scope, R15), one's own preferences (any role in the account, R38) and subscribing to events (the same cells as seeing them: events:read, R36)", () => {
      const implemented = SECTION_5.filter((row) => !row.pending && row.scope === null && row.id !== "preferences" && row.id !== "subscribeEvents")
        .map((row) => row.id)
        .sort();
      expect(Object.keys(CAPABILITIES).sort()).toEqual(Object.keys(ROW_OF).sort());
      expect(Object.values(ROW_OF).sort()).toEqual(implemented);
    });

    it("an account the viewer has no role in is reached nowhere, whatever they hold elsewhere", () => {
      const viewer = access([grant(Role.SMART_ACCOUNT_ADMIN, OTHER_ACCOUNT)]);
      expect(viewer.reach("licenses:read", ACCOUNT)).toEqual({ all: false, paths: [] });
      expect(viewer.reach("licenses:read", OTHER_ACCOUNT)).toEqual({ all: true, paths: [] });
    });

    it("R13 rights add up: a Smart Account role reaches the whole account, over any Virtual Account role", () => {
      const viewer = access([grant(Role.VIRTUAL_ACCOUNT_ADMIN, ACCOUNT, US), grant(Role.SMART_ACCOUNT_VIEWER)]);
      expect(viewer.reach("licenses:read", ACCOUNT)).toEqual({ all: true, paths: [] });
      expect(viewer.reach("licenses:manage", ACCOUNT)).toEqual({ all: false, paths: [US] });
      expect(viewer.reach("roles:read", ACCOUNT)).toEqual({ all: false, paths: [US] });
    });

    it("R13 rights add up: Virtual Account roles on several subtrees, each kept once, nested ones folded into their root", () => {
      const viewer = access([
        grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, US),
        grant(Role.VIRTUAL_ACCOUNT_ADMIN, ACCOUNT, FINANCE),
        grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, PARIS),
        grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, PARIS),
      ]);
      expect(viewer.reach("licenses:read", ACCOUNT)).toEqual({ all: false, paths: [US, PARIS].sort() });
      expect(viewer.reach("licenses:manage", ACCOUNT)).toEqual({ all: false, paths: [US] });
      expect(viewer.reach("roles:manageVirtual", ACCOUNT)).toEqual({ all: false, paths: [FINANCE] });
      expect(viewer.reach("licenses:convert", ACCOUNT)).toEqual({ all: false, paths: [] });
    });

    it("a Virtual Account role whose Virtual Account has no path (gone) reaches nothing", () => {
      expect(access([grant(Role.VIRTUAL_ACCOUNT_ADMIN, ACCOUNT, null)]).reach("licenses:read", ACCOUNT)).toEqual({ all: false, paths: [] });
    });

    it("the same answer twice (reach is cached per capability and account)", () => {
      const viewer = access([grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, US)]);
      expect(viewer.reach("licenses:read", ACCOUNT)).toBe(viewer.reach("licenses:read", ACCOUNT));
      expect(viewer.reach("licenses:read", ACCOUNT)).not.toBe(viewer.reach("licenses:manage", ACCOUNT));
    });
  });

  describe("can: the capability over one point of the tree", () => {
    const vaUser = access([grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, US)]);

    it("§5 a Virtual Account role covers its Virtual Account and all its descendants, nothing else", () => {
      const at = (path: string, smartAccountId = ACCOUNT) => vaUser.can("licenses:read", { smartAccountId, path });
      expect([US, FINANCE, SALES].map((path) => at(path))).toEqual([true, true, true]);
      expect([EMEA, PARIS].map((path) => at(path))).toEqual([false, false]);
      // /0000000020/ is no descendant of /0000000002/: subtrees are whole path segments.
      expect(at(TWENTY)).toBe(false);
      expect(at(OTHER, OTHER_ACCOUNT)).toBe(false);
    });

    it("§5 an account-level target (no path) is reached only by account-wide reach", () => {
      expect(vaUser.can("licenses:read", { smartAccountId: ACCOUNT })).toBe(false);
      expect(vaUser.can("licenses:read", { smartAccountId: ACCOUNT, path: null })).toBe(false);
      const admin = access([grant(Role.SMART_ACCOUNT_ADMIN)]);
      expect(admin.can("roles:manageAccount", { smartAccountId: ACCOUNT })).toBe(true);
      expect(admin.can("licenses:read", { smartAccountId: ACCOUNT, path: PARIS })).toBe(true);
      expect(admin.can("smartAccount:activate", { smartAccountId: ACCOUNT })).toBe(false);
      expect(admin.can("licenses:read", { smartAccountId: OTHER_ACCOUNT, path: OTHER })).toBe(false);
    });

    it("§5 the approver reaches the tree, but no license", () => {
      const approver = access([grant(Role.SMART_ACCOUNT_APPROVER)]);
      expect(approver.can("virtualAccounts:read", { smartAccountId: ACCOUNT, path: PARIS })).toBe(true);
      expect(approver.can("licenses:read", { smartAccountId: ACCOUNT, path: PARIS })).toBe(false);
      expect(approver.can("smartAccount:activate", { smartAccountId: ACCOUNT })).toBe(true);
    });
  });

  describe("canAnywhere: the capability somewhere in the account (what a guarded Smart Account field asks)", () => {
    it("§5 true for account-wide reach and for any subtree; false where the cell is –, in another account, and with no grants", () => {
      const vaViewer = access([grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, FINANCE)]);
      expect(vaViewer.canAnywhere("licenses:read", ACCOUNT)).toBe(true);
      expect(vaViewer.canAnywhere("licenses:manage", ACCOUNT)).toBe(false);
      expect(vaViewer.canAnywhere("licenses:read", OTHER_ACCOUNT)).toBe(false);
      expect(access([grant(Role.SMART_ACCOUNT_USER)]).canAnywhere("orders:read", ACCOUNT)).toBe(true);
      expect(access([grant(Role.SMART_ACCOUNT_APPROVER)]).canAnywhere("licenses:read", ACCOUNT)).toBe(false);
      expect(Access.anonymous().canAnywhere("virtualAccounts:read", ACCOUNT)).toBe(false);
    });
  });

  describe("the viewer, their accounts and scopes", () => {
    it("R1 anonymous: not authenticated, no account, no scope", () => {
      const nobody = Access.anonymous();
      expect(nobody.authenticated).toBe(false);
      expect(nobody.viewer).toBeNull();
      expect(nobody.smartAccountIds).toEqual([]);
      expect(nobody.hasScope("orders:write")).toBe(false);
    });

    it("§5 any role in an account lets the viewer see the account itself; grants are listed per account", () => {
      const viewer = access(
        [grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, PARIS), grant(Role.SMART_ACCOUNT_APPROVER, OTHER_ACCOUNT)],
        ["orders:write"],
      );
      expect(viewer.authenticated).toBe(true);
      expect(viewer.canSeeAccount(ACCOUNT)).toBe(true);
      expect(viewer.canSeeAccount(OTHER_ACCOUNT)).toBe(true);
      expect(viewer.canSeeAccount(42)).toBe(false);
      expect(viewer.smartAccountIds.sort()).toEqual([ACCOUNT, OTHER_ACCOUNT]);
      expect(viewer.smartAccounts.map((account) => account.id).sort()).toEqual([ACCOUNT, OTHER_ACCOUNT]);
      expect(viewer.grantsIn(ACCOUNT).map((g) => g.role)).toEqual([Role.VIRTUAL_ACCOUNT_VIEWER]);
      expect(viewer.grantsIn(42)).toEqual([]);
      expect(viewer.hasRole(OTHER_ACCOUNT, Role.SMART_ACCOUNT_APPROVER)).toBe(true);
      expect(viewer.hasRole(ACCOUNT, Role.SMART_ACCOUNT_APPROVER)).toBe(false);
    });

    it("R2 scopes are the token's, nothing more", () => {
      const integration = access([], ["orders:write"]);
      expect(integration.hasScope("orders:write")).toBe(true);
      expect(integration.hasScope("catalog:write")).toBe(false);
      expect(integration.smartAccountIds).toEqual([]);
      // R2: a scope grants nothing else.
      expect(integration.reach("orders:read", ACCOUNT)).toEqual({ all: false, paths: [] });
    });
  });

  describe("minimalRoots", () => {
    it("drops duplicates and every path under another one; sorted", () => {
      expect(minimalRoots([FINANCE, US, PARIS, SALES, US])).toEqual([US, PARIS].sort());
      expect(minimalRoots([PARIS, EMEA])).toEqual([EMEA]);
      expect(minimalRoots([])).toEqual([]);
    });

    it("keeps siblings whose ids share leading digits (whole segments)", () => {
      expect(minimalRoots([TWENTY, US])).toEqual([US, TWENTY]);
    });
  });

  describe("sqlScope: the capability as a SQL predicate", () => {
    it("account-wide: the account column IN the accounts", () => {
      const admin = access([grant(Role.SMART_ACCOUNT_ADMIN), grant(Role.SMART_ACCOUNT_VIEWER, OTHER_ACCOUNT)]);
      expect(admin.sqlScope("licenses:read")).toEqual({
        sql: "(va.smart_account_id IN (:...scope_licenses_read_accounts))",
        params: { scope_licenses_read_accounts: [ACCOUNT, OTHER_ACCOUNT] },
      });
    });

    it("subtrees: one path LIKE per minimal root, the root's path followed by %", () => {
      const viewer = access([
        grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, US),
        grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, PARIS),
        grant(Role.VIRTUAL_ACCOUNT_VIEWER, ACCOUNT, FINANCE),
      ]);
      expect(viewer.sqlScope("licenses:read")).toEqual({
        sql: "(va.path LIKE :scope_licenses_read_p0 OR va.path LIKE :scope_licenses_read_p1)",
        params: { scope_licenses_read_p0: `${US}%`, scope_licenses_read_p1: `${PARIS}%` },
      });
      expect(viewer.sqlScope("licenses:manage")).toEqual({
        sql: "(va.path LIKE :scope_licenses_manage_p0)",
        params: { scope_licenses_manage_p0: `${US}%` },
      });
    });

    it("nowhere: always a real predicate, 1 = 0 (the approver's licenses, anonymous, a scope without a role)", () => {
      expect(access([grant(Role.SMART_ACCOUNT_APPROVER)]).sqlScope("licenses:read")).toEqual({ sql: "1 = 0", params: {} });
      expect(Access.anonymous().sqlScope("virtualAccounts:read")).toEqual({ sql: "1 = 0", params: {} });
      expect(access([], ["orders:write"]).sqlScope("orders:read")).toEqual({ sql: "1 = 0", params: {} });
    });

    it("account-wide in one account and subtrees in another, OR'd; named columns; one account only when asked", () => {
      const viewer = access([grant(Role.SMART_ACCOUNT_USER, OTHER_ACCOUNT), grant(Role.VIRTUAL_ACCOUNT_ADMIN, ACCOUNT, EMEA)]);
      expect(viewer.sqlScope("events:read", { account: "e.smart_account_id", path: "eva.path" })).toEqual({
        sql: "(eva.path LIKE :scope_events_read_p0)",
        params: { scope_events_read_p0: `${EMEA}%` },
      });
      const both = viewer.sqlScope("licenses:read", { account: "l.smart_account_id", path: "lva.path" });
      expect(both.params).toEqual({ scope_licenses_read_accounts: [OTHER_ACCOUNT], scope_licenses_read_p0: `${EMEA}%` });
      expect(both.sql).toBe("(l.smart_account_id IN (:...scope_licenses_read_accounts) OR lva.path LIKE :scope_licenses_read_p0)");
      expect(viewer.sqlScope("licenses:read", undefined, OTHER_ACCOUNT)).toEqual({
        sql: "(va.smart_account_id IN (:...scope_licenses_read_accounts))",
        params: { scope_licenses_read_accounts: [OTHER_ACCOUNT] },
      });
      expect(viewer.sqlScope("licenses:read", undefined, 42)).toEqual({ sql: "1 = 0", params: {} });
    });

    it("sqlScopeOfRows: the rows' own account column, or a semi-join on their Virtual Account for subtrees", () => {
      const columns = { account: "l.smart_account_id", virtualAccount: "l.virtual_account_id" };
      expect(access([grant(Role.SMART_ACCOUNT_VIEWER)]).sqlScopeOfRows("licenses:read", columns)).toEqual({
        sql: "(l.smart_account_id IN (:...rows_licenses_read_accounts))",
        params: { rows_licenses_read_accounts: [ACCOUNT] },
      });
      expect(
        access([grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, US), grant(Role.VIRTUAL_ACCOUNT_USER, ACCOUNT, EMEA)]).sqlScopeOfRows(
          "licenses:read",
          columns,
        ),
      ).toEqual({
        sql: "(l.virtual_account_id IN (SELECT sv.id FROM virtual_accounts sv WHERE sv.path LIKE :rows_licenses_read_p0 OR sv.path LIKE :rows_licenses_read_p1))",
        params: { rows_licenses_read_p0: `${US}%`, rows_licenses_read_p1: `${EMEA}%` },
      });
      expect(access([grant(Role.SMART_ACCOUNT_APPROVER)]).sqlScopeOfRows("licenses:read", columns)).toEqual({ sql: "1 = 0", params: {} });
    });
  });
});
