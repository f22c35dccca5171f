import { Role } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { startTestServer, TestServer } from "./support/harness";

// The account graph's promise: a tree query costs one SQL statement per relation per level,
// whatever the number of Virtual Accounts, paginated children included (STYLE §5, issue #2).
// Each by-id loader is used from one branch only: on a connection pool, independent branches finish
// in different ticks, so whether two branches share a batch depends on timing, not on data size.
const TREE = `query Tree($domain: String!) {
  viewer { user { email } smartAccounts(first: 10) { totalCount nodes { id name viewerRoles { role } } } }
  smartAccount(domain: $domain) {
    name
    defaultVirtualAccount { id }
    roleAssignments(first: 100) { totalCount nodes { role user { email } } }
    events(first: 10) { totalCount nodes { type } }
    allVirtualAccounts(first: 500) { totalCount nodes { id depth parent { id } } }
    virtualAccounts(first: 50) {
      totalCount
      nodes {
        name
        roleAssignments { totalCount }
        children(first: 50) {
          totalCount
          nodes { name children(first: 50) { totalCount nodes { name smartAccount { domain } } } }
        }
      }
    }
  }
}`;

/** `width` top-level Virtual Accounts, each with `width` children, each with `width` grandchildren. */
async function grow(account: AccountBuilder, prefix: string, width: number): Promise<void> {
  for (let i = 0; i < width; i++) {
    const top = await account.virtualAccount(`${prefix}-${i}`);
    await account.grant(`va-admin-${prefix}-${i}@example.com`, Role.VIRTUAL_ACCOUNT_ADMIN, top);
    for (let j = 0; j < width; j++) {
      const child = await account.virtualAccount(`${prefix}-${i}-${j}`, top);
      for (let k = 0; k < width; k++) await account.virtualAccount(`${prefix}-${i}-${j}-${k}`, child);
    }
  }
}

describe("statement count of a tree query", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    const small = await server.build.account("small.example.com");
    await small.grant("admin@example.com", Role.SMART_ACCOUNT_ADMIN);
    await grow(small, "s", 2);
    const large = await server.build.account("large.example.com");
    await large.grant("admin@example.com", Role.SMART_ACCOUNT_ADMIN);
    await grow(large, "l", 5);
  });
  afterAll(() => server.close());

  it("is the same for 14 and 155 Virtual Accounts", async () => {
    const small = await server.gql(TREE, { domain: "small.example.com" }, "admin@example.com");
    const large = await server.gql(TREE, { domain: "large.example.com" }, "admin@example.com");
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    expect(small.data.smartAccount.allVirtualAccounts.totalCount).toBe(1 + 2 + 4 + 8);
    expect(large.data.smartAccount.allVirtualAccounts.totalCount).toBe(1 + 5 + 25 + 125);
    expect(large.statements).toBe(small.statements);
    console.log(`tree query: ${large.statements} statements`);
    // auth (with viewer.smartAccounts), smartAccount, default VA, role assignments, their users, events,
    // all VAs, their parents, tops, VA roles, children per level (2), the level-3 smart accounts.
    expect(large.statements).toBe(13);
  });

  it("does not grow with the number of accounts the viewer is in", async () => {
    const query = `{ viewer { smartAccounts(first: 10) { nodes { name virtualAccounts(first: 50) { nodes { name children { nodes { name } } } } } } } }`;
    const result = await server.gql(query, {}, "admin@example.com");
    expect(result.errors).toBeUndefined();
    expect(result.data.viewer.smartAccounts.nodes).toHaveLength(2);
    // auth with the viewer's accounts, tops (both accounts at once), children (all parents at once).
    expect(result.statements).toBe(3);
  });
});
