#!/usr/bin/env node
// `npm run token`: from the TypeScript source in a checkout (where the dev tools are), from the compiled
// CLI in the image (dev dependencies pruned). Either signs with the JWT_SECRET of its environment.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const source = join(__dirname, "..", "src", "cli", "token.ts");
const compiled = join(__dirname, "..", "dist", "src", "cli", "token.js");
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
  console.error("npm run token needs either the dev dependencies (npm install) or a build (npm run build).");
  process.exit(1);
}
