import type { Logger } from "pino";
import { Clock } from "../clock";
import { Database } from "../db/database";
import { loggableError } from "../logging";
import { countDuePools } from "./kept-pools";

/**
 * Kept pools whose soonest lot has ended are exact on read anyway (the read sums that row's lots,
 * src/licenses/kept-pools.ts); this writes them again every `intervalMs` so reads seldom need to.
 * Copies of the service sweeping at once write the same figures. Returns a stop function.
 */
export function startPoolSweeper(db: Database, clock: Clock, intervalMs: number, logger: Logger): () => void {
  if (intervalMs <= 0) return () => {};
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      // A batch per transaction, until no row is due: short row locks, never the whole table.
      for (let counted = -1; counted !== 0;) counted = await db.transaction((manager) => countDuePools(manager, clock.now()));
    } catch (error) {
      logger.warn({ err: loggableError(error) }, "kept pools: the sweep of ended lots failed; reads stay exact, it runs again");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), intervalMs).unref();
  return () => clearInterval(timer);
}
