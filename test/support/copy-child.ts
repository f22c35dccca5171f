/**
 * The second API copy of a test server in the round-robin mode of test/support/copies.ts (issue #16: the suite
 * over two copies on one database). Forked with an IPC channel; it loads the service at once (the slow part,
 * while the parent migrates the database), then waits for the parent's messages:
 *
 *   { type: "open", databaseUrl, env }  open the database (already migrated by the parent), build the app with
 *                                       that configuration and a FixedClock, listen on a free port;
 *                                       answers { type: "listening", port }
 *   { type: "clock", at }               the suite's clock moved: set this copy's clock (before each request
 *                                       the proxy sends here); answers { type: "ack" }
 *   { type: "settle" }                  wait for what follows this copy's commits (alert checks, publishing),
 *                                       as the harness does for its own copy; answers { type: "ack" }
 *   { type: "listeners" }               how many listeners this copy's bus has (R36: one per open stream);
 *                                       answers { type: "count", count }
 *   { type: "stop" }                    stop the app, close the database, exit 0
 *
 * Every answer carries the `id` of the message it answers.
 */
import "reflect-metadata";
import { createApp, App } from "../../src/app";
import { FixedClock } from "../../src/clock";
import { loadConfig } from "../../src/config";
import { Database } from "../../src/db/database";
import { openDatabase } from "../../src/db/open";
import { createLogger } from "../../src/logging";
import { countListeners } from "./subscriptions";

type Message =
  | { id: number; type: "open"; databaseUrl: string; env: Record<string, string>; at: number }
  | { id: number; type: "clock"; at: number }
  | { id: number; type: "settle" }
  | { id: number; type: "listeners" }
  | { id: number; type: "stop" };

const clock = new FixedClock(new Date(0));
let app: App | null = null;
let db: Database | null = null;
let listeners: () => number = () => 0;

function answer(id: number, body: Record<string, unknown> = { type: "ack" }): void {
  process.send!({ id, ...body });
}

async function handle(message: Message): Promise<void> {
  switch (message.type) {
    case "open": {
      clock.set(new Date(message.at));
      db = await openDatabase(message.databaseUrl);
      const config = loadConfig(message.env as NodeJS.ProcessEnv);
      app = await createApp({ db, config, clock, logger: createLogger({ level: process.env.LOG_LEVEL ?? "silent" }) });
      listeners = countListeners(app.notifications.bus);
      const port = await app.listen(0);
      await app.notifications.bus.ready();
      answer(message.id, { type: "listening", port });
      return;
    }
    case "clock":
      clock.set(new Date(message.at));
      answer(message.id);
      return;
    case "settle":
      await app?.notifications.settled();
      answer(message.id);
      return;
    case "listeners":
      answer(message.id, { type: "count", count: listeners() });
      return;
    case "stop":
      await app?.stop();
      await db?.dataSource.destroy();
      answer(message.id);
      process.exit(0);
  }
}

process.on("message", (message: Message) => {
  handle(message).catch((error: unknown) => {
    answer(message.id, { type: "error", message: String((error as Error)?.stack ?? error) });
  });
});
// The parent went away (a crashed jest worker): nothing is left running.
process.on("disconnect", () => process.exit(0));
process.send!({ id: 0, type: "loaded" });
