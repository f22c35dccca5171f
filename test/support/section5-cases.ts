import { Role } from "../../entities";
import {
  accountField,
  anonymous,
  cellOf,
  COLUMNS,
  member,
  mutationOutcome,
  Outcome,
  outsider,
  ROLE_OF,
  ROW,
  RowId,
  Sees,
  subscriptionOutcome,
  Target,
  Viewer,
} from "./section5";

/**
 * The registry of §5 cases: every operation the role-table suites run against the server, with the §5
 * rows it exercises. A suite declares its cases only through `section5Suite(<its name>)`, which generates
 * every cell of each operation (each role, in scope and out of scope where the target lies in the tree,
 * the outsider and no token; with and without the service scope of a scope row) with its expected outcome
 * read from test/support/section5.ts, and fails when an operation registered for the suite has no cases
 * there. test/section5.test.ts fails when an implemented §5 row has no operation here.
 */

export interface MutationOperation {
  kind: "mutation";
  /** The test names' title, citing §5 and the rules. */
  title: string;
  /** The rows the mutation needs, every one of them. */
  rows: readonly RowId[];
  /** What makes the object it names visible (R4). */
  names: Sees;
  /** "tree": a target in scope and one out of scope; "account": one account-level target. */
  targets: "tree" | "account";
}

export interface ReadOperation {
  kind: "read";
  title: string;
  /** The read row(s) the query's guarded fields stand for. */
  rows: readonly RowId[];
  targets: "tree" | "account";
}

/** A subscription (R36): the account's stream ("account") or one narrowed to a Virtual Account in or out of scope ("tree"). */
export interface SubscriptionOperation {
  kind: "subscription";
  title: string;
  /** The row of the stream (one). */
  rows: readonly [RowId];
  targets: "tree" | "account";
}

export type Operation = MutationOperation | ReadOperation | SubscriptionOperation;

const mutation = (title: string, rows: RowId[], names: Sees, targets: "tree" | "account"): MutationOperation => ({
  kind: "mutation",
  title,
  rows,
  names,
  targets,
});
const read = (title: string, rows: RowId[], targets: "tree" | "account"): ReadOperation => ({ kind: "read", title, rows, targets });
const subscription = (title: string, row: RowId, targets: "tree" | "account"): SubscriptionOperation => ({
  kind: "subscription",
  title,
  rows: [row],
  targets,
});

// prettier-ignore
export const SUITES = {
  "role-table": {
    seeTree:             read("§5 see the Virtual Account tree", ["tree"], "tree"),
    seeRoles:            read("§5 see role assignments", ["seeRoles"], "tree"),
    seeAccessRequests:   read("§5 see access requests (R14)", ["accessRequests"], "account"),
    seeEvents:           read("§5 see events (R29)", ["events"], "tree"),
    updateAccount:       mutation("§5 update the Smart Account name", ["updateAccount"], "account", "account"),
    activate:            mutation("§5 activate the Smart Account (R10)", ["activate"], "account", "account"),
    createVa:            mutation("§5 create Virtual Accounts (R12)", ["writeTree"], "tree", "tree"),
    renameVa:            mutation("§5 update (rename) Virtual Accounts (R12)", ["writeTree"], "tree", "tree"),
    moveVa:              mutation("§5 move Virtual Accounts (R12)", ["writeTree"], "tree", "tree"),
    deleteVa:            mutation("§5 delete Virtual Accounts (R12)", ["writeTree"], "tree", "tree"),
    grantSaRole:         mutation("§5 grant Smart Account roles (R13)", ["saRoles"], "account", "account"),
    revokeSaRole:        mutation("§5 revoke Smart Account roles (R13, R4)", ["saRoles"], "seeRoles", "account"),
    grantVaRole:         mutation("§5 grant Virtual Account roles (R13)", ["vaRoles"], "tree", "tree"),
    revokeVaRole:        mutation("§5 revoke Virtual Account roles (R13, R4)", ["vaRoles"], "seeRoles", "tree"),
    decideAccessRequest: mutation("§5 decide access requests (R14, R4)", ["accessRequests"], "accessRequests", "account"),
    approvePrefix:       mutation("§5 approve a prefixed domain (R9), role held in the parent's account", ["prefix"], "prefix", "account"),
  },
  "role-table-licenses": {
    seeLicenses:         read("§5 see licenses, pools, alerts", ["seeLicenses"], "tree"),
    seeOrders:           read("§5 see orders", ["seeOrders"], "tree"),
    transferLicenses:    mutation("§5 transfer licenses (R19)", ["manageLicenses"], "tree", "tree"),
    tagLicenses:         mutation("§5 tag licenses (R21)", ["manageLicenses"], "seeLicenses", "tree"),
    convertLicenses:     mutation("§5 convert classic licenses (R20)", ["convert"], "seeLicenses", "tree"),
    placeOrder:          mutation("§5 place orders (R15)", ["placeOrders"], "account", "tree"),
    moveLicensesOut:     mutation("§5 move licenses out of the Smart Account (R19)", ["manageLicenses", "moveOut"], "tree", "tree"),
    assignOrder:         mutation("§5 assign orders out of a holding account (R18), role held in the holding account", ["assignOrders"], "seeOrders", "tree"),
  },
  "role-table-devices": {
    seeDevices:          read("§5 see devices and tokens", ["seeLicenses"], "tree"),
    createToken:         mutation("§5 create registration tokens (R23)", ["manageLicenses"], "tree", "tree"),
    revokeToken:         mutation("§5 revoke registration tokens (R23)", ["manageLicenses"], "seeLicenses", "tree"),
    transferDevice:      mutation("§5 transfer devices (R26)", ["manageLicenses"], "seeLicenses", "tree"),
    moveDeviceOut:       mutation("§5 move devices out of the Smart Account (R26)", ["manageLicenses", "moveOut"], "seeLicenses", "tree"),
    removeDevice:        mutation("§5 remove devices (R26)", ["manageLicenses"], "seeLicenses", "tree"),
  },
  "mail-role-table": {
    setPreferences:      mutation("§5 set one's own notification preferences (R38)", ["preferences"], "account", "account"),
  },
  "webhooks-role-table": {
    seeWebhooks:          read("§5 see webhooks (R37)", ["webhooks"], "tree"),
    createWebhook:        mutation("§5 create webhooks on a Virtual Account (R37)", ["webhooks"], "tree", "tree"),
    createAccountWebhook: mutation("§5 create account-wide webhooks (R37)", ["webhooks"], "account", "account"),
    deleteWebhook:        mutation("§5 delete webhooks (R37, R4)", ["webhooks"], "webhooks", "tree"),
    redeliverWebhook:     mutation("§5 redeliver a webhook delivery (R37, R4)", ["webhooks"], "webhooks", "tree"),
  },
  "role-table-subscriptions": {
    accountEvents:       subscription("§5 subscribe to events (R36) of the whole account", "subscribeEvents", "account"),
    virtualAccountEvents: subscription("§5 subscribe to events (R36) of a Virtual Account", "subscribeEvents", "tree"),
    accountAlerts:       subscription("§5 subscribe to alert changes (R36) of the whole account", "subscribeAlerts", "account"),
    subtreeAlerts:       subscription("§5 subscribe to alert changes (R36) of a Virtual Account's subtree", "subscribeAlerts", "tree"),
  },
} as const satisfies Record<string, Record<string, Operation>>;

export type SuiteId = keyof typeof SUITES;

export const OUTSIDER = "outsider@other.test";
export const OUTSIDER_LABEL = "outsider (SMART_ACCOUNT_ADMIN of another account only)";

/** One cell of an operation: who acts, where the target lies, and what the table says follows. */
export interface Case<E> {
  name: string;
  viewer: Viewer;
  who: Viewer["who"];
  role: Role | null;
  target: Target;
  /** The target lies in the role's scope (true for account-level targets, which every role's account holds). */
  inScope: boolean;
  /** The token's scope claim (R2), when the case carries one. */
  scope: string | undefined;
  expected: E;
}

/** A read's expectation for the test name; the body asks section5.ts field by field (accountField, objectField, …). */
export interface ReadExpectation {
  label: string;
}

const whereOf = (target: Target) => (target === "account" ? "" : ` ${target}`);

/** The viewers of an operation's cells: each role, the outsider, and nobody; each with a scope row's scope too. */
function viewersOf(rows: readonly RowId[]): { viewer: Viewer; label: string; token: string; perTarget: boolean }[] {
  const scopes = [...new Set(rows.map((row) => ROW[row].scope).filter((scope): scope is string => scope !== null))];
  const variants: { scopes: string[]; token: string }[] = [
    { scopes: [], token: "" },
    ...scopes.map((scope) => ({ scopes: [scope], token: `, token with the ${scope} scope` })),
  ];
  const viewers: { viewer: Viewer; label: string; token: string; perTarget: boolean }[] = [];
  for (const { scopes, token } of variants) {
    for (const column of COLUMNS) viewers.push({ viewer: member(ROLE_OF[column], scopes), label: ROLE_OF[column], token, perTarget: true });
  }
  for (const { scopes, token } of variants) viewers.push({ viewer: outsider(scopes), label: OUTSIDER_LABEL, token, perTarget: false });
  viewers.push({ viewer: anonymous, label: "no token", token: "", perTarget: false });
  return viewers;
}

function casesOf<E>(
  operation: Operation,
  expected: (viewer: Viewer, target: Target) => E,
  label: (expected: E, viewer: Viewer) => string,
): Case<E>[] {
  const targets: Target[] = operation.targets === "tree" ? ["in scope", "out of scope"] : ["account"];
  const cases: Case<E>[] = [];
  for (const { viewer, label: who, token, perTarget } of viewersOf(operation.rows)) {
    // The outsider and nobody see nothing of the account, wherever the target lies: one case each.
    for (const target of perTarget ? targets : [targets[0]]) {
      const outcome = expected(viewer, target);
      const where = perTarget ? whereOf(target) : "";
      const rule = viewer.who === "anonymous" ? " (R1)" : "";
      cases.push({
        name: `${operation.title}: ${who}${where}${token} → ${label(outcome, viewer)}${rule}`,
        viewer,
        who: viewer.who,
        role: viewer.role,
        target,
        inScope: target !== "out of scope",
        scope: viewer.scopes.length ? viewer.scopes.join(" ") : undefined,
        expected: outcome,
      });
    }
  }
  return cases;
}

/** Every cell of a mutation, its expected outcome read from the table. */
export const mutationCases = (operation: MutationOperation): Case<Outcome>[] =>
  casesOf(operation, (viewer, target) => mutationOutcome(viewer, operation.rows, operation.names, target), String);

/** Every cell of a subscription, its expected outcome read from the table. */
export const subscriptionCases = (operation: SubscriptionOperation): Case<Outcome>[] =>
  casesOf(operation, (viewer, target) => subscriptionOutcome(viewer, operation.rows[0], target), String);

/** Every cell of an operation, whatever its kind. */
export const casesOfOperation = (operation: Operation): Case<unknown>[] =>
  operation.kind === "mutation" ? mutationCases(operation) : operation.kind === "read" ? readCases(operation) : subscriptionCases(operation);

/** Every cell of a read, labelled with the cell of its (first) row; the body checks each field against the table. */
export const readCases = (operation: ReadOperation): Case<ReadExpectation>[] =>
  casesOf(
    operation,
    (viewer) => {
      if (viewer.who === "anonymous") return { label: "UNAUTHENTICATED" };
      if (viewer.who === "outsider") return { label: "nothing (R4)" };
      const value = cellOf(operation.rows[0], viewer.role as Role);
      return { label: accountField(viewer, operation.rows[0]) === "FORBIDDEN" ? `"${value}": null with FORBIDDEN at the fields (R4)` : `"${value}"` };
    },
    (expectation) => expectation.label,
  );

type OperationsOf<S extends SuiteId> = (typeof SUITES)[S];
type MutationKeys<S extends SuiteId> = {
  [K in keyof OperationsOf<S>]: OperationsOf<S>[K] extends MutationOperation ? K : never;
}[keyof OperationsOf<S>];
type SubscriptionKeys<S extends SuiteId> = {
  [K in keyof OperationsOf<S>]: OperationsOf<S>[K] extends SubscriptionOperation ? K : never;
}[keyof OperationsOf<S>];
type ReadKeys<S extends SuiteId> = { [K in keyof OperationsOf<S>]: OperationsOf<S>[K] extends ReadOperation ? K : never }[keyof OperationsOf<S>];

/**
 * A role-table suite's cases, from the registry: `mutation(key, body)` and `read(key, body)` declare one
 * jest test per cell, named after the operation, the cell and its expected outcome. Call `complete()` last
 * in the suite: a test that fails when an operation registered for the suite was not declared.
 */
export function section5Suite<S extends SuiteId>(suite: S) {
  const operations = SUITES[suite] as Record<string, Operation>;
  const declared = new Set<string>();

  const take = <O extends Operation>(key: string, kind: O["kind"]): O => {
    const operation = operations[key];
    if (!operation || operation.kind !== kind) throw new Error(`${suite}: no §5 ${kind} "${key}" in test/support/section5-cases.ts`);
    declared.add(key);
    return operation as O;
  };

  return {
    operation: (key: keyof OperationsOf<S> & string): Operation => operations[key],
    mutation(key: MutationKeys<S> & string, body: (cell: Case<Outcome>) => Promise<void>): void {
      it.each(mutationCases(take<MutationOperation>(key, "mutation")))("$name", body);
    },
    read(key: ReadKeys<S> & string, body: (cell: Case<ReadExpectation>) => Promise<void>): void {
      it.each(readCases(take<ReadOperation>(key, "read")))("$name", body);
    },
    subscription(key: SubscriptionKeys<S> & string, body: (cell: Case<Outcome>) => Promise<void>): void {
      it.each(subscriptionCases(take<SubscriptionOperation>(key, "subscription")))("$name", body);
    },
    complete(): void {
      it(`§5 every operation registered for ${suite} has its cases here`, () => {
        expect(Object.keys(operations).filter((key) => !declared.has(key))).toEqual([]);
      });
    },
  };
}
