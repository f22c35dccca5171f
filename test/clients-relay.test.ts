/**
 * relay-compiler against the emitted schema: the fragments in test/relay/ (connections with @connection,
 * @refetchable fragments with @argumentDefinitions) compile with test/relay/relay.config.json, into a
 * temporary artifact directory. The refetch queries Relay writes go through node(id:), since every type
 * that the fragments are on implements Node; the operations it writes validate against the schema and
 * the server answers them as written.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { buildSchema, GraphQLSchema, OperationDefinitionNode, parse, validate } from "graphql";
import ts from "typescript";
import { Role } from "../entities";
import { startTestServer, TestServer } from "./support/harness";

const RELAY_DIR = join(__dirname, "relay");
const DOMAIN = "clients-relay.com";
const ADMIN = "admin@clients-relay.com";
const TOPS = 30;

/** relay-compiler's own bin (a small Node script that starts the platform's binary shipped in the package). */
function relayBin(): string {
  const manifestPath = require.resolve("relay-compiler/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin["relay-compiler"];
  return join(dirname(manifestPath), bin);
}

const EXPECTED_ARTIFACTS = [
  "AccountPageQuery.graphql.ts",
  "SmartAccountTreePaginationQuery.graphql.ts",
  "SmartAccountTree_smartAccount.graphql.ts",
  "VirtualAccountChildrenPaginationQuery.graphql.ts",
  "VirtualAccountChildren_virtualAccount.graphql.ts",
  "VirtualAccountLicensesPaginationQuery.graphql.ts",
  "VirtualAccountLicenses_virtualAccount.graphql.ts",
];

const REFETCHABLE = [
  { fragment: "SmartAccountTree_smartAccount", query: "SmartAccountTreePaginationQuery", on: "SmartAccount", path: ["virtualAccounts"] },
  { fragment: "VirtualAccountChildren_virtualAccount", query: "VirtualAccountChildrenPaginationQuery", on: "VirtualAccount", path: ["children"] },
  { fragment: "VirtualAccountLicenses_virtualAccount", query: "VirtualAccountLicensesPaginationQuery", on: "VirtualAccount", path: ["licenses"] },
];

describe("relay-compiler against schema/schema.graphql", () => {
  let workDir: string;
  let artifactDir: string;
  let compile: { code: number; stdout: string; stderr: string };
  let schema: GraphQLSchema;
  let schemaPath: string;

  /** A generated artifact as Relay's runtime would load it: its TypeScript transpiled, then required. */
  const artifact = (name: string): any => createRequire(__filename)(join(workDir, "js", `${name}.graphql.js`)).default;
  const operationText = (query: string): string => artifact(query).params.text;

  beforeAll(async () => {
    // The committed config, with its paths made absolute and its artifacts sent to a temp dir.
    const config = JSON.parse(readFileSync(join(RELAY_DIR, "relay.config.json"), "utf8"));
    schemaPath = resolve(RELAY_DIR, config.schema);
    schema = buildSchema(readFileSync(schemaPath, "utf8"));
    workDir = mkdtempSync(join(tmpdir(), "relay-compile-"));
    artifactDir = join(workDir, "__generated__");
    mkdirSync(artifactDir);
    const configPath = join(workDir, "relay.config.json");
    writeFileSync(configPath, JSON.stringify({ ...config, src: resolve(RELAY_DIR, config.src), schema: schemaPath, artifactDirectory: artifactDir }));
    compile = await promisify(execFile)(process.execPath, [relayBin(), configPath, "--output", "verbose"], { cwd: workDir, timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? -1,
        stdout: error.stdout ?? "",
        stderr: error.stderr ?? "",
      }),
    );
    if (compile.code !== 0) return;
    mkdirSync(join(workDir, "js"));
    for (const file of readdirSync(artifactDir)) {
      const source = readFileSync(join(artifactDir, file), "utf8");
      const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
      writeFileSync(join(workDir, "js", file.replace(/\.ts$/, ".js")), outputText);
    }
  }, 150_000);
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("exits 0 with no error or warning, and writes one artifact per fragment and per operation", () => {
    const output = `${compile.stdout}\n${compile.stderr}`;
    expect({ code: compile.code, output }).toEqual({ code: 0, output: expect.stringContaining("Compilation completed") });
    expect(output).not.toMatch(/\[(ERROR|WARN)\]/);
    expect(readdirSync(artifactDir).sort()).toEqual(EXPECTED_ARTIFACTS);
    // Nothing was written next to the sources.
    expect(readdirSync(RELAY_DIR).filter((name) => name.includes(".graphql."))).toEqual([]);
  });

  it.each(REFETCHABLE)("$fragment: @refetchable refetches through node(id:), and pages $path with @connection", ({ fragment, query, on, path }) => {
    const reader = artifact(fragment);
    expect(reader.kind).toBe("Fragment");
    expect(reader.type).toBe(on);
    expect(reader.metadata.connection).toEqual([expect.objectContaining({ path, direction: "forward" })]);
    expect(reader.metadata.refetch).toEqual({
      connection: { forward: { count: "count", cursor: "cursor" }, backward: null, path },
      fragmentPathInResult: ["node"],
      operation: artifact(query),
      identifierInfo: { identifierField: "id", identifierQueryVariableName: "id" },
    });
    // The refetch query asks node(id: $id) for the fragment, nothing else.
    const document = parse(operationText(query));
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === "OperationDefinition")!;
    expect(operation.name?.value).toBe(query);
    expect(
      operation.selectionSet.selections.map((s) => (s.kind === "Field" ? `${s.name.value}(${s.arguments?.map((a) => a.name.value)})` : s.kind)),
    ).toEqual(["node(id)"]);
    expect(operation.variableDefinitions?.map((v) => v.variable.name.value)).toEqual(expect.arrayContaining(["count", "cursor", "id"]));
  });

  it("every operation Relay wrote validates against the emitted schema", () => {
    const operations = ["AccountPageQuery", ...REFETCHABLE.map((r) => r.query)];
    for (const name of operations) {
      const errors = validate(schema, parse(operationText(name))).map((e) => e.message);
      expect({ name, errors }).toEqual({ name, errors: [] });
    }
  });

  describe("the server answers Relay's operations as written", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
      const account = await server.build.account(DOMAIN);
      await account.grant(ADMIN, Role.SMART_ACCOUNT_ADMIN);
      const first = await account.virtualAccount("Top-000");
      for (let i = 1; i < TOPS; i++) await account.virtualAccount(`Top-${String(i).padStart(3, "0")}`);
      for (let i = 0; i < 3; i++) await account.virtualAccount(`Child-${i}`, first);
      for (let i = 0; i < 12; i++) await account.license(first, "RELAY-A", i + 1);
      await account.license(first, "RELAY-A", 99, { startsAt: new Date("2025-01-01T00:00:00Z"), endsAt: new Date("2026-01-01T00:00:00Z") });
    });
    afterAll(() => server.close());

    it("AccountPageQuery, then each pagination query with its own variables", async () => {
      const page = await server.gql(operationText("AccountPageQuery"), { domain: DOMAIN }, ADMIN);
      expect(page.errors).toBeUndefined();
      expect(page.data.viewer.user.email).toBe(ADMIN);
      const account = page.data.smartAccount;
      // The Default Virtual Account is a top as well.
      expect(account.virtualAccounts.totalCount).toBe(TOPS + 1);
      expect(account.virtualAccounts.edges).toHaveLength(25);
      expect(account.virtualAccounts.pageInfo.hasNextPage).toBe(true);
      const top = account.virtualAccounts.edges.map((e: any) => e.node).find((n: any) => n.name === "Top-000");
      expect(top.children.edges.map((e: any) => e.node.name)).toEqual(["Child-0", "Child-1", "Child-2"]);
      // @arguments(count: 10, filter: { status: ACTIVE }): ten of the twelve active lots, the expired one left out.
      expect(top.licenses.totalCount).toBe(12);
      expect(top.licenses.edges).toHaveLength(10);
      expect(top.licenses.edges.every((e: any) => e.node.status === "ACTIVE")).toBe(true);

      // usePaginationFragment's loadNext: the refetch query with the connection's end cursor.
      const next = await server.gql(
        operationText("SmartAccountTreePaginationQuery"),
        { id: account.id, count: 25, cursor: account.virtualAccounts.pageInfo.endCursor },
        ADMIN,
      );
      expect(next.errors).toBeUndefined();
      expect(next.data.node.__typename).toBe("SmartAccount");
      expect(next.data.node.id).toBe(account.id);
      const names = [...account.virtualAccounts.edges, ...next.data.node.virtualAccounts.edges].map((e: any) => e.node.name);
      expect(names).toHaveLength(TOPS + 1);
      expect(new Set(names).size).toBe(TOPS + 1);
      expect(next.data.node.virtualAccounts.pageInfo.hasNextPage).toBe(false);

      const children = await server.gql(operationText("VirtualAccountChildrenPaginationQuery"), { id: top.id, count: 2 }, ADMIN);
      expect(children.errors).toBeUndefined();
      expect(children.data.node.__typename).toBe("VirtualAccount");
      expect(children.data.node.children.edges.map((e: any) => e.node.name)).toEqual(["Child-0", "Child-1"]);
      const rest = await server.gql(
        operationText("VirtualAccountChildrenPaginationQuery"),
        { id: top.id, count: 2, cursor: children.data.node.children.pageInfo.endCursor },
        ADMIN,
      );
      expect(rest.data.node.children.edges.map((e: any) => e.node.name)).toEqual(["Child-2"]);

      const licenses = await server.gql(
        operationText("VirtualAccountLicensesPaginationQuery"),
        { id: top.id, count: 50, filter: { status: "EXPIRED" } },
        ADMIN,
      );
      expect(licenses.errors).toBeUndefined();
      expect(licenses.data.node.licenses.edges.map((e: any) => e.node.quantity)).toEqual([99]);
    });
  });
});
