import { Role, SmartAccountStatus, SmartAccountType, VirtualAccount } from "../../entities";
import { AccountBuilder } from "../../src/db/seed/builder";
import { countRows } from "./db-counts";
import { expectCode, expectUnauthenticated, valueAt } from "./fixtures";
import { GqlResult, TestServer } from "./harness";
import { FieldOutcome, Outcome } from "./section5";
import { Case, OUTSIDER } from "./section5-cases";

// The worlds and checks shared by the §5 role-table suites. Which cases exist and what each expects come
// from test/support/section5.ts (the table) through test/support/section5-cases.ts (the registry).

export const SA_ROLES = [Role.SMART_ACCOUNT_APPROVER, Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_USER, Role.SMART_ACCOUNT_VIEWER];
export const VA_ROLES = [Role.VIRTUAL_ACCOUNT_ADMIN, Role.VIRTUAL_ACCOUNT_USER, Role.VIRTUAL_ACCOUNT_VIEWER];
export const SEVEN_ROLES = [...SA_ROLES, ...VA_ROLES];
export const isSa = (role: Role) => SA_ROLES.includes(role);

export const slug = (role: Role) => role.toLowerCase().replace(/_/g, "-");

/** One Smart Account: Default; US → Finance, US → Sales; EMEA → Paris. */
export interface World {
  domain: string;
  account: AccountBuilder;
  us: VirtualAccount;
  finance: VirtualAccount;
  sales: VirtualAccount;
  emea: VirtualAccount;
  paris: VirtualAccount;
}

/**
 * The worlds and checks every role-table suite uses, bound to the suite's server (started in its
 * beforeAll, hence a getter) and to a domain prefix of its own.
 */
export function roleTableKit(server: () => TestServer, prefix: string) {
  let seq = 0;

  /** A world in a new account: `<prefix><n>.test` unless a domain is given. */
  async function makeWorld(options: { domain?: string; type?: SmartAccountType; status?: SmartAccountStatus } = {}): Promise<World> {
    const { domain = `${prefix}${++seq}.test`, ...accountOptions } = options;
    const account = await server().build.account(domain, accountOptions);
    const [us, finance] = await account.chain("US", "Finance");
    const sales = await account.virtualAccount("Sales", us);
    const [emea, paris] = await account.chain("EMEA", "Paris");
    return { domain, account, us, finance, sales, emea, paris };
  }

  /** A fresh world per mutating test, so that tests never see each other's writes, with the cell's actor. */
  async function freshWorld(cell: Case<unknown>, options: { type?: SmartAccountType; status?: SmartAccountStatus } = {}) {
    const world = await makeWorld(options);
    return { world, actor: await actorFor(world, cell) };
  }

  /** The first column of a one-row count. */
  async function count(sql: string, params: unknown[]): Promise<number> {
    const rows: Record<string, unknown>[] = await server().db.dataSource.query(sql, params);
    return Number(Object.values(rows[0])[0]);
  }

  const eventCount = (smartAccountId: number) => countRows(server(), "events", "smart_account_id = ?", [smartAccountId]);

  /** The mutation's outcome, and R29 / R3: one event (of `eventType`, when given) on success, none on failure. */
  async function expectOutcome(result: GqlResult, expected: Outcome, smartAccountId: number, eventType?: string) {
    if (expected === "allowed") {
      expect(result.errors).toBeUndefined();
      expect(await eventCount(smartAccountId)).toBe(1);
      if (eventType) expect(await countRows(server(), "events", "smart_account_id = ? AND type = ?", [smartAccountId, eventType])).toBe(1);
    } else {
      expectCode(result, expected);
      // Refused during execution the payload is null; refused before it (no token, R1) there is no data at all.
      expect(result.data ?? null).toBeNull();
      expect(await eventCount(smartAccountId)).toBe(0);
    }
  }

  return { makeWorld, freshWorld, count, eventCount, expectOutcome };
}

/** The acting user of a cell in a world: the member holding the cell's role, the outsider, or nobody. */
export const actorIn = (world: World, cell: Case<unknown>): string | null =>
  cell.who === "anonymous" ? null : cell.who === "outsider" ? OUTSIDER : `${slug(cell.role as Role)}@${world.domain}`;

/** The acting user for a cell, its role granted first (VA roles on US). */
export async function actorFor(world: World, cell: Case<unknown>): Promise<string | null> {
  if (cell.who === "member") await grantRole(world, cell.role as Role);
  return actorIn(world, cell);
}

/** A read row's world: each of the seven roles held by its own member (VA roles on US). */
export async function grantEveryRole(world: World): Promise<void> {
  for (const role of SEVEN_ROLES) await grantRole(world, role);
}

const grantRole = (world: World, role: Role) => world.account.grant(`${slug(role)}@${world.domain}`, role, isSa(role) ? null : world.us);

/** The outsider: SMART_ACCOUNT_ADMIN of another account only. */
export async function addOutsider(server: TestServer): Promise<void> {
  const other = await server.build.account("other.test");
  await other.grant(OUTSIDER, Role.SMART_ACCOUNT_ADMIN);
}

/** One field of a read, as the table says it shows (section5.ts: accountField, objectRead, objectField). */
export interface FieldCheck {
  /** Where it sits in `data`, e.g. ["smartAccount", "events"]. */
  path: (string | number)[];
  outcome: FieldOutcome;
  /** What of the value to compare (sorted names, say); the value itself by default. */
  read?: (value: any) => unknown;
  /** What that should be when readable. */
  expected?: unknown;
}

/**
 * A read against the table, field by field: a readable field holds what is expected; a FORBIDDEN one is
 * null with exactly one FORBIDDEN error at its path (R4); an absent one is null (its object is invisible,
 * R4) with no error. No other error is in the response, and without a token every error is UNAUTHENTICATED.
 */
export function expectFields(result: GqlResult, checks: FieldCheck[]): void {
  if (checks.some((check) => check.outcome === "UNAUTHENTICATED")) return expectUnauthenticated(result);
  const forbidden = checks.filter((check) => check.outcome === "FORBIDDEN").map((check) => JSON.stringify(check.path));
  expect((result.errors ?? []).map((error) => `${error.extensions.code} at ${JSON.stringify(error.path)}`).sort()).toEqual(
    forbidden.map((path) => `FORBIDDEN at ${path}`).sort(),
  );
  for (const check of checks) {
    const value = valueAt(result.data, check.path);
    if (check.outcome === "readable") {
      expect({ path: check.path, value: (check.read ?? ((v: unknown) => v))(value) }).toEqual({ path: check.path, value: check.expected });
    } else {
      expect({ path: check.path, value: value ?? null }).toEqual({ path: check.path, value: null });
    }
  }
}
