import fs from "node:fs";
import path from "node:path";
import express from "express";

/** The explorer's files, served from their npm packages: nothing is loaded from any other host. */
const ASSETS: Record<string, { module: string; file: string; type: string }> = {
  "react.js": { module: "react", file: "umd/react.production.min.js", type: "text/javascript" },
  "react-dom.js": { module: "react-dom", file: "umd/react-dom.production.min.js", type: "text/javascript" },
  "graphiql.js": { module: "graphiql", file: "graphiql.min.js", type: "text/javascript" },
  "graphiql.css": { module: "graphiql", file: "graphiql.min.css", type: "text/css" },
};

const packageFile = (module: string, file: string): string => path.join(path.dirname(require.resolve(`${module}/package.json`)), file);

/** Whether the explorer's packages are installed (they are dependencies; a trimmed image may leave them out). */
export function explorerAvailable(): boolean {
  try {
    return Object.values(ASSETS).every((asset) => fs.existsSync(packageFile(asset.module, asset.file)));
  } catch {
    return false;
  }
}

export interface ExplorerOptions {
  /** Demo users' bearer tokens to offer in the default tab (only when the demo's development key is in use). */
  tokens: { email: string; role: string; token: string }[];
}

const DEFAULT_QUERY = `# The Smart Account graph. Put your token in the Headers tab below:
#   { "Authorization": "Bearer <token>" }
# (npm run token -- admin@acme.com prints one).

query Me {
  viewer {
    user { id email }
    smartAccounts(first: 10) {
      totalCount
      edges { cursor node { id name domain status viewerRoles { role } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`;

/**
 * §6: a GraphQL explorer served by the service itself (GraphiQL, from its npm package), so it works on a
 * closed network. A browser asking `/graphql` for HTML gets the page; its scripts and styles come from
 * `/explorer/*`. With the demo's development key, the default tab carries demo users' tokens.
 */
export function explorerRouter(options: ExplorerOptions): express.Router {
  const router = express.Router();
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [name, asset] of Object.entries(ASSETS)) {
    files.set(name, { body: fs.readFileSync(packageFile(asset.module, asset.file)), type: asset.type });
  }
  const page = explorerPage(options);

  router.get("/explorer/:file", (req, res, next) => {
    const file = files.get(req.params.file);
    if (!file) return next();
    res.setHeader("content-type", `${file.type}; charset=utf-8`);
    res.setHeader("cache-control", "public, max-age=3600");
    res.send(file.body);
  });
  router.get("/graphql", (req, res, next) => {
    // Only a browser's page load: GraphQL GET requests (with ?query=) and API clients go on to Apollo.
    if (req.query.query !== undefined || req.accepts(["application/json", "text/html"]) !== "text/html") return next();
    res.setHeader("content-type", "text/html; charset=utf-8");
    res.setHeader(
      "content-security-policy",
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; script-src 'self' 'unsafe-inline'; connect-src 'self'",
    );
    res.send(page);
  });
  return router;
}

function explorerPage({ tokens }: ExplorerOptions): string {
  const first = tokens[0];
  const query = tokens.length
    ? `# Demo users' tokens (development key only). Paste one into the Headers tab.\n${tokens
        .map((t) => `# ${t.email} (${t.role}):\n#   ${t.token}`)
        .join("\n")}\n\n${DEFAULT_QUERY}`
    : DEFAULT_QUERY;
  const headers = JSON.stringify({ Authorization: `Bearer ${first ? first.token : "<token>"}` }, null, 2);
  const config = JSON.stringify({ query, headers }).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Smart Account graph — explorer</title>
<link rel="stylesheet" href="/explorer/graphiql.css">
<style>html, body, #explorer { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="explorer">Loading the explorer…</div>
<script src="/explorer/react.js"></script>
<script src="/explorer/react-dom.js"></script>
<script src="/explorer/graphiql.js"></script>
<script id="explorer-config" type="application/json">${config}</script>
<script>
  const config = JSON.parse(document.getElementById("explorer-config").textContent);
  const fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", location.href).toString() });
  ReactDOM.createRoot(document.getElementById("explorer")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: config.query,
      defaultHeaders: config.headers,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
    }),
  );
</script>
</body>
</html>`;
}
