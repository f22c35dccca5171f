import fs from "node:fs";
import path from "node:path";
import { buildSchema, findBreakingChanges } from "graphql";
import { emittedSdl } from "../src/schema-sdl";

const committed = path.join(__dirname, "..", "schema", "schema.graphql");
const contract = path.join(__dirname, "..", "..", "shared", "spec", "schema.graphql");

describe("the emitted schema", () => {
  it("is committed up to date in schema/schema.graphql (run `npm run schema:emit`)", () => {
    expect(fs.readFileSync(committed, "utf8")).toBe(emittedSdl());
  });

  it("holds the whole contract: findBreakingChanges(contract, emitted) is empty", () => {
    const breaking = findBreakingChanges(buildSchema(fs.readFileSync(contract, "utf8")), buildSchema(emittedSdl())).map(
      (change) => change.description,
    );
    expect(breaking).toEqual([]);
  });
});
