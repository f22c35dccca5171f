import { Role, SmartAccountStatus, SmartAccountType, VirtualAccount } from "../../entities";
import { AccountBuilder } from "../../src/db/seed/builder";
import { gid } from "./ids";
import type { GqlResult, TestServer } from "./harness";

/** The suite clock's first reading (test/support/harness.ts starts every server's FixedClock here). */
export const START = new Date("2026-11-23T10:00:00.000Z");

export const DAY_MS = 86_400_000;

/** `n` days after START (before it when negative; fractions allowed). */
export const days = (n: number): Date => new Date(START.getTime() + n * DAY_MS);

/**
 * R1 (and R24's device secrets): refused for want of valid credentials. Every error is UNAUTHENTICATED and
 * no data comes back (no data at all, or only nulls where the fields are nullable). With `reason`
 * (R24: UNKNOWN / EXPIRED / REVOKED / EXHAUSTED), exactly one error carrying it, and `data` null.
 */
export function expectUnauthenticated(result: GqlResult, reason?: string): void {
  expect(result.errors?.length).toBeGreaterThan(0);
  expect(result.errors!.map((error) => error.extensions.code)).toEqual(result.errors!.map(() => "UNAUTHENTICATED"));
  expect(Object.entries(result.data ?? {}).filter(([, value]) => value !== null)).toEqual([]);
  if (reason !== undefined) {
    expect(result.data).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason });
  }
}

/**
 * Exactly one error, with `code` (R3) and, when given, the `extensions.field` it names. Returns the error.
 * `data` is not checked: a refused nullable field leaves the rest of the response standing (R4).
 */
export function expectCode(result: GqlResult, code: string, options: { field?: string } = {}) {
  expect(result.errors?.map((error) => error.extensions.code)).toEqual([code]);
  if (options.field !== undefined) expect(result.errors![0].extensions.field).toBe(options.field);
  return result.errors![0];
}

/** R4: the guarded field at `path` is null, with exactly one FORBIDDEN error at that path. */
export function expectForbiddenAt(result: GqlResult, path: (string | number)[]): void {
  const errors = (result.errors ?? []).filter((error) => JSON.stringify(error.path) === JSON.stringify(path));
  expect(errors.map((error) => error.extensions.code)).toEqual(["FORBIDDEN"]);
  expect(valueAt(result.data, path) ?? null).toBeNull();
}

/** The value at a path of a response's data (undefined past a null). */
export function valueAt(data: unknown, path: (string | number)[]): any {
  let value: any = data;
  for (const key of path) value = value?.[key];
  return value;
}

export interface AccountOptions {
  type?: SmartAccountType;
  status?: SmartAccountStatus;
  name?: string;
  awaitingDomainApproval?: boolean;
  domainParentId?: number | null;
  /** The admin's email; `admin@<domain>` by default. */
  admin?: string;
  /** The admin's role; SMART_ACCOUNT_ADMIN by default. */
  role?: Role;
  /** Sign the admin in once, so that their user row exists before a snapshot (R1 creates it on first sight). */
  signIn?: boolean;
}

export interface BuiltAccount {
  built: AccountBuilder;
  /** The admin's email. */
  admin: string;
  domain: string;
  /** The account's global ID. */
  accountId: string;
  defaultVa: VirtualAccount;
  /** The default Virtual Account's global ID. */
  defaultVaId: string;
}

/**
 * The rule suites' account: a Smart Account (ACTIVE CUSTOMER unless told) built straight into the
 * database, with an admin. Bound to the suite's server (started in its beforeAll, hence a getter):
 * `const account = accounts(() => server)`.
 */
export function accounts(server: () => TestServer) {
  return async function account(domain: string, options: AccountOptions = {}): Promise<BuiltAccount> {
    const { admin = `admin@${domain}`, role = Role.SMART_ACCOUNT_ADMIN, signIn = false, ...accountOptions } = options;
    const built = await server().build.account(domain, accountOptions);
    await built.grant(admin, role);
    if (signIn) await server().gql("{ viewer { user { id } } }", {}, admin);
    return {
      built,
      admin,
      domain,
      accountId: gid("SmartAccount", built.id),
      defaultVa: built.defaultVirtualAccount,
      defaultVaId: gid("VirtualAccount", built.defaultVirtualAccount.id),
    };
  };
}
