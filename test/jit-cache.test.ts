import "reflect-metadata";
import { parse } from "graphql";
import { buildGraphQLSchema } from "../resolvers";
import { jitGateway } from "../src/graphql/jit-executor";

// R30: "the compiler is not an attack surface" — compiled operations are kept within a memory budget in
// bytes, however many distinct documents arrive, the least recently used going first.

describe("graphql-jit's compiled-operation cache", () => {
  it("R30 stays within its byte budget under a stream of distinct documents", async () => {
    const budget = 256 * 1024;
    const gateway = jitGateway(buildGraphQLSchema(), budget);
    const { executor } = await gateway.load({ apollo: {} as never });
    let largest = 0;
    for (let i = 0; i < 60; i += 1) {
      // Each document distinct, and larger than the last.
      const fields = Array.from({ length: 5 + i }, (_, j) => `a${j}: __typename`).join(" ");
      const source = `query Q${i} { ${fields} }`;
      const result = await executor!({
        document: parse(source),
        source,
        queryHash: `hash-${i}`,
        operationName: `Q${i}`,
        request: { variables: {} },
        context: {},
      } as never);
      expect((result as { errors?: unknown }).errors).toBeUndefined();
      largest = Math.max(largest, gateway.cachedBytes());
      expect(gateway.cachedBytes()).toBeLessThanOrEqual(budget);
    }
    // It did fill up (so the bound was what held it), and it never passed the budget.
    expect(largest).toBeGreaterThan(budget / 2);
  });
});
