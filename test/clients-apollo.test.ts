/**
 * A real client against a real server: Apollo Client in Node, with the cache a browser app would use.
 * `relayStylePagination()` pages SmartAccount.licenses and VirtualAccount.children to their end with
 * fetchMore; the cache keeps one entry per object (`__typename:id`) that every query reading it shares;
 * errorPolicy "all" keeps the fields a viewer may see next to the FORBIDDEN error of one it may not.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { relayStylePagination } from "@apollo/client/utilities";
import { buildSchema, GraphQLInterfaceType } from "graphql";
import { Role } from "../entities";
import { startTestServer, TestServer } from "./support/harness";

const DOMAIN = "clients-apollo.com";
const ADMIN = "admin@clients-apollo.com";
const APPROVER = "approver@clients-apollo.com";
const LICENSE_COUNT = 130;
const CHILD_COUNT = 60;
const PAGE = 25;

/** The types that implement Node, from the emitted schema: the cache needs them to match `... on License` under `node`. */
const NODE_TYPES = (() => {
  const schema = buildSchema(readFileSync(join(__dirname, "..", "schema", "schema.graphql"), "utf8"));
  return schema.getPossibleTypes(schema.getType("Node") as GraphQLInterfaceType).map((type) => type.name);
})();

const LICENSES = gql`
  query ApolloAccountLicenses($domain: String!, $first: Int!, $after: String) {
    smartAccount(domain: $domain) {
      id
      name
      licenses(first: $first, after: $after) {
        totalCount
        edges {
          cursor
          node {
            id
            quantity
            tags
            product {
              id
              sku
            }
            virtualAccount {
              id
              name
            }
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`;

const CHILDREN = gql`
  query ApolloChildren($id: ID!, $first: Int!, $after: String) {
    node(id: $id) {
      id
      ... on VirtualAccount {
        name
        children(first: $first, after: $after) {
          totalCount
          edges {
            node {
              id
              name
              depth
            }
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
    }
  }
`;

const LICENSE_NODE = gql`
  query ApolloLicenseNode($id: ID!) {
    node(id: $id) {
      id
      ... on License {
        quantity
        tags
        product {
          id
          sku
        }
      }
    }
  }
`;

describe("Apollo Client (in Node) against the server", () => {
  let server: TestServer;
  const requests: { operationName: string; after: string | null }[] = [];

  /** A client as an app would make one: bearer token on every request, relay-style pages merged in the cache. */
  async function clientFor(email: string) {
    const token = await server.token(email);
    const countingFetch: typeof fetch = async (input, init) => {
      const body = JSON.parse(String(init?.body ?? "{}"));
      requests.push({ operationName: body.operationName, after: body.variables?.after ?? null });
      return fetch(input, init);
    };
    return new ApolloClient({
      link: new HttpLink({ uri: server.url, fetch: countingFetch, headers: { authorization: `Bearer ${token}` } }),
      cache: new InMemoryCache({
        possibleTypes: { Node: NODE_TYPES },
        typePolicies: {
          SmartAccount: { fields: { licenses: relayStylePagination(["filter"]) } },
          VirtualAccount: { fields: { children: relayStylePagination() } },
          Query: {
            fields: {
              // node(id:) reads an object any other query already brought, without a request: the id is
              // opaque, so each Node type is tried for an entry of that id.
              node: {
                read(existing, { args, toReference, canRead }) {
                  if (existing !== undefined) return existing;
                  for (const __typename of NODE_TYPES) {
                    const ref = toReference({ __typename, id: args?.id });
                    if (ref && canRead(ref)) return ref;
                  }
                  return undefined;
                },
              },
            },
          },
        },
      }),
    });
  }

  /**
   * Pages a watched query to its end with fetchMore, as a list view would: each page's cursor comes from
   * what the watcher was last handed, and the watcher must be handed the merged list after each page.
   */
  async function pageToEnd(client: ApolloClient, query: typeof LICENSES, variables: Record<string, unknown>, connectionOf: (data: any) => any) {
    const observable = client.watchQuery<any>({ query, variables: { ...variables, first: PAGE } });
    let latest: any;
    let wake: (() => void)[] = [];
    const subscription = observable.subscribe((result) => {
      latest = result;
      const woken = wake;
      wake = [];
      woken.forEach((w) => w());
    });
    /** The first emission (this one or a later one) whose merged list has `length` edges. */
    const handed = (length: number) =>
      new Promise<any>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the watcher was never handed ${length} edges`)), 10_000);
        const check = () => {
          if (latest?.data && connectionOf(latest.data).edges.length === length) {
            clearTimeout(timer);
            resolve(latest.data);
          } else wake.push(check);
        };
        check();
      });
    try {
      let data = await handed(PAGE);
      let pages = 1;
      while (connectionOf(data).pageInfo.hasNextPage) {
        const before = connectionOf(data).edges.length;
        const page = await observable.fetchMore({ variables: { first: PAGE, after: connectionOf(data).pageInfo.endCursor } });
        expect(page.error).toBeUndefined();
        data = await handed(before + connectionOf(page.data).edges.length);
        pages += 1;
        expect(pages).toBeLessThanOrEqual(20);
      }
      return { data, pages };
    } finally {
      subscription.unsubscribe();
    }
  }

  beforeAll(async () => {
    server = await startTestServer();
    const account = await server.build.account(DOMAIN);
    await account.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
    await account.grant(APPROVER, Role.SMART_ACCOUNT_APPROVER);
    const [e, w] = [await account.virtualAccount("East"), await account.virtualAccount("West")];
    const skus = ["APOLLO-A", "APOLLO-B", "APOLLO-C"];
    for (const sku of skus) await server.build.product(sku);
    for (let i = 0; i < LICENSE_COUNT; i++) await account.license(i % 2 ? w : e, skus[i % skus.length], i + 1);
    for (let i = 0; i < CHILD_COUNT; i++) await account.virtualAccount(`East-${String(i).padStart(3, "0")}`, e);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    requests.length = 0;
  });

  it("pages SmartAccount.licenses to its end with fetchMore: every lot once, in the server's order; the cache holds one entry per object", async () => {
    // The server's own order, in one page of 500.
    const direct = await server.gql(
      `query ($domain: String!) { smartAccount(domain: $domain) { licenses(first: 500) { totalCount nodes { id } } } }`,
      { domain: DOMAIN },
      ADMIN,
    );
    expect(direct.errors).toBeUndefined();
    const serverOrder: string[] = direct.data.smartAccount.licenses.nodes.map((n: { id: string }) => n.id);
    expect(serverOrder).toHaveLength(LICENSE_COUNT);

    const client = await clientFor(ADMIN);
    try {
      const { data, pages } = await pageToEnd(client, LICENSES, { domain: DOMAIN }, (d) => d.smartAccount.licenses);
      const connection = data.smartAccount.licenses;
      const ids: string[] = connection.edges.map((edge: any) => edge.node.id);
      expect(pages).toBe(Math.ceil(LICENSE_COUNT / PAGE));
      expect(ids).toEqual(serverOrder);
      expect(new Set(ids).size).toBe(LICENSE_COUNT);
      expect(connection.totalCount).toBe(LICENSE_COUNT);
      expect(connection.pageInfo.hasNextPage).toBe(false);
      expect(connection.edges.map((edge: any) => edge.node.quantity).sort((a: number, b: number) => a - b)).toEqual(
        Array.from({ length: LICENSE_COUNT }, (_, i) => i + 1),
      );
      // One request per page, each after the previous page's end cursor.
      const pageRequests = requests.filter((r) => r.operationName === "ApolloAccountLicenses");
      expect(pageRequests).toHaveLength(pages);
      expect(pageRequests[0].after).toBeNull();
      expect(new Set(pageRequests.map((r) => r.after)).size).toBe(pages);

      // Normalized by __typename:id: one entry per lot, per product, per Virtual Account, per account.
      const entries = client.cache.extract() as Record<string, any>;
      const keysOf = (typename: string) => Object.keys(entries).filter((key) => key.startsWith(`${typename}:`));
      expect(keysOf("License").sort()).toEqual(serverOrder.map((id) => `License:${id}`).sort());
      expect(keysOf("Product")).toHaveLength(3);
      expect(keysOf("VirtualAccount").sort()).toEqual(
        [...new Set(connection.edges.map((edge: any) => `VirtualAccount:${edge.node.virtualAccount.id}`))].sort(),
      );
      expect(keysOf("VirtualAccount")).toHaveLength(2);
      expect(keysOf("SmartAccount")).toEqual([`SmartAccount:${data.smartAccount.id}`]);
      // The lots refer to their product: no copy of a product sits inside a lot's entry.
      const someLot = entries[`License:${ids[0]}`];
      expect(someLot.product).toEqual({ __ref: `Product:${connection.edges[0].node.product.id}` });

      // Another query reaches the same entry: node(id:) from the cache, with no request.
      const before = requests.length;
      const target = connection.edges[41].node;
      const cached = await client.query<any>({ query: LICENSE_NODE, variables: { id: target.id }, fetchPolicy: "cache-only" });
      expect(requests.length).toBe(before);
      expect(cached.data.node).toEqual({
        __typename: "License",
        id: target.id,
        quantity: target.quantity,
        tags: [],
        product: { __typename: "Product", id: target.product.id, sku: target.product.sku },
      });

      // A mutation's answer writes into that one entry: the paged list shows it without being fetched again.
      const tagged = await client.mutate<any>({
        mutation: gql`
          mutation ApolloTag($id: ID!) {
            setLicenseTags(input: { licenseId: $id, tags: ["apollo"] }) {
              id
              tags
            }
          }
        `,
        variables: { id: target.id },
      });
      expect(tagged.error).toBeUndefined();
      expect(tagged.data.setLicenseTags).toEqual({ __typename: "License", id: target.id, tags: ["apollo"] });
      const listAgain = client.readQuery<any>({ query: LICENSES, variables: { domain: DOMAIN, first: PAGE } });
      expect(listAgain!.smartAccount.licenses.edges).toHaveLength(LICENSE_COUNT);
      expect(listAgain!.smartAccount.licenses.edges[41].node.tags).toEqual(["apollo"]);
      const nodeAgain = await client.query<any>({ query: LICENSE_NODE, variables: { id: target.id }, fetchPolicy: "cache-only" });
      expect(nodeAgain.data.node.tags).toEqual(["apollo"]);
      expect(Object.keys(client.cache.extract() as Record<string, unknown>).filter((key) => key.startsWith("License:"))).toHaveLength(LICENSE_COUNT);
    } finally {
      client.stop();
    }
  });

  it("pages VirtualAccount.children (under node(id:)) to its end, every child once and in the server's order", async () => {
    const direct = await server.gql(
      `query ($domain: String!) { smartAccount(domain: $domain) { virtualAccounts(first: 500) { nodes { id name children(first: 500) { nodes { id name } } } } } }`,
      { domain: DOMAIN },
      ADMIN,
    );
    expect(direct.errors).toBeUndefined();
    const eastNode = direct.data.smartAccount.virtualAccounts.nodes.find((va: { name: string }) => va.name === "East");
    const serverOrder: string[] = eastNode.children.nodes.map((n: { id: string }) => n.id);
    expect(serverOrder).toHaveLength(CHILD_COUNT);

    const client = await clientFor(ADMIN);
    try {
      const { data, pages } = await pageToEnd(client, CHILDREN, { id: eastNode.id }, (d) => d.node.children);
      const children = data.node.children;
      expect(pages).toBe(Math.ceil(CHILD_COUNT / PAGE));
      expect(children.edges.map((edge: any) => edge.node.id)).toEqual(serverOrder);
      expect(children.totalCount).toBe(CHILD_COUNT);
      expect(children.edges.every((edge: any) => edge.node.depth === 2)).toBe(true);
      const entries = client.cache.extract() as Record<string, any>;
      // The 60 children and East itself, each once.
      expect(Object.keys(entries).filter((key) => key.startsWith("VirtualAccount:"))).toHaveLength(CHILD_COUNT + 1);
    } finally {
      client.stop();
    }
  });

  it('errorPolicy "all": an approver gets the account\'s fields and a FORBIDDEN error for its licenses', async () => {
    const client = await clientFor(APPROVER);
    const query = gql`
      query ApolloApproverView($domain: String!) {
        smartAccount(domain: $domain) {
          id
          name
          domain
          licenses(first: 5) {
            totalCount
          }
        }
      }
    `;
    try {
      const result = await client.query<any>({ query, variables: { domain: DOMAIN }, errorPolicy: "all", fetchPolicy: "network-only" });
      expect(result.data.smartAccount).toEqual({
        __typename: "SmartAccount",
        id: expect.any(String),
        name: DOMAIN,
        domain: DOMAIN,
        licenses: null,
      });
      expect(CombinedGraphQLErrors.is(result.error)).toBe(true);
      const errors = (result.error as CombinedGraphQLErrors).errors;
      expect(errors).toHaveLength(1);
      expect(errors[0].path).toEqual(["smartAccount", "licenses"]);
      expect(errors[0].extensions?.code).toBe("FORBIDDEN");

      // With the default errorPolicy ("none") the same answer is an error and no data.
      const refused = await client.query<any>({ query, variables: { domain: DOMAIN }, fetchPolicy: "network-only" }).then(
        (value) => ({ value, error: undefined }),
        (error: unknown) => ({ value: undefined, error }),
      );
      expect(refused.value).toBeUndefined();
      expect(CombinedGraphQLErrors.is(refused.error)).toBe(true);
      expect((refused.error as CombinedGraphQLErrors).errors[0].extensions?.code).toBe("FORBIDDEN");
    } finally {
      client.stop();
    }
  });
});
