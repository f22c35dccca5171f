import { LicenseKind, Role } from "../entities";
import { AccountBuilder } from "../src/db/seed/builder";
import { startTestServer, TestServer } from "./support/harness";

// Pools, licenses and alerts cost one statement per level too, however many Virtual Accounts and
// lots there are (issue #3). Each by-id loader is used from one branch only (see statement-count.test.ts).
const POOLS = `query Pools($domain: String!) {
  smartAccount(domain: $domain) {
    licensePools { product { sku } purchased inUse available status nextExpiry }
    alerts { type severity quantity dueAt }
    virtualAccounts(first: 50) {
      nodes {
        name
        licensePools { purchased }
        children(first: 50) {
          nodes {
            name
            licensePools(includeDescendants: true) { purchased inUse status }
            licenses(first: 10) { totalCount nodes { quantity status tags order { number } } }
          }
        }
      }
    }
  }
}`;

const ENTITLEMENTS = `query Entitlements($domain: String!, $after: String) {
  smartAccount(domain: $domain) {
    licenses(first: 500, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id kind quantity startsAt endsAt status tags product { sku name model } virtualAccount { id name } order { number } }
    }
  }
}`;

async function grow(account: AccountBuilder, width: number, now: Date): Promise<void> {
  const soon = new Date(now.getTime() + 30 * 86_400_000);
  for (let i = 0; i < width; i++) {
    const top = await account.virtualAccount(`top-${i}`);
    await account.license(top, "C9300-NW-A", 10);
    for (let j = 0; j < width; j++) {
      const child = await account.virtualAccount(`child-${i}-${j}`, top);
      await account.order([{ sku: "C9300-DNA-A-3Y", quantity: 5, termMonths: 36, virtualAccount: child }]);
      await account.license(child, "C9300-NW-A", 3, { tags: ["lab", `rack-${j}`] });
      await account.license(child, "ISR4K-SEC", 2, { endsAt: soon });
      await account.license(child, "L-ASA5506-SEC-PL", 1, { kind: LicenseKind.CLASSIC });
      for (let k = 0; k < width; k++) await account.virtualAccount(`leaf-${i}-${j}-${k}`, child);
    }
  }
}

describe("statement count of pools, licenses and alerts", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    for (const [domain, width] of [
      ["small.example.com", 2],
      ["large.example.com", 4],
    ] as const) {
      const account = await server.build.account(domain);
      await account.grant("admin@example.com", Role.SMART_ACCOUNT_ADMIN);
      await grow(account, width, server.clock.now());
    }
  });
  afterAll(() => server.close());

  it("R27 R28 pools and alerts of a tree: the same statements for 4 and 16 second-level Virtual Accounts", async () => {
    const small = await server.gql(POOLS, { domain: "small.example.com" }, "admin@example.com");
    const large = await server.gql(POOLS, { domain: "large.example.com" }, "admin@example.com");
    expect(small.errors).toBeUndefined();
    expect(large.errors).toBeUndefined();
    expect(large.data.smartAccount.virtualAccounts.nodes).toHaveLength(5);
    expect(large.statements).toBe(small.statements);
    console.log(`pools query: ${large.statements} statements`);
  });

  it("Entitlements pages cost the same on the first and a later page", async () => {
    const first = await server.gql(ENTITLEMENTS, { domain: "large.example.com" }, "admin@example.com");
    expect(first.errors).toBeUndefined();
    const total = first.data.smartAccount.licenses.totalCount;
    expect(total).toBe(4 + 16 * 4);
    const page = `query($domain: String!, $after: String) { smartAccount(domain: $domain) { licenses(first: 7, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id tags product { sku } virtualAccount { id } order { number } } } } }`;
    const seen = new Set<string>();
    const counts: number[] = [];
    let after: string | null = null;
    do {
      const result: any = await server.gql(page, { domain: "large.example.com", after }, "admin@example.com");
      expect(result.errors).toBeUndefined();
      for (const node of result.data.smartAccount.licenses.nodes) seen.add(node.id);
      counts.push(result.statements);
      after = result.data.smartAccount.licenses.pageInfo.hasNextPage ? result.data.smartAccount.licenses.pageInfo.endCursor : null;
    } while (after);
    expect(seen.size).toBe(total);
    // The last page may lack the rows that need an order, so compare the full pages.
    expect(new Set(counts.slice(0, -1)).size).toBe(1);
  });
});
