import { EventEmitter } from "node:events";
import express from "express";
import { loggableError } from "../logging";
import { authenticate } from "../auth/viewer";
import { TokenVerifier } from "../auth/identity";
import { Clock } from "../clock";
import { Database } from "../db/database";
import type { ReplicaRouting } from "../db/replicas";
import { DomainError, InputError, UnauthenticatedError } from "../errors";
import { singleLine } from "../input";
import { ExportDefinition, ExportFilters, licenseExport, poolExport, productInstanceExport, SqlRow } from "./exports";
import { CONTENT_TYPES, csvHeader, encodeRows, Format, truncationMarker } from "./formats";
import { exportScope } from "./scope";

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** `?format=` wins; else the Accept header; else CSV. */
function formatOf(req: express.Request): Format {
  const asked = typeof req.query.format === "string" ? req.query.format : undefined;
  if (asked !== undefined) {
    if (asked === "csv" || asked === "ndjson") return asked;
    throw new InputError("format", "format must be csv or ndjson.");
  }
  const accept = req.headers.accept ?? "";
  if (accept.includes("application/x-ndjson")) return "ndjson";
  return "csv";
}

/** The errors body the router answers with: `{ errors: [{ message, extensions: { code, … } }] }`, never HTML. */
function sendError(res: express.Response, error: unknown, when: string): void {
  if (error instanceof DomainError) {
    const code = String(error.extensions.code);
    const { http: _http, ...extensions } = error.extensions as Record<string, unknown>;
    res.status(STATUS[code] ?? 400).json({ errors: [{ message: error.message, extensions }] });
    return;
  }
  // Express marks what it refused itself (a path that does not decode…) with a 4xx status.
  const status = Number((error as { status?: unknown } | null)?.status);
  if (status >= 400 && status < 500) {
    res.status(400).json({ errors: [{ message: "The export request is malformed.", extensions: { code: "BAD_USER_INPUT" } }] });
    return;
  }
  res.req.log?.logger.error({ err: loggableError(error), when }, "export failed");
  res.status(500).json({ errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
}

/** A download name that is safe in a quoted header value: the account's domain, other characters as `_`. */
export const attachmentName = (kind: string, domain: string, date: string, format: Format): string =>
  `${kind}-${domain.replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 100)}-${date}.${format === "csv" ? "csv" : "ndjson"}`;

const param = (req: express.Request, name: string): string | undefined => {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new InputError(name, `${name} must be given once.`);
  // R6 as in the graph: trimmed, NFC, and no control or format characters (a CR or LF never reaches a header).
  return singleLine(value, name);
};

/**
 * Streamed exports for reporting tools: every row the viewer may see (R1, R4, §5 exactly as in the
 * graph), in keyset batches so memory stays flat; a client that disconnects stops the export; a failure
 * after the first byte ends the stream with a visible truncation marker.
 */
export function exportRouter(deps: { db: Database; clock: Clock; verify: TokenVerifier; replicas?: ReplicaRouting | null }): express.Router {
  const router = express.Router();
  const kinds: Record<
    string,
    (scope: Awaited<ReturnType<typeof exportScope>>, access: Parameters<typeof licenseExport>[1], filters: ExportFilters) => ExportDefinition<SqlRow>
  > = {
    licenses: (scope, access, filters) => licenseExport(deps.db, access, deps.clock, scope, filters),
    pools: (scope, _access, filters) => poolExport(deps.db, deps.clock, scope, filters),
    "product-instances": (scope, _access, filters) => productInstanceExport(deps.db, scope, filters),
  };

  router.get("/exports/:kind", async (req, res) => {
    const make = kinds[req.params.kind];
    if (!make) {
      res.status(404).json({ errors: [{ message: "No such export.", extensions: { code: "NOT_FOUND" } }] });
      return;
    }
    let format: Format = "csv";
    let definition: ExportDefinition<SqlRow>;
    let domain: string;
    try {
      format = formatOf(req);
      const { access, authError } = await authenticate(deps.db, deps.clock, deps.verify, req.headers.authorization);
      if (!access.authenticated) throw authError ?? new UnauthenticatedError();
      // §6: an export reads from a replica, unless its principal wrote within READ_YOUR_WRITES_MS.
      if (access.viewer) await deps.replicas?.admit(`user:${access.viewer.id}`);
      const scope = await exportScope(deps.db, access, {
        domain: param(req, "domain"),
        virtualAccountId: param(req, "virtualAccountId"),
        includeDescendants: param(req, "includeDescendants"),
      });
      definition = make(scope, access, { status: param(req, "status"), sku: param(req, "sku") });
      // The stored domain, not the request's text: a raw parameter may hold what no header may (CR, LF).
      domain = scope.account.domain;
    } catch (error) {
      sendError(res, error, "before streaming");
      return;
    }

    let aborted = false;
    req.on("close", () => {
      if (!res.writableEnded) aborted = true;
    });
    const gone = () => aborted || res.destroyed;
    const date = deps.clock.now().toISOString().slice(0, 10);
    res.status(200);
    res.setHeader("content-type", CONTENT_TYPES[format]);
    res.setHeader("content-disposition", `attachment; filename="${attachmentName(definition.name, domain, date, format)}"`);
    res.setHeader("cache-control", "no-store");
    res.flushHeaders();
    try {
      if (format === "csv") res.write(csvHeader(definition.columns));
      // One batch ahead: the next is read while this one is encoded and written (at most two in memory).
      let next: ReturnType<typeof definition.batch> | null = definition.batch(0);
      while (next) {
        const batch: Awaited<ReturnType<typeof definition.batch>> = await next;
        next = batch.last === null ? null : definition.batch(batch.last);
        if (batch.rows.length && !res.write(encodeRows(format, definition.columns, batch.rows)) && !gone()) {
          // A client that stops reading and then goes away never drains: stop waiting when it closes.
          await drainedOrClosed(res);
        }
        if (gone()) {
          next?.catch(() => undefined); // abandoned: its outcome no longer matters
          return;
        }
      }
      res.end();
    } catch (error) {
      req.log?.logger.error({ err: loggableError(error) }, "export failed while streaming");
      if (!res.writableEnded && !aborted) res.end(truncationMarker(format, "export truncated by a server error"));
    }
  });
  // Whatever reaches Express's default handler would answer an HTML page: answer the router's JSON instead.
  router.use("/exports", (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    sendError(res, error, "before streaming");
  });
  return router;
}

/** Resolves once `stream` drains or closes, and leaves no listener behind (a wait per batch adds up). */
export function drainedOrClosed(stream: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
