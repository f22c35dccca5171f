import { Role, SmartAccountStatus, SmartAccountType } from "../entities";
import { codeOf, startTestServer, TestServer } from "./support/harness";
import { countRows, eventCount, lastEventType, snapshot } from "./support/db-counts";
import { gid } from "./support/ids";

/** Rules R7–R11 (Smart Account lifecycle) and R29 for its mutations. */

const REQUEST = `mutation($input: RequestSmartAccountInput!) {
  requestSmartAccount(input: $input) { id name domain type status awaitingDomainApproval activatedAt viewerRoles { role } }
}`;
const ACTIVATE = `mutation($id: ID!) { activateSmartAccount(smartAccountId: $id) { id status activatedAt awaitingDomainApproval } }`;
const APPROVE_PREFIX = `mutation($id: ID!) { approveDomainPrefix(smartAccountId: $id) { id awaitingDomainApproval } }`;
const MY_ACCOUNTS = `{ viewer { smartAccounts { nodes { id domain status viewerRoles { role } } } } }`;

describe("rules R7–R11: Smart Accounts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  const request = (input: { name?: string; domain: string; type?: SmartAccountType; approverEmail: string }, as: string) =>
    server.gql(REQUEST, { input: { name: input.name ?? input.domain, type: SmartAccountType.CUSTOMER, ...input } }, as);

  const rolesOf = async (email: string, domain: string): Promise<string[] | null> => {
    const result = await server.gql(MY_ACCOUNTS, {}, email);
    expect(result.errors).toBeUndefined();
    const account = result.data.viewer.smartAccounts.nodes.find((node: { domain: string }) => node.domain === domain);
    return account ? account.viewerRoles.map((role: { role: string }) => role.role).sort() : null;
  };

  describe("R7 request", () => {
    it("R7 any signed-in user may request a Smart Account; it starts PENDING", async () => {
      const result = await request({ name: "Globex", domain: "r7-globex.com", approverEmail: "hank@r7-globex.com" }, "anyone@nowhere.org");
      expect(result.errors).toBeUndefined();
      expect(result.data.requestSmartAccount).toMatchObject({
        name: "Globex",
        domain: "r7-globex.com",
        type: "CUSTOMER",
        status: "PENDING",
        awaitingDomainApproval: false,
        activatedAt: null,
      });
    });

    it("R7 the approver gets SMART_ACCOUNT_APPROVER, and only that", async () => {
      const result = await request({ domain: "r7-approver.com", approverEmail: "jane@r7-approver.com" }, "partner@partner-r7.com");
      expect(result.errors).toBeUndefined();
      expect(await rolesOf("jane@r7-approver.com", "r7-approver.com")).toEqual([Role.SMART_ACCOUNT_APPROVER]);
      const node = await server.gql(
        `query($id: ID!) { node(id: $id) { ... on SmartAccount { status } } }`,
        { id: result.data.requestSmartAccount.id },
        "jane@r7-approver.com",
      );
      expect(node.data.node).toEqual({ status: "PENDING" });
    });

    it("R7 the requester gets nothing unless they are the approver", async () => {
      const result = await request({ domain: "r7-customer.com", approverEmail: "ceo@r7-customer.com" }, "reseller@partner-r7b.com");
      expect(result.errors).toBeUndefined();
      expect(await rolesOf("reseller@partner-r7b.com", "r7-customer.com")).toBeNull();
      const node = await server.gql(
        `query($id: ID!) { node(id: $id) { id } }`,
        { id: result.data.requestSmartAccount.id },
        "reseller@partner-r7b.com",
      );
      expect(node.data.node).toBeNull();
      expect(
        await countRows(server, "role_assignments", "smart_account_id = (SELECT id FROM smart_accounts WHERE domain = ?)", ["r7-customer.com"]),
      ).toBe(1);

      const own = await request({ domain: "r7-self.com", approverEmail: "me@r7-self.com" }, "me@r7-self.com");
      expect(own.errors).toBeUndefined();
      expect(await rolesOf("me@r7-self.com", "r7-self.com")).toEqual([Role.SMART_ACCOUNT_APPROVER]);
    });

    it("R7 the approver is created if new", async () => {
      expect(await countRows(server, "users", "email = ?", ["fresh@r7-new.com"])).toBe(0);
      const result = await request({ domain: "r7-new.com", approverEmail: "Fresh@R7-New.com" }, "anyone@nowhere.org");
      expect(result.errors).toBeUndefined();
      expect(await countRows(server, "users", "email = ?", ["fresh@r7-new.com"])).toBe(1);
      // and an existing user is reused, not duplicated
      await server.build.user("known@r7-known.com");
      await request({ domain: "r7-known.com", approverEmail: "known@r7-known.com" }, "anyone@nowhere.org");
      expect(await countRows(server, "users", "email = ?", ["known@r7-known.com"])).toBe(1);
    });

    it("R29 requestSmartAccount writes exactly one event", async () => {
      const before = await eventCount(server);
      const result = await request({ domain: "r29-request.com", approverEmail: "a@r29-request.com" }, "anyone@nowhere.org");
      expect(result.errors).toBeUndefined();
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("SMART_ACCOUNT_REQUESTED");
    });
  });

  describe("R8 domain", () => {
    it("R8 a CUSTOMER or PARTNER_HOLDING domain must be a DNS name → BAD_USER_INPUT naming input.domain", async () => {
      const bad = [
        "localhost",
        "acme..com",
        "-acme.com",
        "acme-.com",
        "acme_corp.com",
        "acme.com/",
        "ac me.com",
        ".acme.com",
        "acme.com.",
        `${"a".repeat(64)}.com`,
        `${Array.from({ length: 64 }, () => "abc").join(".")}.com`, // 259 characters
      ];
      await server.gql("{ viewer { user { id } } }", {}, "anyone@nowhere.org");
      const before = await snapshot(server);
      for (const domain of bad) {
        for (const type of [SmartAccountType.CUSTOMER, SmartAccountType.PARTNER_HOLDING]) {
          const result = await request({ name: "Bad domain", domain, type, approverEmail: "x@acme.com" }, "anyone@nowhere.org");
          expect({ domain, type, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
            domain,
            type,
            code: "BAD_USER_INPUT",
            field: "input.domain",
          });
        }
      }
      expect(await snapshot(server)).toEqual(before);
      const long = `${"a".repeat(63)}.${"b".repeat(63)}.r8-ok-long.com`;
      const ok = await request(
        { name: "Long", domain: long, type: SmartAccountType.PARTNER_HOLDING, approverEmail: "x@r8-ok-long.com" },
        "anyone@nowhere.org",
      );
      expect(ok.errors).toBeUndefined();
      expect(ok.data.requestSmartAccount.type).toBe("PARTNER_HOLDING");
      const dashed = await request({ domain: "my-co9.r8-ok.org", approverEmail: "x@r8-ok.org" }, "anyone@nowhere.org");
      expect(dashed.errors).toBeUndefined();
    });

    it("R8 the approver's email domain must equal the domain or be a parent of it", async () => {
      const equal = await request({ domain: "r8-xyz.com", approverEmail: "jane@r8-xyz.com" }, "anyone@nowhere.org");
      expect(equal.errors).toBeUndefined();
      const parent = await request({ domain: "abc.r8-pqr.com", approverEmail: "jane@r8-pqr.com" }, "anyone@nowhere.org");
      expect(parent.errors).toBeUndefined();
      expect(parent.data.requestSmartAccount.domain).toBe("abc.r8-pqr.com");

      const before = await snapshot(server);
      const refused: [string, string][] = [
        ["abc.r8-mno.com", "jane@other.com"], // unrelated
        ["r8-mno.com", "jane@abc.r8-mno.com"], // a child may not approve its parent
        ["abc.r8-mno.com", "jane@8-mno.com"], // a suffix that is not a parent label
        ["r8-mnoabc.com", "jane@abc.com"],
      ];
      for (const [domain, approverEmail] of refused) {
        const result = await request({ domain, approverEmail }, "anyone@nowhere.org");
        expect({ domain, approverEmail, code: codeOf(result), field: result.errors?.[0].extensions.field }).toEqual({
          domain,
          approverEmail,
          code: "BAD_USER_INPUT",
          field: "input.approverEmail",
        });
      }
      expect(await snapshot(server)).toEqual(before);
    });

    it("R8 a LIMITED_USE account's domain identifier is the approver's email address", async () => {
      const result = await request(
        { type: SmartAccountType.LIMITED_USE, domain: " Bob.Smith@Gmail.com ", approverEmail: "bob.smith@gmail.com", name: "Bob's Bikes" },
        "bob.smith@gmail.com",
      );
      expect(result.errors).toBeUndefined();
      expect(result.data.requestSmartAccount).toMatchObject({ domain: "bob.smith@gmail.com", type: "LIMITED_USE", status: "PENDING" });
      expect(await rolesOf("bob.smith@gmail.com", "bob.smith@gmail.com")).toEqual([Role.SMART_ACCOUNT_APPROVER]);

      const mismatch = await request(
        { type: SmartAccountType.LIMITED_USE, domain: "gmail.com", approverEmail: "alice@gmail.com" },
        "alice@gmail.com",
      );
      expect(codeOf(mismatch)).toBe("BAD_USER_INPUT");
      expect(mismatch.errors![0].extensions.field).toBe("input.domain");
    });

    it("R8 domains are unique, case-insensitively → CONFLICT, and nothing is created", async () => {
      await server.build.account("r8-dup.com");
      await server.gql("{ viewer { user { id } } }", {}, "anyone@nowhere.org");
      const before = await snapshot(server);
      for (const domain of ["r8-dup.com", "R8-DUP.com", "  r8-Dup.COM "]) {
        const result = await request({ domain, approverEmail: "new.approver@r8-dup.com" }, "anyone@nowhere.org");
        expect({ domain, code: codeOf(result) }).toEqual({ domain, code: "CONFLICT" });
      }
      // R3/R29: the failed request wrote no event, no account and not even the new approver's user row
      expect(await snapshot(server)).toEqual(before);
      expect(await countRows(server, "users", "email = ?", ["new.approver@r8-dup.com"])).toBe(0);

      const first = await request({ type: SmartAccountType.LIMITED_USE, domain: "sam@yahoo.com", approverEmail: "sam@yahoo.com" }, "sam@yahoo.com");
      expect(first.errors).toBeUndefined();
      const again = await request({ type: SmartAccountType.LIMITED_USE, domain: "SAM@Yahoo.com", approverEmail: "Sam@yahoo.com" }, "sam@yahoo.com");
      expect(codeOf(again)).toBe("CONFLICT");
    });
  });

  describe("R9 prefixed domains", () => {
    it("R9 a subdomain of an existing account's domain is awaitingDomainApproval; others are not", async () => {
      await server.build.account("r9-a.com");
      const prefixed = await request({ domain: "eu.r9-a.com", approverEmail: "eu.boss@r9-a.com" }, "anyone@nowhere.org");
      expect(prefixed.errors).toBeUndefined();
      expect(prefixed.data.requestSmartAccount.awaitingDomainApproval).toBe(true);
      const deeper = await request({ domain: "x.y.r9-a.com", approverEmail: "boss@y.r9-a.com" }, "anyone@nowhere.org");
      expect(deeper.data.requestSmartAccount.awaitingDomainApproval).toBe(true);
      const unrelated = await request({ domain: "eu.r9-b.com", approverEmail: "boss@r9-b.com" }, "anyone@nowhere.org");
      expect(unrelated.data.requestSmartAccount.awaitingDomainApproval).toBe(false);
      // "r9-a.com" is not a parent of "xr9-a.com"
      const lookalike = await request({ domain: "xr9-a.com", approverEmail: "boss@xr9-a.com" }, "anyone@nowhere.org");
      expect(lookalike.data.requestSmartAccount.awaitingDomainApproval).toBe(false);
    });

    it("R9 a prefixed domain cannot be activated until a SMART_ACCOUNT_ADMIN of the parent account approves it", async () => {
      const parent = await server.build.account("r9-parent.com");
      await parent.grant("admin@r9-parent.com", Role.SMART_ACCOUNT_ADMIN);
      await parent.grant("user@r9-parent.com", Role.SMART_ACCOUNT_USER);
      await parent.grant("approver@r9-parent.com", Role.SMART_ACCOUNT_APPROVER);
      const child = await request({ domain: "eu.r9-parent.com", approverEmail: "eu@r9-parent.com" }, "eu@r9-parent.com");
      const id = child.data.requestSmartAccount.id;

      await server.gql("{ viewer { user { id } } }", {}, "stranger@nowhere.org");
      const before = await snapshot(server);
      const early = await server.gql(ACTIVATE, { id }, "eu@r9-parent.com");
      expect(codeOf(early)).toBe("CONFLICT");
      // the child's own approver, a SMART_ACCOUNT_USER or the approver of the parent may not approve the prefix
      expect(codeOf(await server.gql(APPROVE_PREFIX, { id }, "eu@r9-parent.com"))).toBe("FORBIDDEN");
      for (const who of ["user@r9-parent.com", "approver@r9-parent.com", "stranger@nowhere.org"]) {
        expect({ who, code: codeOf(await server.gql(APPROVE_PREFIX, { id }, who)) }).toEqual({ who, code: "NOT_FOUND" });
      }
      expect(await snapshot(server)).toEqual(before);

      const approved = await server.gql(APPROVE_PREFIX, { id }, "admin@r9-parent.com");
      expect(approved.errors).toBeUndefined();
      expect(approved.data.approveDomainPrefix.awaitingDomainApproval).toBe(false);
      expect(await eventCount(server)).toBe((before.events as number) + 1);
      expect(await lastEventType(server)).toBe("DOMAIN_PREFIX_APPROVED");

      const activated = await server.gql(ACTIVATE, { id }, "eu@r9-parent.com");
      expect(activated.errors).toBeUndefined();
      expect(activated.data.activateSmartAccount.status).toBe("ACTIVE");
    });

    it("R9 the admins of the nearest parent domain approve, not those of a farther one", async () => {
      const top = await server.build.account("r9-near.com");
      await top.grant("admin@r9-near.com", Role.SMART_ACCOUNT_ADMIN);
      const mid = await server.build.account("emea.r9-near.com");
      await mid.grant("admin@emea.r9-near.com", Role.SMART_ACCOUNT_ADMIN);
      const leaf = await request({ domain: "fr.emea.r9-near.com", approverEmail: "fr@emea.r9-near.com" }, "fr@emea.r9-near.com");
      expect(leaf.data.requestSmartAccount.awaitingDomainApproval).toBe(true);
      const id = leaf.data.requestSmartAccount.id;
      expect(codeOf(await server.gql(APPROVE_PREFIX, { id }, "admin@r9-near.com"))).toBe("NOT_FOUND");
      const approved = await server.gql(APPROVE_PREFIX, { id }, "admin@emea.r9-near.com");
      expect(approved.errors).toBeUndefined();
    });

    it("R9 approving a prefix twice → CONFLICT, and nothing changes", async () => {
      const parent = await server.build.account("r9-twice.com");
      await parent.grant("admin@r9-twice.com", Role.SMART_ACCOUNT_ADMIN);
      const child = await request({ domain: "eu.r9-twice.com", approverEmail: "eu@r9-twice.com" }, "eu@r9-twice.com");
      const id = child.data.requestSmartAccount.id;
      expect((await server.gql(APPROVE_PREFIX, { id }, "admin@r9-twice.com")).errors).toBeUndefined();
      const before = await snapshot(server);
      expect(codeOf(await server.gql(APPROVE_PREFIX, { id }, "admin@r9-twice.com"))).toBe("CONFLICT");
      // also for an admin who holds a role in the child itself
      const both = await server.build.account("r9-twice2.com");
      await both.grant("admin@r9-twice2.com", Role.SMART_ACCOUNT_ADMIN);
      const child2 = await request({ domain: "eu.r9-twice2.com", approverEmail: "admin@r9-twice2.com" }, "admin@r9-twice2.com");
      const id2 = child2.data.requestSmartAccount.id;
      expect((await server.gql(APPROVE_PREFIX, { id: id2 }, "admin@r9-twice2.com")).errors).toBeUndefined();
      const before2 = await snapshot(server);
      expect(codeOf(await server.gql(APPROVE_PREFIX, { id: id2 }, "admin@r9-twice2.com"))).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before2);
      expect(before2.events).toBe((before.events as number) + 2);
      // an account that never awaited approval → CONFLICT too
      expect(codeOf(await server.gql(APPROVE_PREFIX, { id: gid("SmartAccount", both.id) }, "admin@r9-twice2.com"))).toBe("CONFLICT");
      // and once approved, the parent's admin still does not see the child (R4): approval grants no role
      expect((await server.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, "admin@r9-twice.com")).data.node).toBeNull();
    });
  });

  describe("R10 activation", () => {
    it("R10 only the account's approver may activate it", async () => {
      const pending = await server.build.account("r10-only.com", { status: SmartAccountStatus.PENDING });
      await pending.grant("approver@r10-only.com", Role.SMART_ACCOUNT_APPROVER);
      await pending.grant("admin@r10-only.com", Role.SMART_ACCOUNT_ADMIN);
      await pending.grant("user@r10-only.com", Role.SMART_ACCOUNT_USER);
      await server.gql("{ viewer { user { id } } }", {}, "stranger@nowhere.org");
      const id = gid("SmartAccount", pending.id);
      const before = await snapshot(server);
      expect(codeOf(await server.gql(ACTIVATE, { id }, "admin@r10-only.com"))).toBe("FORBIDDEN");
      expect(codeOf(await server.gql(ACTIVATE, { id }, "user@r10-only.com"))).toBe("FORBIDDEN");
      expect(codeOf(await server.gql(ACTIVATE, { id }, "stranger@nowhere.org"))).toBe("NOT_FOUND");
      expect(await snapshot(server)).toEqual(before);
    });

    it("R10 activation makes the account ACTIVE with activatedAt, and the approver also SMART_ACCOUNT_ADMIN", async () => {
      const requested = await request({ domain: "r10-go.com", approverEmail: "boss@r10-go.com" }, "boss@r10-go.com");
      const id = requested.data.requestSmartAccount.id;
      const at = new Date("2026-12-01T08:30:00.000Z");
      server.clock.set(at);
      const before = await eventCount(server);
      const result = await server.gql(ACTIVATE, { id }, "boss@r10-go.com");
      expect(result.errors).toBeUndefined();
      expect(result.data.activateSmartAccount).toMatchObject({ id, status: "ACTIVE", activatedAt: at.toISOString() });
      expect(await eventCount(server)).toBe(before + 1);
      expect(await lastEventType(server)).toBe("SMART_ACCOUNT_ACTIVATED");
      expect(await rolesOf("boss@r10-go.com", "r10-go.com")).toEqual([Role.SMART_ACCOUNT_ADMIN, Role.SMART_ACCOUNT_APPROVER].sort());
      const read = await server.gql(`{ smartAccount(domain: "r10-go.com") { status activatedAt } }`, {}, "boss@r10-go.com");
      expect(read.data.smartAccount).toEqual({ status: "ACTIVE", activatedAt: at.toISOString() });
      // as SMART_ACCOUNT_ADMIN the approver may now change the tree
      const created = await server.gql(
        `mutation($id: ID!) { createVirtualAccount(input: { smartAccountId: $id, name: "Ops" }) { depth } }`,
        { id },
        "boss@r10-go.com",
      );
      expect(created.errors).toBeUndefined();
    });

    it("R10 activating twice → CONFLICT, and nothing changes", async () => {
      const requested = await request({ domain: "r10-twice.com", approverEmail: "boss@r10-twice.com" }, "boss@r10-twice.com");
      const id = requested.data.requestSmartAccount.id;
      expect((await server.gql(ACTIVATE, { id }, "boss@r10-twice.com")).errors).toBeUndefined();
      const before = await snapshot(server);
      server.clock.set(new Date("2027-01-01T00:00:00.000Z"));
      const again = await server.gql(ACTIVATE, { id }, "boss@r10-twice.com");
      expect(codeOf(again)).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before);
    });
  });

  describe("R11 default Virtual Account", () => {
    it("R11 every new Smart Account has one top-level Virtual Account named Default with isDefault", async () => {
      const requested = await request({ domain: "r11-default.com", approverEmail: "boss@r11-default.com" }, "boss@r11-default.com");
      const result = await server.gql(
        `{ smartAccount(domain: "r11-default.com") {
            defaultVirtualAccount { id name isDefault depth parent { id } }
            allVirtualAccounts { totalCount nodes { id } } } }`,
        {},
        "boss@r11-default.com",
      );
      expect(requested.errors).toBeUndefined();
      expect(result.errors).toBeUndefined();
      const account = result.data.smartAccount;
      expect(account.defaultVirtualAccount).toMatchObject({ name: "Default", isDefault: true, depth: 1, parent: null });
      expect(account.allVirtualAccounts.totalCount).toBe(1);
      expect(account.allVirtualAccounts.nodes[0].id).toBe(account.defaultVirtualAccount.id);
      const limited = await request(
        { type: SmartAccountType.LIMITED_USE, domain: "li@r11-mail.com", approverEmail: "li@r11-mail.com" },
        "li@r11-mail.com",
      );
      expect(limited.errors).toBeUndefined();
      const lim = await server.gql(`{ smartAccount(domain: "li@r11-mail.com") { defaultVirtualAccount { name isDefault } } }`, {}, "li@r11-mail.com");
      expect(lim.data.smartAccount.defaultVirtualAccount).toEqual({ name: "Default", isDefault: true });
    });

    it("R11 deleting the default Virtual Account → CONFLICT, and it stays", async () => {
      const requested = await request({ domain: "r11-keep.com", approverEmail: "boss@r11-keep.com" }, "boss@r11-keep.com");
      const id = requested.data.requestSmartAccount.id;
      await server.gql(ACTIVATE, { id }, "boss@r11-keep.com");
      const read = await server.gql(`{ smartAccount(domain: "r11-keep.com") { defaultVirtualAccount { id } } }`, {}, "boss@r11-keep.com");
      const vaId = read.data.smartAccount.defaultVirtualAccount.id;
      const before = await snapshot(server);
      const result = await server.gql(`mutation($id: ID!) { deleteVirtualAccount(id: $id) }`, { id: vaId }, "boss@r11-keep.com");
      expect(codeOf(result)).toBe("CONFLICT");
      expect(await snapshot(server)).toEqual(before);
      const still = await server.gql(`query($id: ID!) { node(id: $id) { ... on VirtualAccount { isDefault } } }`, { id: vaId }, "boss@r11-keep.com");
      expect(still.data.node).toEqual({ isDefault: true });
    });
  });

  describe("R29 events of Smart Account mutations", () => {
    it("R29 updateSmartAccount writes exactly one event; a refused one writes none", async () => {
      const acme = await server.build.account("r29-update.com");
      await acme.grant("admin@r29-update.com", Role.SMART_ACCOUNT_ADMIN);
      await acme.grant("viewer@r29-update.com", Role.SMART_ACCOUNT_VIEWER);
      const update = `mutation($id: ID!, $name: String!) { updateSmartAccount(input: { smartAccountId: $id, name: $name }) { name } }`;
      const id = gid("SmartAccount", acme.id);
      await server.gql("{ viewer { user { id } } }", {}, "viewer@r29-update.com");
      const before = await snapshot(server);
      expect(codeOf(await server.gql(update, { id, name: "Nope" }, "viewer@r29-update.com"))).toBe("FORBIDDEN");
      expect(await snapshot(server)).toEqual(before);
      const ok = await server.gql(update, { id, name: "Renamed" }, "admin@r29-update.com");
      expect(ok.data.updateSmartAccount.name).toBe("Renamed");
      expect(await eventCount(server)).toBe((before.events as number) + 1);
      expect(await lastEventType(server)).toBe("SMART_ACCOUNT_UPDATED");
    });

    it("R29 events record the actor and the Smart Account", async () => {
      const requested = await request({ domain: "r29-actor.com", approverEmail: "boss@r29-actor.com" }, "boss@r29-actor.com");
      await server.gql(ACTIVATE, { id: requested.data.requestSmartAccount.id }, "boss@r29-actor.com");
      const result = await server.gql(
        `{ smartAccount(domain: "r29-actor.com") { events { totalCount nodes { type actor { email } virtualAccount { id } } } } }`,
        {},
        "boss@r29-actor.com",
      );
      expect(result.errors).toBeUndefined();
      const events = result.data.smartAccount.events;
      expect(events.totalCount).toBe(2);
      expect(events.nodes.map((event: { type: string }) => event.type).sort()).toEqual(["SMART_ACCOUNT_ACTIVATED", "SMART_ACCOUNT_REQUESTED"]);
      for (const event of events.nodes) expect(event.actor).toEqual({ email: "boss@r29-actor.com" });
    });
  });
});
