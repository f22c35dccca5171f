import { graphql } from "./graphql";

/** A Virtual Account's license lots, paged on their own; the filter is part of the connection's identity. */
export const VirtualAccountLicenses = graphql`
  fragment VirtualAccountLicenses_virtualAccount on VirtualAccount
  @refetchable(queryName: "VirtualAccountLicensesPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 25 }, cursor: { type: "String" }, filter: { type: "LicenseFilter" }) {
    id
    licenses(first: $count, after: $cursor, filter: $filter) @connection(key: "VirtualAccountLicenses_licenses", filters: ["filter"]) {
      totalCount
      edges {
        node {
          id
          kind
          quantity
          status
          product {
            id
            sku
          }
        }
      }
    }
  }
`;
