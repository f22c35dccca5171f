import "reflect-metadata";
import { buildSchema, graphql, printSchema } from "graphql";
import { buildGraphQLSchema } from "../resolvers";
import { Role, RoleAssignment, SmartAccount, User } from "../entities";
import { childPath } from "../src/accounts/tree";
import { Access, Grant } from "../src/auth/access";
import { Guard } from "../src/auth/guard";
import { shieldSchema } from "../src/auth/shield";
import { UnauthenticatedError } from "../src/errors";
import { accountField, anonymous, covers, cellOf, member, RowId, Target, Viewer } from "./support/section5";
import { isSa, SEVEN_ROLES } from "./support/role-table";

/**
 * The guard at the API boundary (src/auth/shield.ts) on its own: the real rule map over the API's schema,
 * its fields resolved from plain objects by hand-made Access. No server, no database. Each guarded field
 * answers as its §5 row says (R4: readable, or null with FORBIDDEN at its path).
 *
 * Account 1: US (2) → Finance (3); EMEA (5) → Paris (6). Virtual Account roles are held on US.
 */
const US = childPath(null, 2);
const FINANCE = childPath(US, 3);
const EMEA = childPath(null, 5);
const PARIS = childPath(EMEA, 6);

/** The guarded fields, the §5 rows they stand for, how the test selects them and what the stand-in holds. */
const CONNECTION = { select: "{ totalCount }", value: { totalCount: 1 } };
const LIST = { select: "{ __typename }", value: [] };
const ACCOUNT_FIELDS: Record<string, { row: RowId; select: string; value: unknown }> = {
  roleAssignments: { row: "seeRoles", ...CONNECTION },
  accessRequests: { row: "accessRequests", ...CONNECTION },
  events: { row: "events", ...CONNECTION },
  orders: { row: "seeOrders", ...CONNECTION },
  licensePools: { row: "seeLicenses", ...LIST },
  licenses: { row: "seeLicenses", ...CONNECTION },
  alerts: { row: "seeLicenses", ...LIST },
  productInstances: { row: "seeLicenses", ...CONNECTION },
  usageSummary: { row: "seeLicenses", ...LIST },
};
const VIRTUAL_ACCOUNT_FIELDS: Record<string, { row: RowId; select: string; value: unknown }> = {
  roleAssignments: { row: "seeRoles", ...CONNECTION },
  events: { row: "events", ...CONNECTION },
  licenses: { row: "seeLicenses", ...CONNECTION },
  licensePools: { row: "seeLicenses", ...LIST },
  alerts: { row: "seeLicenses", ...LIST },
  productInstances: { row: "seeLicenses", ...CONNECTION },
  registrationTokens: { row: "seeLicenses", ...CONNECTION },
};

const selection = (fields: typeof ACCOUNT_FIELDS) =>
  Object.entries(fields)
    .map(([field, { select }]) => `${field} ${select}`)
    .join(" ");
const values = (fields: typeof ACCOUNT_FIELDS) => Object.fromEntries(Object.entries(fields).map(([field, { value }]) => [field, value]));
/** What the test reads back: the stand-in's value where readable, null where FORBIDDEN. */
const readBack = (fields: typeof ACCOUNT_FIELDS, forbidden: string[]) =>
  Object.fromEntries(Object.entries(fields).map(([field, { value }]) => [field, forbidden.includes(field) ? null : value]));

/** The API's own schema (its SDL, without resolvers: every field reads its parent's property) behind the real rule map. */
const schema = shieldSchema(buildSchema(printSchema(buildGraphQLSchema())));

const virtualAccount = (id: number, path: string, name: string) => ({
  __typename: "VirtualAccount",
  id,
  smartAccountId: 1,
  path,
  name,
  ...values(VIRTUAL_ACCOUNT_FIELDS),
});
const FINANCE_VA = virtualAccount(3, FINANCE, "Finance");
const PARIS_VA = virtualAccount(6, PARIS, "Paris");
const device = (serialNumber: string, va: typeof FINANCE_VA) => ({
  __typename: "ProductInstance",
  serialNumber,
  virtualAccountId: va.id,
  virtualAccount: va,
});
const ROOT = {
  smartAccount: { id: 1, name: "acme", ...values(ACCOUNT_FIELDS) },
  nodes: [device("FIN-1", FINANCE_VA), device("PAR-1", PARIS_VA)],
  products: { totalCount: 3 },
  upsertProduct: { sku: "NEW-SKU" },
  registerProductInstance: { credential: "dev-secret", productInstance: device("FIN-1", FINANCE_VA) },
};
const UPSERT = `mutation { upsertProduct(input: { sku: "NEW-SKU", name: "New", model: PERPETUAL, smartEnabled: true }) { sku } }`;

const user = { id: 7, email: "someone@acme.test", name: null } as unknown as User;

function accessOf(viewer: Viewer): Access {
  if (viewer.who === "anonymous") return Access.anonymous();
  const grants: Grant[] = [];
  if (viewer.who === "member") {
    const role = viewer.role as Role;
    const path = isSa(role) ? null : US;
    const assignment = Object.assign(new RoleAssignment(), { id: 1, smartAccountId: 1, role, smartAccount: { id: 1 } as SmartAccount });
    grants.push({ role, smartAccountId: 1, virtualAccountId: path ? 2 : null, virtualAccountPath: path, assignment });
  }
  return new Access(user, new Set(viewer.scopes), grants);
}

/** Runs a document through the shielded schema as `viewer`; `device` stands for a device credential (R24). */
async function run(source: string, viewer: Viewer, options: { node?: object; device?: boolean } = {}) {
  const access = accessOf(viewer);
  const contextValue = {
    access,
    // The guard reads Access only here (no database): the visibility of a device's Virtual Account.
    guard: new Guard(null as never, () => access),
    authError: viewer.who === "anonymous" ? new UnauthenticatedError() : undefined,
    device: options.device ? { id: 1 } : undefined,
    loaders: { virtualAccount: { load: async (id: number) => [FINANCE_VA, PARIS_VA].find((va) => va.id === id) ?? null } },
  };
  const result = await graphql({ schema, source, rootValue: { ...ROOT, node: options.node ?? FINANCE_VA }, contextValue });
  return {
    data: result.data as any,
    errors: (result.errors ?? []).map((error) => `${error.extensions?.code} at ${error.path?.join(".")}`).sort(),
  };
}

const members = SEVEN_ROLES.map((role) => ({ role, viewer: member(role) }));

describe("the guard (src/auth/shield.ts), without a server", () => {
  it.each(members)(
    "R4 §5 SmartAccount's guarded fields as $role: readable where the row reaches anywhere in the account, else null with FORBIDDEN",
    async ({ viewer }) => {
      const result = await run(`{ smartAccount(domain: "acme.test") { name ${selection(ACCOUNT_FIELDS)} } }`, viewer);
      const forbidden = Object.keys(ACCOUNT_FIELDS).filter((field) => accountField(viewer, ACCOUNT_FIELDS[field].row) === "FORBIDDEN");
      expect(result.errors).toEqual(forbidden.map((field) => `FORBIDDEN at smartAccount.${field}`).sort());
      expect(result.data.smartAccount).toEqual({ name: "acme", ...readBack(ACCOUNT_FIELDS, forbidden) });
    },
  );

  it.each(members.flatMap(({ role, viewer }) => (["in scope", "out of scope"] as Target[]).map((target) => ({ role, viewer, target }))))(
    "R4 §5 VirtualAccount's guarded fields as $role, $target: readable where the row covers the Virtual Account, else null with FORBIDDEN",
    async ({ viewer, target }) => {
      const node = target === "in scope" ? FINANCE_VA : PARIS_VA;
      const result = await run(`{ node(id: "x") { ... on VirtualAccount { name ${selection(VIRTUAL_ACCOUNT_FIELDS)} } } }`, viewer, { node });
      const forbidden = Object.keys(VIRTUAL_ACCOUNT_FIELDS).filter(
        (field) => !covers(cellOf(VIRTUAL_ACCOUNT_FIELDS[field].row, viewer.role as Role), target),
      );
      expect(result.errors).toEqual(forbidden.map((field) => `FORBIDDEN at node.${field}`).sort());
      expect(result.data.node).toEqual({ name: node.name, ...readBack(VIRTUAL_ACCOUNT_FIELDS, forbidden) });
    },
  );

  it.each(members)(
    "R4 §5 a device's Virtual Account as $role: only where they may see devices (the device is null otherwise)",
    async ({ viewer, role }) => {
      const result = await run(`{ nodes(ids: ["a", "b"]) { ... on ProductInstance { serialNumber virtualAccount { name } } } }`, viewer);
      const sees = (target: Target) => covers(cellOf("seeLicenses", role), target);
      expect(result.data.nodes).toEqual([
        sees("in scope") ? { serialNumber: "FIN-1", virtualAccount: { name: "Finance" } } : null,
        sees("out of scope") ? { serialNumber: "PAR-1", virtualAccount: { name: "Paris" } } : null,
      ]);
      expect(result.errors).toEqual([
        ...(sees("in scope") ? [] : ["FORBIDDEN at nodes.0.virtualAccount"]),
        ...(sees("out of scope") ? [] : ["FORBIDDEN at nodes.1.virtualAccount"]),
      ]);
    },
  );

  it("R24 a device (its credential, no bearer token) reads its own instance's fields, never its Virtual Account", async () => {
    const register = (fields: string) =>
      run(
        `mutation { registerProductInstance(input: { token: "t", pid: "C9300-48P", serialNumber: "FIN-1" }) { credential productInstance { ${fields} } } }`,
        anonymous,
        {
          device: true,
        },
      );
    expect(await register("serialNumber")).toEqual({
      data: { registerProductInstance: { credential: "dev-secret", productInstance: { serialNumber: "FIN-1" } } },
      errors: [],
    });
    const further = await register("serialNumber virtualAccount { name }");
    expect(further.errors).toEqual(["FORBIDDEN at registerProductInstance.productInstance.virtualAccount"]);
    expect(further.data).toBeNull();
    // Nor may it query: Query.nodes wants a bearer token.
    expect((await run(`{ nodes(ids: ["a"]) { ... on ProductInstance { serialNumber } } }`, anonymous, { device: true })).errors).toEqual([
      "UNAUTHENTICATED at nodes",
    ]);
  });

  it("R1 without a token every query field is UNAUTHENTICATED", async () => {
    const result = await run(`{ smartAccount(domain: "acme.test") { name } node(id: "x") { id } }`, anonymous);
    expect(result.errors).toEqual(["UNAUTHENTICATED at node", "UNAUTHENTICATED at smartAccount"]);
    expect(result.data).toEqual({ smartAccount: null, node: null });
  });

  it("R2 upsertProduct needs the catalog:write scope; no role, and no other scope, stands in for it", async () => {
    expect((await run(UPSERT, member(Role.SMART_ACCOUNT_ADMIN))).errors).toEqual(["FORBIDDEN at upsertProduct"]);
    expect((await run(UPSERT, member(Role.SMART_ACCOUNT_ADMIN, ["orders:write"]))).errors).toEqual(["FORBIDDEN at upsertProduct"]);
    expect(await run(UPSERT, { who: "outsider", role: null, scopes: ["catalog:write"] })).toEqual({
      data: { upsertProduct: { sku: "NEW-SKU" } },
      errors: [],
    });
    expect((await run(UPSERT, anonymous)).errors).toEqual(["UNAUTHENTICATED at upsertProduct"]);
  });
});
