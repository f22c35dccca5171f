import type { Request, Response } from "express";
import { ServiceUnavailableError } from "../errors";
import { Database } from "./database";
import { databaseFault } from "./faults";

/**
 * `GET /readyz` (R33): 503 once shutdown has begun (so a load balancer stops sending), 503 while the
 * database does not answer (within DB_PROBE_TIMEOUT_MS), else 200.
 */
export function readiness(db: Database, stopping: () => boolean) {
  return async (_req: Request, res: Response): Promise<void> => {
    if (stopping()) {
      res.status(503).json({ status: "stopping", reason: "the server is shutting down" });
      return;
    }
    if (await db.ready()) res.json({ status: "ready" });
    else res.status(503).json({ status: "unavailable", reason: "database is not answering" });
  };
}

/**
 * On SQLite each `/graphql` request runs alone (no read sees another request's uncommitted writes),
 * holding its turn until its response is sent. A request whose client goes away while it waits leaves
 * the line, and one that holds the turn gives it up as soon as the transaction it is in ends (R33);
 * one that waits longer than DB_QUEUE_TIMEOUT_MS is answered 503 SERVICE_UNAVAILABLE.
 */
export function inTurn(db: Database, req: Request, res: Response, run: () => void): void {
  if (res.destroyed || req.socket.destroyed) return; // gone before it was even queued
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  db.exclusive(
    () =>
      new Promise<void>((resolve) => {
        res.once("finish", resolve);
        res.once("close", resolve);
        run();
      }),
    { signal: gone.signal },
  ).catch((error: unknown) => {
    if (gone.signal.aborted || res.headersSent) return; // abandoned: nobody to answer
    const fault = databaseFault(error) ?? new ServiceUnavailableError();
    res.status(503).setHeader("retry-after", "1");
    res.json({ errors: [{ message: fault.message, extensions: { code: fault.code } }] });
  });
}
