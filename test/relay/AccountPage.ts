import { graphql } from "./graphql";

/** The page's query: who is looking, and the account's tree through the fragments. */
export const AccountPage = graphql`
  query AccountPageQuery($domain: String!) {
    viewer {
      user {
        id
        email
      }
    }
    smartAccount(domain: $domain) {
      ...SmartAccountTree_smartAccount
    }
  }
`;
