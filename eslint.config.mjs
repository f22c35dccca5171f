// ESLint (flat config): typescript-eslint's recommended rules (not type-aware, so a whole-repo run stays
// quick), import cycles as errors (import-x/no-cycle, modules resolved the way tsconfig.json does), and
// eslint-config-prettier last so that no rule here argues with Prettier about layout (`npm run lint`).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";
import importX from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "schema/", "coverage/", "data/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // Unused names are errors (tsconfig's noUnusedLocals agrees); a leading underscore says "on purpose".
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    // A cycle of value imports makes one module see another half-initialised (type-only imports don't count).
    files: ["{src,resolvers,entities,test,bench}/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      // import-x reads the imported modules too: these say which files are TypeScript and how to parse them.
      "import-x/extensions": [".ts", ".js", ".mjs", ".cjs"],
      "import-x/external-module-folders": ["node_modules", "node_modules/@types"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: {
      // No cycle can run through a package, so packages are not read (ignoreExternal keeps the run quick).
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
    },
  },
  {
    // Tests and benchmark scripts reach into loosely typed results (GraphQL responses, raw SQL rows, mocks,
    // saved runs); `any` is fine there. The service's own code (src/, resolvers/, entities/) keeps the rule.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    // jest.config.js and bin/*.js are CommonJS run by Node.
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { module: "writable", require: "readonly", __dirname: "readonly", console: "readonly", process: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
