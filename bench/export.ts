/**
 * `npm run bench:export [-- --runs 3 --format csv --save /tmp/export.csv]` against the data set of
 * `npm run bench:seed` in DATABASE_URL: only bench/run.ts's export measurement (Issue #6). Each run starts a
 * fresh production server (so its peak RSS is the export's), streams every lot of the bench account, and
 * reports rows/s, first byte, the server's peak RSS (VmHWM) and CPU time, and a SHA-256 of the body, so
 * that a change to the export can be checked for byte-identical output. Prints each run and the median.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { signToken } from "../src/auth/identity";
import { streamExport } from "./support";

const ROOT = path.join(__dirname, "..");
const SECRET = randomBytes(32).toString("hex");
const DOMAIN = "bench.example.com";
const PORT = 4410;

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const runs = Number(option("runs", "3"));
const format = option("format", "csv");
const viewer = option("viewer", "admin@bench.example.com");
/** --save FILE: the body of the first run, to diff against another build's. */
const save = option("save", "");
const databaseUrl = process.env.DATABASE_URL ?? "sqlite:data/smart-account-graph.sqlite";

interface Measure {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  firstByteMs: number;
  peakRssMb: number;
  cpuSeconds: number;
  sha256: string;
}

function start(): ChildProcess {
  return spawn(process.execPath, ["dist/src/main.js"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(PORT), DATABASE_URL: databaseUrl, JWT_SECRET: SECRET, SEED_DEMO: "false", NODE_ENV: "production" },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

async function waitFor(url: string, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up`);
}

/** The server's user + system CPU time so far, from /proc (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function measure(token: string, server: ChildProcess, saveTo: string): Promise<Measure> {
  const cpuBefore = cpuSeconds(server.pid as number);
  const hash = createHash("sha256");
  const out = saveTo ? fs.createWriteStream(saveTo) : null;
  const url = `http://127.0.0.1:${PORT}/exports/licenses?domain=${DOMAIN}&format=${format}`;
  const measured = await streamExport(url, token, server, {
    csv: format === "csv",
    onChunk: (chunk) => {
      hash.update(chunk);
      out?.write(chunk);
    },
  });
  await new Promise((resolve) => (out ? out.end(resolve) : resolve(null)));
  return { ...measured, cpuSeconds: cpuSeconds(server.pid as number) - cpuBefore, sha256: hash.digest("hex").slice(0, 16) };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const token = await signToken(SECRET, { email: viewer }, { expiresIn: "2h" });
  const results: Measure[] = [];
  for (let run = 0; run < runs; run++) {
    const server = start();
    try {
      await waitFor(`http://127.0.0.1:${PORT}/readyz`);
      const result = await measure(token, server, run === 0 ? save : "");
      results.push(result);
      console.log(
        `run ${run + 1}: ${result.rows} rows in ${result.seconds.toFixed(2)} s = ${result.rowsPerSecond} rows/s, first byte ${result.firstByteMs} ms, ` +
          `peak RSS ${result.peakRssMb} MB, server CPU ${result.cpuSeconds.toFixed(2)} s, sha256 ${result.sha256}`,
      );
    } finally {
      server.kill("SIGKILL");
      await new Promise((resolve) => server.once("exit", resolve));
    }
  }
  if (new Set(results.map((result) => result.sha256)).size > 1) console.log("warning: the runs' bodies differ");
  console.log(
    `median of ${runs}: ${median(results.map((r) => r.rowsPerSecond))} rows/s, first byte ${median(results.map((r) => r.firstByteMs))} ms, ` +
      `peak RSS ${median(results.map((r) => r.peakRssMb))} MB, server CPU ${median(results.map((r) => r.cpuSeconds)).toFixed(2)} s`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
