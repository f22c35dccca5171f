/**
 * `npm run bench:protection [-- --rounds 5 --connections 2 --reuse --keep]`: what the operating
 * protections cost — operation limits and cost analysis (R30), rate-limit budgets (R31) and request
 * logging (R32) — measured side by side in one run: the server as it ships (src/main.ts) and the same
 * server with `createApp({ withoutProtection: true })` (bench/no-protection.ts), both with NODE_ENV=production
 * on the same database, the budget (RATE_LIMIT_COST_PER_MINUTE) raised so far that the benchmark's own
 * traffic is never throttled, and their logs written to files. Light's throughput and the reference
 * Dashboard's p50 (as a VIRTUAL_ACCOUNT_USER and as the SMART_ACCOUNT_ADMIN of bench.example.com), after
 * the same warm-up for both, in alternating rounds (the order flips each round); each side's median round
 * is kept. The database (DATABASE_URL, default mysql://root@127.0.0.1:3306/sag_protection) is created and
 * seeded like `npm run bench:seed -- --scale 1` when absent and dropped after (unless --keep); an existing
 * one is refused unless --reuse. Figures go to bench/results/protection-mariadb-scale1.json and the
 * "Protection is cheap" section of bench/results.md.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { signToken } from "../src/auth/identity";
import {
  autocannonRun,
  benchDatabase,
  Client,
  errorCodes,
  machine,
  Measure,
  median,
  ms,
  referenceOperations,
  RESULTS_DIR,
  round1,
  startServer,
  writeSection,
  flag,
  numberOption,
} from "./support";

const ROUNDS = numberOption("rounds", 5);
const CONNECTIONS = numberOption("connections", 2);
const DATABASE_URL = process.env.DATABASE_URL?.trim() || "mysql://root@127.0.0.1:3306/sag_protection";
const SECRET = randomBytes(32).toString("hex");
/** High enough that no benchmark run comes near it. */
const HUGE_BUDGET = "1000000000000000";
const PORTS = { on: 4430, off: 4431 };
const VIEWERS = { VIRTUAL_ACCOUNT_USER: "va-user@bench.example.com", SMART_ACCOUNT_ADMIN: "admin@bench.example.com" };

/** What each round sends to each server: requests per measurement, warm-up before the first round. */
const PLAN = {
  light: { warmup: 2000, requests: 2000 },
  dashboardVaUser: { warmup: 10, requests: 30 },
  dashboardAdmin: { warmup: 2, requests: 6 },
};
type Key = keyof typeof PLAN;
type Side = "on" | "off";

async function main(): Promise<void> {
  const started = Date.now();
  const ops = referenceOperations();
  const database = await benchDatabase(DATABASE_URL, { scale: 1, reuse: flag("reuse"), keep: flag("keep") });
  const env = { DATABASE_URL, JWT_SECRET: SECRET, RATE_LIMIT_COST_PER_MINUTE: HUGE_BUDGET };
  const servers: Awaited<ReturnType<typeof startServer>>[] = [];
  try {
    const [on, off] = await Promise.all([startServer("src/main.ts", PORTS.on, env), startServer("bench/no-protection.ts", PORTS.off, env)]);
    servers.push(on, off);
    const tokens = {
      va: await signToken(SECRET, { email: VIEWERS.VIRTUAL_ACCOUNT_USER }, { expiresIn: "2h" }),
      admin: await signToken(SECRET, { email: VIEWERS.SMART_ACCOUNT_ADMIN }, { expiresIn: "2h" }),
    };
    const requests: Record<Key, { token: string; query: string }> = {
      light: { token: tokens.admin, query: ops.get("Light")! },
      dashboardVaUser: { token: tokens.va, query: ops.get("Dashboard")! },
      dashboardAdmin: { token: tokens.admin, query: ops.get("Dashboard")! },
    };
    const target = (side: Side, key: Key) => ({
      url: `http://127.0.0.1:${PORTS[side]}/graphql`,
      headers: { "content-type": "application/json", authorization: `Bearer ${requests[key].token}` },
      body: JSON.stringify({ query: requests[key].query }),
    });

    // One answer of each from each side: no errors, and whether the protections show (R30's cost report).
    const observed: Record<Side, { costReported: boolean; logBytesPerRequest?: number }> = {
      on: { costReported: false },
      off: { costReported: false },
    };
    for (const side of ["on", "off"] as Side[]) {
      const client = new Client(PORTS[side]);
      for (const key of Object.keys(PLAN) as Key[]) {
        const answer = await client.graphql(requests[key].query, {}, requests[key].token);
        if (answer.status !== 200 || errorCodes(answer).length)
          throw new Error(`${side} ${key}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
        if (answer.body.extensions?.cost) observed[side].costReported = true;
      }
      client.close();
    }
    console.log(`protections on: cost reported ${observed.on.costReported}; off: cost reported ${observed.off.costReported}`);
    if (observed.off.costReported)
      console.warn("  ⚠  the unprotected server still reports a cost: is createApp's withoutProtection option there yet?");

    console.log("warm-up…");
    for (const side of ["on", "off"] as Side[])
      for (const key of Object.keys(PLAN) as Key[]) await autocannonRun(target(side, key), PLAN[key].warmup, CONNECTIONS);

    const logStart = { on: fs.statSync(on.logFile).size, off: fs.statSync(off.logFile).size };
    const sent = { on: 0, off: 0 };
    const rounds: Record<Key, Record<Side, Measure>>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 ? ["off", "on"] : ["on", "off"];
      const measures = {} as Record<Key, Record<Side, Measure>>;
      for (const key of Object.keys(PLAN) as Key[]) {
        measures[key] = {} as Record<Side, Measure>;
        for (const side of order) {
          measures[key][side] = await autocannonRun(target(side, key), PLAN[key].requests, CONNECTIONS);
          sent[side] += PLAN[key].requests;
        }
      }
      rounds.push(measures);
      console.log(
        `round ${round + 1} (${order.join(" first, ")} second): Light ${measures.light.on.rps} vs ${measures.light.off.rps} req/s; ` +
          `Dashboard p50 VA user ${measures.dashboardVaUser.on.p50} vs ${measures.dashboardVaUser.off.p50} ms, admin ${measures.dashboardAdmin.on.p50} vs ${measures.dashboardAdmin.off.p50} ms`,
      );
    }
    for (const side of ["on", "off"] as Side[])
      observed[side].logBytesPerRequest = round1((fs.statSync(servers[side === "on" ? 0 : 1].logFile).size - logStart[side]) / sent[side]);

    const side = (key: Key, s: Side, metric: keyof Measure) => median(rounds.map((r) => r[key][s][metric]));
    const figures = {
      lightRps: { on: side("light", "on", "rps"), off: side("light", "off", "rps") },
      lightP50: { on: side("light", "on", "p50"), off: side("light", "off", "p50") },
      dashboardVaUserP50: { on: side("dashboardVaUser", "on", "p50"), off: side("dashboardVaUser", "off", "p50") },
      dashboardAdminP50: { on: side("dashboardAdmin", "on", "p50"), off: side("dashboardAdmin", "off", "p50") },
    };
    const run = {
      kind: "protection",
      date: new Date().toISOString(),
      machine: machine(),
      node: process.version,
      database: database.version,
      settings: { rounds: ROUNDS, connections: CONNECTIONS, plan: PLAN, rateLimitCostPerMinute: HUGE_BUDGET },
      observed,
      figures,
      lightThroughputShare: round1((100 * figures.lightRps.on) / figures.lightRps.off),
      dashboardVaUserOverhead: round1((100 * (figures.dashboardVaUserP50.on - figures.dashboardVaUserP50.off)) / figures.dashboardVaUserP50.off),
      dashboardAdminOverhead: round1((100 * (figures.dashboardAdminP50.on - figures.dashboardAdminP50.off)) / figures.dashboardAdminP50.off),
      /** Paired: each round's on/off ratio (the two sides back to back), the median over rounds — steadier than two medians on a shared machine. */
      pairedMedians: {
        lightThroughputShare: round1(100 * median(rounds.map((r) => r.light.on.rps / r.light.off.rps))),
        dashboardVaUserOverhead: round1(100 * (median(rounds.map((r) => r.dashboardVaUser.on.p50 / r.dashboardVaUser.off.p50)) - 1)),
        dashboardAdminOverhead: round1(100 * (median(rounds.map((r) => r.dashboardAdmin.on.p50 / r.dashboardAdmin.off.p50)) - 1)),
      },
      rounds,
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    fs.mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, "protection-mariadb-scale1.json");
    fs.writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
    const markdown = render(run);
    writeSection("protection", markdown);
    console.log(
      `\n${markdown}\nsaved ${path.relative(process.cwd(), file)}; bench/results.md "Protection is cheap" rewritten; ${run.totalSeconds} s in all`,
    );
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
  }
}

const signed = (value: number) => `${value >= 0 ? "+" : ""}${value}`;

function render(run: any): string {
  const f = run.figures;
  const perRound = (key: Key, metric: keyof Measure) => run.rounds.map((r: any) => `${r[key].on[metric]}/${r[key].off[metric]}`).join(", ");
  return [
    "## Protection is cheap",
    "",
    `Written by \`npm run bench:protection\` (bench/protection.ts). ${run.date.slice(0, 16).replace("T", " ")} UTC · ${run.machine} · Node ${run.node} · ${run.database} · bench data set at scale 1.`,
    "",
    "The server as it ships (operation limits and cost analysis, rate-limit budgets, request logging: on) beside the same server started with " +
      "`createApp({ withoutProtection: true })` (bench/no-protection.ts: all of them off), both NODE_ENV=production on one database, " +
      `RATE_LIMIT_COST_PER_MINUTE=${run.settings.rateLimitCostPerMinute} for both (so the benchmark itself is never throttled), logs to files. ` +
      `Same warm-up for both, then ${run.settings.rounds} alternating rounds (the order flips each round) at ${run.settings.connections} connections: ` +
      `Light ${run.settings.plan.light.requests} requests, Dashboard ${run.settings.plan.dashboardVaUser.requests} as a VIRTUAL_ACCOUNT_USER and ${run.settings.plan.dashboardAdmin.requests} as the SMART_ACCOUNT_ADMIN; medians of the rounds.`,
    "",
    "| | protections on | off | on / off (medians) | on / off (median of the rounds' ratios) |",
    "|---|---:|---:|---:|---:|",
    `| Light, req/s | ${f.lightRps.on} | ${f.lightRps.off} | **${run.lightThroughputShare}%** | ${run.pairedMedians.lightThroughputShare}% |`,
    `| Light, p50 ms | ${ms(f.lightP50.on)} | ${ms(f.lightP50.off)} | | |`,
    `| Dashboard p50 ms, VIRTUAL_ACCOUNT_USER | ${ms(f.dashboardVaUserP50.on)} | ${ms(f.dashboardVaUserP50.off)} | **${signed(run.dashboardVaUserOverhead)}%** | ${signed(run.pairedMedians.dashboardVaUserOverhead)}% |`,
    `| Dashboard p50 ms, SMART_ACCOUNT_ADMIN | ${ms(f.dashboardAdminP50.on)} | ${ms(f.dashboardAdminP50.off)} | **${signed(run.dashboardAdminOverhead)}%** | ${signed(run.pairedMedians.dashboardAdminOverhead)}% |`,
    `| extensions.cost reported | ${run.observed.on.costReported ? "yes" : "no"} | ${run.observed.off.costReported ? "yes" : "no"} | | |`,
    `| log bytes per request | ${run.observed.on.logBytesPerRequest} | ${run.observed.off.logBytesPerRequest} | | |`,
    "",
    `Rounds (on/off): Light req/s ${perRound("light", "rps")}; Dashboard p50 VA user ${perRound("dashboardVaUser", "p50")}; admin ${perRound("dashboardAdmin", "p50")}.`,
    "",
  ].join("\n");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
