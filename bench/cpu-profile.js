// Preloaded into a measured server (NODE_OPTIONS=--require, by bench/notifications.ts --server-cpu-prof DIR):
// a V8 CPU profile from start, written to $CPU_PROF_DIR on SIGUSR2.
const fs = require("node:fs");
const path = require("node:path");
const inspector = require("node:inspector");
const session = new inspector.Session();
session.connect();
session.post("Profiler.enable", () => session.post("Profiler.start"));
process.on("SIGUSR2", () => {
  session.post("Profiler.stop", (error, result) => {
    if (!error) fs.writeFileSync(path.join(process.env.CPU_PROF_DIR, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
