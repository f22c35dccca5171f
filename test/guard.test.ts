import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Role, RoleAssignment, SmartAccount, SmartAccountStatus, SmartAccountType, User, VirtualAccount } from "../entities";
import { buildGraphQLSchema } from "../resolvers";
import { Access, Grant } from "../src/auth/access";
import { CAPABILITIES, Capability, forbiddenMessage } from "../src/auth/capabilities";
import { accountPlace, userVisible, virtualAccountPlace, VISIBILITY } from "../src/auth/guard";
import { capabilityOf, leavingCapabilityOf, MUTATIONS } from "../src/auth/mutations";
import { RULES } from "../src/auth/shield";

/** The guard's pieces without a server: the mutation table, the one visibility, the user-facing refusals (R4, §5). */

const viewer = Object.assign(new User(), { id: 1, email: "ann@acme.com", name: null });

function access(...grants: [Role, number, string | null][]): Access {
  return new Access(
    viewer,
    new Set(),
    grants.map(([role, smartAccountId, path]): Grant => ({
      role,
      smartAccountId,
      virtualAccountId: path ? 99 : null,
      virtualAccountPath: path,
      assignment: Object.assign(new RoleAssignment(), { role, smartAccountId }),
    })),
  );
}

const va = (id: number, smartAccountId: number, path: string) => Object.assign(new VirtualAccount(), { id, smartAccountId, path, name: `VA ${id}` });

const account = (id: number, extra: Partial<SmartAccount> = {}) =>
  Object.assign(new SmartAccount(), {
    id,
    domain: `a${id}.com`,
    type: SmartAccountType.CUSTOMER,
    status: SmartAccountStatus.ACTIVE,
    awaitingDomainApproval: false,
    domainParentId: null,
    ...extra,
  });

describe("the mutation table (src/auth/mutations.ts)", () => {
  const schemaMutations = Object.keys(buildGraphQLSchema().getMutationType()!.getFields()).sort();

  it("names every mutation of the schema, and nothing else", () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(schemaMutations);
  });

  it("is what the shield rules every mutation by", () => {
    expect(Object.keys((RULES as Record<string, object>).Mutation).sort()).toEqual(schemaMutations);
  });

  it("names only capabilities of §5's table", () => {
    for (const rule of Object.values(MUTATIONS)) {
      if (!("needs" in rule)) continue;
      const needs = typeof rule.needs === "string" ? [rule.needs] : Object.values(rule.needs);
      for (const capability of [...needs, ...("leaving" in rule ? [rule.leaving] : [])]) expect(Object.keys(CAPABILITIES)).toContain(capability);
    }
  });

  it("R15 places orders by the orders:write scope alone; R19 R26 moves out need licenses:moveOut", () => {
    expect(MUTATIONS.placeOrder).toMatchObject({ scope: "orders:write" });
    expect(leavingCapabilityOf("transferLicenses")).toBe("licenses:moveOut");
    expect(leavingCapabilityOf("transferProductInstance")).toBe("licenses:moveOut");
    expect(capabilityOf("grantRole", "virtualAccountRole")).toBe("roles:manageVirtual");
    expect(() => capabilityOf("grantRole")).toThrow();
  });

  it("every mutation that needs a capability is asserted by its service through the guard (capabilityOf names it)", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith(".service.ts")) sources.push(readFileSync(path, "utf8"));
      }
    };
    walk(join(__dirname, "..", "src"));
    const code = sources.join("\n");
    const unasserted = Object.entries(MUTATIONS)
      .filter(([, rule]) => "needs" in rule)
      .map(([name]) => name)
      .filter((name) => !code.includes(`capabilityOf("${name}"`) && !code.includes(`"${name}"`));
    expect(unasserted).toEqual([]);
    // No service checks roles by hand.
    expect(code).not.toMatch(/hasRole\(|Role\.SMART_ACCOUNT_ADMIN\)/);
  });
});

describe("the one visibility (src/auth/guard.ts VISIBILITY)", () => {
  it("R9 an awaiting prefixed account shows to the parent's SMART_ACCOUNT_ADMIN, not its SMART_ACCOUNT_USER; once approved, to neither", () => {
    const awaiting = account(2, { awaitingDomainApproval: true, domainParentId: 1 });
    const see = (a: Access, target: SmartAccount) => VISIBILITY.SmartAccount.visible(a, target, accountPlace(target.id));
    expect(see(access([Role.SMART_ACCOUNT_ADMIN, 1, null]), awaiting)).toBe(true);
    expect(see(access([Role.SMART_ACCOUNT_USER, 1, null]), awaiting)).toBe(false);
    expect(see(access([Role.SMART_ACCOUNT_ADMIN, 1, null]), { ...awaiting, awaitingDomainApproval: false } as SmartAccount)).toBe(false);
    expect(see(access([Role.VIRTUAL_ACCOUNT_VIEWER, 2, "/7/"]), awaiting)).toBe(true);
  });

  it("§5 a Virtual Account role sees its subtree, not its parent or siblings", () => {
    const a = access([Role.VIRTUAL_ACCOUNT_USER, 1, "/5/"]);
    const see = (target: VirtualAccount) => VISIBILITY.VirtualAccount.visible(a, target, virtualAccountPlace(target));
    expect(see(va(5, 1, "/5/"))).toBe(true);
    expect(see(va(6, 1, "/5/6/"))).toBe(true);
    expect(see(va(4, 1, "/4/"))).toBe(false);
    expect(see(va(50, 1, "/50/"))).toBe(false);
    expect(see(va(5, 2, "/5/"))).toBe(false);
  });

  it("§5 R15 an order shows to who placed it and to those who see orders, never to a Virtual Account role", () => {
    const order = { id: 1, smartAccountId: 1, placedById: 7 } as never;
    expect(VISIBILITY.Order.visible(access([Role.SMART_ACCOUNT_VIEWER, 1, null]), order, accountPlace(1))).toBe(true);
    expect(VISIBILITY.Order.visible(access([Role.VIRTUAL_ACCOUNT_ADMIN, 1, "/5/"]), order, accountPlace(1))).toBe(false);
    expect(VISIBILITY.Order.visible(access(), { id: 1, smartAccountId: 1, placedById: 1 } as never, accountPlace(1))).toBe(true);
  });

  it("R4 a lot, device or token whose Virtual Account is gone shows to no one", () => {
    const a = access([Role.SMART_ACCOUNT_ADMIN, 1, null]);
    expect(VISIBILITY.License.visible(a, {} as never, accountPlace(1))).toBe(false);
    expect(VISIBILITY.License.visible(a, {} as never, virtualAccountPlace(va(5, 1, "/5/")))).toBe(true);
  });

  it("R4 a user shows to themself, where their roles may be read, and where their access requests are decided", () => {
    const none = { roles: [], accessRequests: [] };
    expect(userVisible(access(), 1, none)).toBe(true);
    expect(userVisible(access([Role.SMART_ACCOUNT_USER, 1, null]), 2, { roles: [{ smartAccountId: 1, path: null }], accessRequests: [] })).toBe(
      false,
    );
    expect(
      userVisible(access([Role.VIRTUAL_ACCOUNT_ADMIN, 1, "/5/"]), 2, { roles: [{ smartAccountId: 1, path: "/5/9/" }], accessRequests: [] }),
    ).toBe(true);
    expect(userVisible(access([Role.SMART_ACCOUNT_ADMIN, 1, null]), 2, { roles: [], accessRequests: [1] })).toBe(true);
    expect(userVisible(access([Role.SMART_ACCOUNT_ADMIN, 1, null]), 2, { roles: [], accessRequests: [3] })).toBe(false);
  });
});

describe("R3 R4 FORBIDDEN speaks the user's words", () => {
  it.each(Object.keys(CAPABILITIES) as Capability[])("%s names the roles that would allow it, not the capability key", (capability) => {
    const message = forbiddenMessage(capability, "Finance");
    expect(message).not.toContain(capability);
    expect(message).toMatch(/^You may not .+ \("Finance"\): that needs [A-Z_]+/);
  });
});
