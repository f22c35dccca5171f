#!/usr/bin/env node
// `node bin/cli.js <name> [args]` runs src/cli/<name> (`worker`: src/worker-main): from the TypeScript source
// in a checkout (where the dev tools are), from the compiled CLI in the image (dev dependencies pruned).
// npm run token, npm run pools:check and npm run worker go through here.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const name = process.argv[2];
if (!name || !/^[a-z-]+$/.test(name)) {
  console.error("usage: node bin/cli.js <token|pools-check|worker> [args]");
  process.exit(2);
}
process.argv.splice(2, 1);
const target = name === "worker" ? "worker-main" : join("cli", name);
const source = join(__dirname, "..", "src", `${target}.ts`);
const compiled = join(__dirname, "..", "dist", "src", `${target}.js`);
let register = null;
try {
  register = require.resolve("@swc-node/register");
} catch {
  // No dev dependencies: the image.
}
if (register && existsSync(source)) {
  require(register);
  require(source);
} else if (existsSync(compiled)) {
  require(compiled);
} else {
  console.error(`${name} needs either the dev dependencies (npm install) or a build (npm run build).`);
  process.exit(1);
}
