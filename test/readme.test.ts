import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildSchema,
  DocumentNode,
  FragmentDefinitionNode,
  getNamedType,
  GraphQLSchema,
  isCompositeType,
  Kind,
  parse,
  SelectionSetNode,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { seedDemoIfEmpty } from "../src/db/seed/demo";
import { GqlResult, startTestServer, TestServer } from "./support/harness";

/**
 * SPEC §6, R3 (issue "First contact"): the README's examples run, top to bottom, on a fresh server with
 * the demo seeded, and the facts it states about the demo hold.
 *
 * How the test reads README.md:
 * - Every ```graphql block is one example: exactly one named operation, valid against
 *   schema/schema.graphql, selecting `id` on every object that has one, and using
 *   `edges { cursor node }` + `pageInfo { hasNextPage endCursor }` (never `nodes`) on connections.
 * - A ```json block right after it (blank lines between at most) holds its variables.
 * - Who sends it: `<!-- as: EMAIL -->` right before the block (blank lines and other such comments
 *   between at most), else the first `EMAIL` of "(as `EMAIL`…)" in the nearest heading above.
 *   `<!-- scope: SCOPES -->` puts those scopes in the token; `<!-- device -->` sends no Authorization
 *   header (device calls). `<!-- expect: CODE -->` marks an example that shows a refusal: it must answer
 *   with errors, every one of them with that `extensions.code` (messages are not compared). Without it an
 *   example must answer without errors.
 * - Placeholders: a JSON string `"$ref:Op.path"` (or, in a curl command, the word `$ref:Op.path`) stands
 *   for a value in the `data` of the latest answer to the operation named `Op`. `path` is a chain of
 *   `.field`, `[2]` (a list index) and `[a.b=value]` (the first list element whose `a.b` is `value`), e.g.
 *   `$ref:FindIds.smartAccount.allVirtualAccounts.edges[node.name=Finance].node.id`.
 * - ```sh blocks are read as a shell session: `TOKEN=$(npm run -s token -- EMAIL [--scope "…"])` mints a
 *   token, and each `curl` to http://localhost:4000 is sent with fetch (`-H` headers with `$TOKEN`
 *   expanded inside double quotes, `-d` a JSON body: a POST to /graphql, checked like a graphql block;
 *   otherwise a GET, which must answer 200). Other commands are not run.
 * Then FACTS: sentences of the README, each checked against the answer of the example it describes.
 */

interface Directives {
  as?: string;
  scope?: string;
  device?: boolean;
  expect?: string;
}

interface Example {
  kind: "graphql" | "sh";
  /** 1-based line of the opening fence. */
  line: number;
  heading: string;
  source: string;
  variables?: string;
  directives: Directives;
}

const README = readFileSync(join(__dirname, "..", "README.md"), "utf8");
const SCHEMA = buildSchema(readFileSync(join(__dirname, "..", "schema", "schema.graphql"), "utf8"));
const README_ORIGIN = "http://localhost:4000";
const REF = /\$ref:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\]\s]+\])*/g;

function readExamples(markdown: string): Example[] {
  const lines = markdown.split("\n");
  const examples: Example[] = [];
  let heading = "";
  let pending: Directives = {};
  let lastGraphql: Example | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^```(\S*)\s*$/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      if (i === lines.length) throw new Error(`README.md:${start + 1}: the code block never closes`);
      const lang = fence[1];
      const source = body.join("\n");
      if (lang === "json" && lastGraphql && !lastGraphql.variables && Object.keys(pending).length === 0) {
        lastGraphql.variables = source;
        lastGraphql = null;
      } else if (lang === "graphql" || lang === "sh") {
        const example: Example = { kind: lang, line: start + 1, heading, source, directives: pending };
        examples.push(example);
        lastGraphql = lang === "graphql" ? example : null;
      } else {
        if (lang === "json") throw new Error(`README.md:${start + 1}: a json block that follows no graphql block`);
        lastGraphql = null;
      }
      pending = {};
      continue;
    }
    if (/^#+\s/.test(line)) {
      heading = line;
      pending = {};
      lastGraphql = null;
      continue;
    }
    const comment = /^<!--\s*([a-z]+)\s*(?::\s*(.*?))?\s*-->\s*$/.exec(line);
    if (comment) {
      const [, key, value] = comment;
      if (key === "device" && value === undefined) pending.device = true;
      else if ((key === "as" || key === "scope" || key === "expect") && value) pending[key] = value;
      else throw new Error(`README.md:${i + 1}: a comment the README test does not know: ${line}`);
      lastGraphql = null;
      continue;
    }
    if (line.trim() !== "") {
      pending = {};
      lastGraphql = null;
    }
  }
  return examples;
}

/** The value at `ref` ("$ref:Op.path") in the data of the latest answer to Op. */
function lookup(ref: string, results: Map<string, unknown>): unknown {
  const [, operation, path] = /^\$ref:([A-Za-z_]\w*)(.*)$/.exec(ref) ?? [];
  if (!operation || !results.has(operation)) throw new Error(`${ref}: no earlier example named ${operation} has run`);
  let value: unknown = results.get(operation);
  let walked = operation;
  for (const [, field, bracket] of path.matchAll(/\.([A-Za-z_]\w*)|\[([^\]]+)\]/g)) {
    if (field !== undefined) {
      value = value && typeof value === "object" ? (value as Record<string, unknown>)[field] : undefined;
      walked += `.${field}`;
    } else if (/^\d+$/.test(bracket)) {
      value = Array.isArray(value) ? value[Number(bracket)] : undefined;
      walked += `[${bracket}]`;
    } else {
      const [key, wanted] = [bracket.slice(0, bracket.indexOf("=")), bracket.slice(bracket.indexOf("=") + 1)];
      if (!key || !Array.isArray(value)) throw new Error(`${ref}: ${walked} is not a list to pick [${bracket}] from`);
      value = value.find((item) => String(key.split(".").reduce<any>((at, part) => at?.[part], item)) === wanted);
      walked += `[${bracket}]`;
    }
    if (value === undefined || value === null) throw new Error(`${ref}: nothing at ${walked}`);
  }
  return value;
}

/** Replaces every JSON string that is a whole `$ref:…` with the value it stands for. */
function resolveRefs(value: unknown, results: Map<string, unknown>): unknown {
  if (typeof value === "string") {
    if (!value.includes("$ref:")) return value;
    const whole = value.match(REF);
    if (whole?.[0] !== value) throw new Error(`"${value}": a $ref is a whole JSON string`);
    return lookup(value, results);
  }
  if (Array.isArray(value)) return value.map((item) => resolveRefs(item, results));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveRefs(item, results)]));
  return value;
}

/** Shell commands of a block: words after quoting (`$NAME` expanded in double quotes) and the raw text. */
function shellCommands(source: string, env: Record<string, string>): { raw: string; words: string[] }[] {
  const commands: { raw: string; words: string[] }[] = [];
  let words: string[] = [];
  let word: string | null = null;
  let raw = "";
  const flushWord = () => {
    if (word !== null) words.push(word);
    word = null;
  };
  const flushCommand = () => {
    flushWord();
    if (words.length) commands.push({ raw: raw.trim(), words });
    words = [];
    raw = "";
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\" && source[i + 1] === "\n") {
      i++;
      raw += " ";
    } else if (c === "'") {
      const end = source.indexOf("'", i + 1);
      if (end < 0) throw new Error(`an unterminated ' in: ${source}`);
      word = (word ?? "") + source.slice(i + 1, end);
      raw += source.slice(i, end + 1);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      for (; j < source.length && source[j] !== '"'; j++) {
        if (source[j] === "\\" && /["\\$`]/.test(source[j + 1])) text += source[++j];
        else text += source[j];
      }
      word = (word ?? "") + text.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (all, name: string) => env[name] ?? all);
      raw += source.slice(i, j + 1);
      i = j;
    } else if (c === "#" && word === null) {
      while (i + 1 < source.length && source[i + 1] !== "\n") i++;
    } else if (c === " " || c === "\t") {
      flushWord();
      raw += c;
    } else if (c === "\n") {
      flushCommand();
    } else {
      word = (word ?? "") + c;
      raw += c;
    }
  }
  flushCommand();
  return commands;
}

/** The rules every example follows beyond validity: ids on objects that have one, edges and pageInfo on connections. */
function shapeProblems(schema: GraphQLSchema, document: DocumentNode): string[] {
  const problems: string[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const selected = (set: SelectionSetNode, into = new Map<string, SelectionSetNode | undefined>()) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) into.set(selection.name.value, selection.selectionSet);
      else if (selection.kind === Kind.INLINE_FRAGMENT) selected(selection.selectionSet, into);
      else {
        const fragment = fragments.get(selection.name.value);
        if (fragment) selected(fragment.selectionSet, into);
      }
    }
    return into;
  };
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const type = getNamedType(typeInfo.getType());
        if (!node.selectionSet || !type || !isCompositeType(type)) return;
        const fields = selected(node.selectionSet);
        const at = `${node.alias?.value ?? node.name.value} (${type.name})`;
        if ("getFields" in type && "id" in type.getFields() && !fields.has("id")) problems.push(`${at} selects no id`);
        if (type.name.endsWith("Connection")) {
          if (fields.has("nodes")) problems.push(`${at} selects nodes: use edges { cursor node { … } }`);
          if (fields.has("edges") && !fields.has("pageInfo")) problems.push(`${at} selects edges without pageInfo`);
        }
        if (type.name.endsWith("Edge") && !(fields.has("cursor") && fields.has("node"))) problems.push(`${at} needs cursor and node`);
        if (type.name === "PageInfo" && !(fields.has("hasNextPage") && fields.has("endCursor")))
          problems.push(`${at} needs hasNextPage and endCursor`);
      },
    }),
  );
  return problems;
}

/** Parses and checks an example's operation; returns its name. */
function checkedOperation(source: string): string {
  const document = parse(source);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  expect(operations).toHaveLength(1);
  const name = operations[0].kind === Kind.OPERATION_DEFINITION ? operations[0].name?.value : undefined;
  if (!name) throw new Error(`an anonymous operation: every README example is named\n${source}`);
  expect(validate(SCHEMA, document).map((error) => error.message)).toEqual([]);
  expect(shapeProblems(SCHEMA, document)).toEqual([]);
  return name;
}

function expectAnswer(result: Pick<GqlResult, "errors">, expected: string | undefined): void {
  const errors = (result.errors ?? []).map((error) => ({ code: error.extensions?.code, path: error.path?.join("."), message: error.message }));
  if (expected) {
    expect(errors.length).toBeGreaterThan(0);
    expect([...new Set(errors.map((error) => error.code))]).toEqual([expected]);
  } else {
    expect(errors).toEqual([]);
  }
}

const FRESH = "(the fresh demo)";
const FRESH_DEMO = `query FreshDemo {
  smartAccount(domain: "acme.com") {
    allVirtualAccounts(first: 50) {
      edges { node { name
        licenses(first: 50) { edges { node { kind quantity status endsAt product { sku } } } }
        productInstances(first: 50) { edges { node { hostname lastReportedAt usage { product { sku } count } } } }
      } }
    }
  }
}`;

const examples = readExamples(README);
const results = new Map<string, any>();
/** The errors of each refusal (`<!-- expect: CODE -->`), by operation name. */
const refusals = new Map<string, NonNullable<GqlResult["errors"]>>();
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  // The demo is dated from the real clock, as `npm start` seeds it; the server then reads the same clock.
  server.clock.set(new Date());
  await seedDemoIfEmpty(server.db);
  server.clock.set(new Date());
  // The demo as a fresh server holds it, for the facts of the README's table (not a README example).
  const fresh = await server.gql(FRESH_DEMO, {}, "admin@acme.com");
  expect(fresh.errors).toBeUndefined();
  results.set(FRESH, fresh.data);
});

afterAll(async () => {
  await server?.close();
});

describe("README.md: every example, in order, on a fresh demo server", () => {
  it("has examples, and no <…> placeholders", () => {
    expect(examples.filter((example) => example.kind === "graphql").length).toBeGreaterThan(20);
    expect(README.match(/<[A-Za-z][^<>\n]* id>/g) ?? []).toEqual([]);
  });

  let shellToken: string | null = null;
  for (const example of examples) {
    const title = example.kind === "graphql" ? (/(?:query|mutation)\s+(\w+)/.exec(example.source)?.[1] ?? "anonymous") : "shell";
    it(`README.md:${example.line} ${title}`, async () => {
      const { directives } = example;
      if (example.kind === "graphql") {
        const name = checkedOperation(example.source);
        const as = directives.device ? null : (directives.as ?? /\(as `([^`]+)`/.exec(example.heading)?.[1]);
        if (as === undefined) throw new Error(`README.md:${example.line}: nobody to send ${name} as (no "(as \`…\`)" heading, no <!-- as: … -->)`);
        const variables = resolveRefs(JSON.parse(example.variables ?? "{}"), results) as Record<string, unknown>;
        const result = await server.gql(example.source, variables, as, directives.scope);
        results.set(name, result.data);
        if (directives.expect) refusals.set(name, result.errors ?? []);
        expectAnswer(result, directives.expect);
        return;
      }
      for (const command of shellCommands(example.source, {})) {
        const token = /^TOKEN=\$\(npm run -s token -- (\S+)(?: --scope "([^"]*)")?\)$/.exec(command.raw);
        if (token) {
          shellToken = await server.token(token[1], token[2]);
          continue;
        }
        if (command.words[0] !== "curl") continue;
        // Re-read with $TOKEN known, as the shell would expand it.
        const [curl] = shellCommands(command.raw, shellToken ? { TOKEN: shellToken } : {});
        const headers: Record<string, string> = {};
        let body: string | undefined;
        let url: string | undefined;
        for (let k = 1; k < curl.words.length; k++) {
          const word = curl.words[k];
          if (word === ">" || word === "|") break;
          if (/^-[A-Za-z]+$/.test(word)) {
            if (word.endsWith("H")) {
              const header = curl.words[++k];
              headers[header.slice(0, header.indexOf(":")).trim().toLowerCase()] = header.slice(header.indexOf(":") + 1).trim();
            } else if (word.endsWith("d")) body = curl.words[++k];
            else if (word !== "-s") throw new Error(`a curl option the README test does not know: ${word}`);
          } else if (word.startsWith(`${README_ORIGIN}/`)) {
            url = word
              .replace(README_ORIGIN, server.url.replace(/\/graphql$/, ""))
              .replace(REF, (ref) => encodeURIComponent(String(lookup(ref, results))));
          } else throw new Error(`a curl word the README test does not know: ${word}`);
        }
        if (!url) throw new Error(`a curl command without a ${README_ORIGIN} URL: ${command.raw}`);
        if (directives.device) expect(headers.authorization).toBeUndefined();
        if (body === undefined) {
          if (directives.expect) throw new Error(`README.md:${example.line}: <!-- expect: … --> before a GET, which must answer 200`);
          const response = await fetch(url, { headers });
          const text = await response.text();
          expect({ url, status: response.status }).toEqual({ url, status: 200 });
          expect(text.length).toBeGreaterThan(0);
          expect(text).not.toMatch(/#TRUNCATED|"error"/);
          continue;
        }
        const request = JSON.parse(body) as { query: string; variables?: unknown };
        const name = checkedOperation(request.query);
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({ query: request.query, variables: resolveRefs(request.variables ?? {}, results) }),
        });
        const result = (await response.json()) as { data: unknown; errors?: GqlResult["errors"] };
        results.set(name, result.data);
        if (directives.expect) refusals.set(name, result.errors ?? []);
        expectAnswer(result, directives.expect);
      }
    });
  }
});

/** A sentence of the README, and the check of it against the answer of the example it describes. */
interface Fact {
  says: string;
  of: string;
  check(data: any): void;
}

const byName = (items: any[], key: (item: any) => string) => Object.fromEntries(items.map((item) => [key(item), item]));
const edgesOf = (connection: { edges: { node: any }[] }) => connection.edges.map((edge) => edge.node);
const pool = (pools: any[], sku: string) => pools.find((entry) => entry.product.sku === sku);

const DAY = 86_400_000;
/** One row of the README's table of the demo: a Virtual Account's own lots ("KIND quantity SKU") and its devices' usage. */
function demoRow(row: string, lots: string[], devices: string[][], also: (va: any) => void = () => undefined): Fact {
  const name = row.split("|")[1].trim().split(" › ").pop() as string;
  return {
    says: row,
    of: FRESH,
    check: (data) => {
      const va = edgesOf(data.smartAccount.allVirtualAccounts).find((entry) => entry.name === name);
      expect(edgesOf(va.licenses).map((lot) => `${lot.kind} ${lot.quantity} ${lot.product.sku}`)).toEqual(lots);
      expect(edgesOf(va.productInstances).map((device) => device.usage.map((usage: any) => `${usage.count} ${usage.product.sku}`))).toEqual(devices);
      also(va);
    },
  };
}
const endsIn = (lot: any) => Math.round((Date.parse(lot.endsAt) - Date.now()) / DAY);

const FACTS: Fact[] = [
  demoRow("| Default | 5 L-ASA5506-SEC-PL, classic (PAK), a legacy product that is not smart-enabled | – |", ["CLASSIC 5 L-ASA5506-SEC-PL"], []),
  demoRow("| US | 25 C9300-NW-A, perpetual | – |", ["SMART 25 C9300-NW-A"], []),
  demoRow(
    "| US › Finance | 50 C9300-DNA-A-3Y, a three-year term | three switches, each using 8 C9300-DNA-A-3Y and 1 C9300-NW-A |",
    ["SMART 50 C9300-DNA-A-3Y"],
    [0, 1, 2].map(() => ["8 C9300-DNA-A-3Y", "1 C9300-NW-A"]),
    (va) => expect(endsIn(edgesOf(va.licenses)[0])).toBeGreaterThan(3 * 365 - 5),
  ),
  demoRow("| US › Finance › Sacramento | 40 C9300-NW-A, perpetual | one switch using 12 C9300-NW-A |", ["SMART 40 C9300-NW-A"], [["12 C9300-NW-A"]]),
  demoRow(
    "| US › Engineering | 20 ASAv10-THREAT-1Y, a one-year term that ends in about a month | one firewall using 4, silent for 45 days |",
    ["SMART 20 ASAv10-THREAT-1Y"],
    [["4 ASAv10-THREAT-1Y"]],
    (va) => {
      // "a one-year term that ends in about a month", "silent for 45 days"
      expect(endsIn(edgesOf(va.licenses)[0])).toBeGreaterThanOrEqual(27);
      expect(endsIn(edgesOf(va.licenses)[0])).toBeLessThanOrEqual(32);
      expect(Math.round((Date.now() - Date.parse(edgesOf(va.productInstances)[0].lastReportedAt)) / DAY)).toBe(45);
    },
  ),
  demoRow("| EMEA | 15 C9300-DNA-E-3Y, a term that ended a few days ago | – |", ["SMART 15 C9300-DNA-E-3Y"], [], (va) => {
    // "a term that ended a few days ago"
    expect(edgesOf(va.licenses)[0].status).toBe("EXPIRED");
    expect(endsIn(edgesOf(va.licenses)[0])).toBeGreaterThanOrEqual(-7);
  }),
  demoRow(
    "| EMEA › Sales | 10 ISR4K-SEC, perpetual, and 6 more as classic (PAK) licenses | two routers using 8 and 6 ISR4K-SEC |",
    ["SMART 10 ISR4K-SEC", "CLASSIC 6 ISR4K-SEC"],
    [["8 ISR4K-SEC"], ["6 ISR4K-SEC"]],
  ),
  {
    says: "each parent before its children (Default, US, Finance, Sacramento, Engineering, EMEA, Sales)",
    of: "FindIds",
    check: (data) =>
      expect(edgesOf(data.smartAccount.allVirtualAccounts).map((va) => va.name)).toEqual([
        "Default",
        "US",
        "Finance",
        "Sacramento",
        "Engineering",
        "EMEA",
        "Sales",
      ]),
  },
  {
    says: "On a fresh server `events` is empty",
    of: "AccountTree",
    check: (data) => expect(data.smartAccount.events.edges).toEqual([]),
  },
  {
    says: "On a fresh server `ISR4K-SEC` is `OUT_OF_COMPLIANCE` (14 in use, 10 purchased",
    of: "Compliance",
    check: (data) => {
      const pools = data.smartAccount.licensePools;
      expect(pool(pools, "ISR4K-SEC")).toMatchObject({ inUse: 14, purchased: 10, shortage: 4, status: "OUT_OF_COMPLIANCE" });
      const others = pools.filter((entry: any) => entry.product.sku !== "ISR4K-SEC");
      expect(others.length).toBeGreaterThan(0);
      expect(others.filter((entry: any) => entry.status !== "AUTHORIZED")).toEqual([]);
    },
  },
  {
    says: [
      "There are 5:",
      "- `INSUFFICIENT_LICENSES` in Sales, 4 ISR4K-SEC short;",
      "- `INSUFFICIENT_LICENSES` in Finance, 3 C9300-NW-A short: its switches use them, but acme.com's C9300-NW-A lots sit in US and Sacramento;",
      "- `LICENSES_EXPIRING` in Engineering: the 20 ASAv10-THREAT-1Y, in about a month (the only lot in `expiresWithinDays: 90`);",
      "- `LICENSES_EXPIRED` in EMEA: the 15 C9300-DNA-E-3Y;",
      "- `PRODUCT_INSTANCE_NOT_REPORTING` in Engineering: the firewall `eng-fw-1`.",
    ].join(" "),
    of: "Compliance",
    check: (data) => {
      const alerts = data.smartAccount.alerts.map((alert: any) => [
        alert.type,
        alert.virtualAccount.name,
        alert.product?.sku ?? alert.productInstance?.hostname,
        alert.quantity,
      ]);
      expect(alerts).toHaveLength(5);
      expect(alerts).toEqual(
        expect.arrayContaining([
          ["INSUFFICIENT_LICENSES", "Sales", "ISR4K-SEC", 4],
          ["INSUFFICIENT_LICENSES", "Finance", "C9300-NW-A", 3],
          ["LICENSES_EXPIRING", "Engineering", "ASAv10-THREAT-1Y", 20],
          ["LICENSES_EXPIRED", "EMEA", "C9300-DNA-E-3Y", 15],
          ["PRODUCT_INSTANCE_NOT_REPORTING", "Engineering", "eng-fw-1", null],
        ]),
      );
    },
  },
  {
    says: "(the only lot in `expiresWithinDays: 90`)",
    of: "Compliance",
    check: (data) => expect(edgesOf(data.smartAccount.licenses).map((lot) => [lot.product.sku, lot.quantity])).toEqual([["ASAv10-THREAT-1Y", 20]]),
  },
  {
    says: "Finance's C9300-NW-A pool is now 3 held, 3 in use, `AUTHORIZED`, and its alert is gone.",
    of: "CoverFinance",
    check: (data) => {
      const { from, to } = data.transferLicenses;
      expect(pool(to.licensePools, "C9300-NW-A")).toMatchObject({ purchased: 3, inUse: 3, status: "AUTHORIZED" });
      expect(to.alerts).toEqual([]);
      expect(pool(from.licensePools, "C9300-NW-A")).toMatchObject({ purchased: 37, inUse: 12 });
    },
  },
  {
    says: "so 26 are available, not 30",
    of: "CoverFinance",
    check: (data) => expect(pool(data.transferLicenses.to.licensePools, "C9300-DNA-A-3Y")).toMatchObject({ purchased: 50, inUse: 24, available: 26 }),
  },
  {
    says: "Converting 4 of Sales' 6 classic ISR4K-SEC makes a new `SMART` lot of 4",
    of: "ClassicLots",
    check: (data) => {
      const lots = byName(edgesOf(data.smartAccount.licenses), (lot) => lot.product.sku);
      expect(lots["ISR4K-SEC"]).toMatchObject({ quantity: 6, virtualAccount: { name: "Sales" }, product: { smartEnabled: true } });
      expect(lots["L-ASA5506-SEC-PL"]).toMatchObject({ quantity: 5, virtualAccount: { name: "Default" }, product: { smartEnabled: false } });
    },
  },
  {
    says: "Sales' ISR4K-SEC pool is 14 held, 14 in use, `AUTHORIZED`",
    of: "ConvertSalesPak",
    check: (data) => {
      expect(data.convertClassicLicense).toMatchObject({ kind: "SMART", quantity: 4, virtualAccount: { name: "Sales" } });
      expect(pool(data.convertClassicLicense.virtualAccount.licensePools, "ISR4K-SEC")).toMatchObject({
        purchased: 14,
        inUse: 14,
        status: "AUTHORIZED",
      });
    },
  },
  {
    says: "the classic lot keeps its id and the other 2",
    of: "TaggedLots",
    check: (data) =>
      expect(edgesOf(data.smartAccount.licenses).map((lot) => [lot.kind, lot.quantity, lot.tags])).toEqual([["SMART", 4, ["converted-from-pak"]]]),
  },
  {
    says: "Alex's tree starts at **US**",
    of: "PartnerView",
    check: (data) => {
      const tops = edgesOf(data.smartAccount.virtualAccounts);
      expect(tops.map((va) => [va.name, edgesOf(va.children).map((child) => child.name)])).toEqual([["US", ["Finance", "Engineering"]]]);
      expect(data.emea).toBeNull();
      expect(data.smartAccount.events).toBeNull();
    },
  },
  {
    says: "It holds one order, of 30 C9300-DNA-E-3Y.",
    of: "PartnerOrders",
    check: (data) =>
      expect(edgesOf(data.smartAccount.orders).map((order) => order.lines.map((line: any) => [line.product.sku, line.quantity]))).toEqual([
        [["C9300-DNA-E-3Y", 30]],
      ]),
  },
  {
    says: "Alex assigns it to acme.com's US",
    of: "AssignToAcme",
    check: (data) => expect(data.assignOrder).toMatchObject({ smartAccount: { domain: "acme.com" }, lines: [{ virtualAccount: { name: "US" } }] }),
  },
  {
    says: "The order is `FULFILLED` into acme.com's Default Virtual Account",
    of: "PlaceOrder",
    check: (data) => expect(data.placeOrder.status).toBe("FULFILLED"),
  },
  {
    says: "Finance's `C9300-DNA-A-3Y` now shows `inUse: 64`, `shortage: 14`, `OUT_OF_COMPLIANCE`, and an `INSUFFICIENT_LICENSES` alert of 14.",
    of: "FinanceCompliance",
    check: (data) => {
      expect(pool(data.node.licensePools, "C9300-DNA-A-3Y")).toMatchObject({ purchased: 50, inUse: 64, shortage: 14, status: "OUT_OF_COMPLIANCE" });
      expect(data.node.alerts.map((alert: any) => [alert.type, alert.product?.sku, alert.quantity])).toEqual([
        ["INSUFFICIENT_LICENSES", "C9300-DNA-A-3Y", 14],
      ]);
    },
  },
  {
    says: "the account starts `PENDING` with its `Default` Virtual Account",
    of: "RequestGlobex",
    check: (data) =>
      expect(data.requestSmartAccount).toMatchObject({
        status: "PENDING",
        viewerRoles: [{ role: "SMART_ACCOUNT_APPROVER" }],
        defaultVirtualAccount: { name: "Default" },
      }),
  },
  {
    says: "becomes its SMART_ACCOUNT_ADMIN, and the pending order is fulfilled in that same step",
    of: "InitechLicenses",
    check: (data) => {
      expect(
        results
          .get("ActivateInitech")
          .activateSmartAccount.viewerRoles.map((role: any) => role.role)
          .sort(),
      ).toEqual(["SMART_ACCOUNT_ADMIN", "SMART_ACCOUNT_APPROVER"]);
      expect(edgesOf(data.smartAccount.orders).map((order) => order.status)).toEqual(["FULFILLED"]);
      expect(edgesOf(data.smartAccount.licenses).map((lot) => [lot.product.sku, lot.quantity, lot.virtualAccount.name])).toEqual([
        ["C9300-NW-E", 25, "Default"],
      ]);
    },
  },
  {
    says: "`bill@initech.com` finds initech.com still `PENDING`",
    of: "Initech",
    check: (data) => expect(data.smartAccount.status).toBe("PENDING"),
  },
  {
    says: "its line without `termMonths` makes this order a `BAD_USER_INPUT` with `extensions.field` `input.lines[1].termMonths`",
    of: "PlaceIncompleteOrder",
    check: () => expect(refusals.get("PlaceIncompleteOrder")?.map((error) => error.extensions.field)).toEqual(["input.lines[1].termMonths"]),
  },
  {
    says: "`sam@acme.com` now sees acme.com, and in it Austin only",
    of: "SamsView",
    check: (data) => expect(edgesOf(data.smartAccount.virtualAccounts).map((va) => va.name)).toEqual(["Austin"]),
  },
];

const flat = (text: string) => text.replace(/\s+/g, " ");

describe("README.md: the facts it states about the demo", () => {
  for (const fact of FACTS) {
    it(`${fact.of}: ${flat(fact.says)}`, () => {
      // Line breaks set aside: a rewrapped paragraph says the same.
      if (!flat(README).includes(flat(fact.says))) throw new Error(`README.md no longer says: ${fact.says}`);
      if (!results.has(fact.of)) throw new Error(`no example named ${fact.of} ran`);
      fact.check(results.get(fact.of));
    });
  }
});
