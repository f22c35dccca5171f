/** `npm run schema:emit`: writes the served schema to schema/schema.graphql (a test fails when it is stale). */
import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { emittedSdl } from "../schema-sdl";

const target = path.join(__dirname, "..", "..", "schema", "schema.graphql");
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(target, emittedSdl());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
