import { graphql } from "./graphql";

/** The tops of a Smart Account's tree, paged with usePaginationFragment; each top brings its own children and licenses. */
export const SmartAccountTree = graphql`
  fragment SmartAccountTree_smartAccount on SmartAccount
  @refetchable(queryName: "SmartAccountTreePaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 25 }, cursor: { type: "String" }) {
    id
    name
    domain
    virtualAccounts(first: $count, after: $cursor) @connection(key: "SmartAccountTree_virtualAccounts") {
      totalCount
      edges {
        node {
          id
          name
          depth
          ...VirtualAccountChildren_virtualAccount
          ...VirtualAccountLicenses_virtualAccount @arguments(count: 10, filter: { status: ACTIVE })
        }
      }
    }
  }
`;
