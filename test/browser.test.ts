import fs from "node:fs";
import http from "node:http";
import { AddressInfo } from "node:net";
import { signToken } from "../src/auth/identity";
import { DEV_JWT_SECRET } from "../src/config";
import { seedDemoIfEmpty } from "../src/db/seed/demo";
import { startTestServer, TestServer } from "./support/harness";

// §6 in a real browser: Debian's Chromium driven by playwright-core. A page on another origin calls the API
// with a bearer token; the explorer served by the service runs a query with every other host blocked.
// .ci/run installs Chromium; where it is missing (a plain clone on a machine without it) the suite says so
// and skips.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const available = fs.existsSync(CHROMIUM);
const suite = available ? describe : describe.skip;
if (!available) console.warn(`§6 browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH).`);

suite("§6 a browser calls the API", () => {
  let server: TestServer;
  let page: http.Server;
  let pageOrigin: string;
  let browser: import("playwright-core").Browser;

  beforeAll(async () => {
    // The development key, so the explorer offers the demo users' tokens as it does on `npm start`.
    server = await startTestServer({ env: { JWT_SECRET: DEV_JWT_SECRET } });
    await seedDemoIfEmpty(server.db);
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    // Signed with the key this server was started with (the harness's own token() uses the suite's key).
    const token = await signToken(DEV_JWT_SECRET, { email: "admin@acme.com" }, { expiresIn: "1h" });
    // A frontend on another port: one page that queries the API and renders the answer.
    const html = `<!doctype html><html><body><h1>Accounts</h1><ul id="accounts"></ul><script>
      fetch(${JSON.stringify(server.url)}, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer ${token}" },
        body: JSON.stringify({ query: "query Accounts { viewer { smartAccounts(first: 10) { nodes { id domain } } } }" }),
      }).then((r) => r.json()).then((body) => {
        for (const account of body.data.viewer.smartAccounts.nodes) {
          const li = document.createElement("li"); li.textContent = account.domain; document.getElementById("accounts").appendChild(li);
        }
      }).catch((error) => { document.body.dataset.error = String(error); });
    </script></body></html>`;
    page = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end(html));
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => page?.close(resolve));
    await server?.close();
  });

  it("§6 a page served from another port queries the API with a bearer token and renders the answer", async () => {
    const tab = await browser.newPage();
    try {
      await tab.goto(pageOrigin);
      await tab.waitForSelector("#accounts li", { timeout: 20_000 });
      expect(await tab.locator("#accounts li").allTextContents()).toContain("acme.com");
      expect(await tab.evaluate(() => (globalThis as any).document.body.dataset.error ?? null)).toBeNull();
    } finally {
      await tab.close();
    }
  });

  it("§6 the explorer loads with no other host reachable, runs a query as admin@acme.com and shows the result", async () => {
    const context = await browser.newContext();
    const origin = new URL(server.url).origin;
    const elsewhere: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:")) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const tab = await context.newPage();
    try {
      await tab.goto(server.url);
      await tab.waitForSelector(".graphiql-container", { timeout: 20_000 });
      await tab.click(".graphiql-execute-button");
      await tab.waitForFunction(() => (globalThis as any).document.querySelector(".result-window")?.textContent?.includes("acme.com"), null, {
        timeout: 20_000,
      });
      expect(await tab.locator(".result-window").textContent()).toContain("admin@acme.com");
      expect(elsewhere).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
