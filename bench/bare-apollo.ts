/**
 * The baseline for `Light`: a bare Apollo Server on Express 5 answering a constant of the same shape,
 * with no database, no auth and no type-graphql. `PORT` picks the port.
 */
import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";

const typeDefs = `#graphql
  type User { email: String! }
  type SmartAccount { id: ID! name: String! status: String! }
  type SmartAccountConnection { nodes: [SmartAccount!]! }
  type Viewer { user: User! smartAccounts(first: Int): SmartAccountConnection! }
  type Query { viewer: Viewer! }
`;

const viewer = {
  user: { email: "admin@bench.example.com" },
  smartAccounts: { nodes: [{ id: "U21hcnRBY2NvdW50OjE", name: "Bench", status: "ACTIVE" }] },
};

async function main(): Promise<void> {
  const server = new ApolloServer({ typeDefs, resolvers: { Query: { viewer: () => viewer } } });
  await server.start();
  const app = express();
  app.use("/graphql", express.json(), expressMiddleware(server));
  const port = Number(process.env.PORT ?? 4402);
  app.listen(port, () => console.log(`bare Apollo on ${port}`));
}

void main();
