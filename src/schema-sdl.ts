import { printSchema } from "graphql";
import { buildGraphQLSchema } from "../resolvers";

/** The SDL the server serves, as committed in schema/schema.graphql. */
export const emittedSdl = (): string => `${printSchema(buildGraphQLSchema())}\n`;
