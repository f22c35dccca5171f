import { graphql } from "./graphql";

/** A Virtual Account's children, paged on their own (refetched through node(id:)). */
export const VirtualAccountChildren = graphql`
  fragment VirtualAccountChildren_virtualAccount on VirtualAccount
  @refetchable(queryName: "VirtualAccountChildrenPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 25 }, cursor: { type: "String" }) {
    id
    children(first: $count, after: $cursor) @connection(key: "VirtualAccountChildren_children") {
      totalCount
      edges {
        node {
          id
          name
          depth
        }
      }
    }
  }
`;
