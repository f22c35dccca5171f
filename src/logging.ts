import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import pino, { Logger } from "pino";

export type { Logger };

/**
 * R32: structured JSON lines on stdout (or `destination`). Bearer tokens and secrets are never handed
 * to the logger; as a second line of defence the authorization header and anything named like a
 * secret are redacted wherever they appear in a logged object.
 */
export function createLogger(options: { level: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          "authorization",
          "*.authorization",
          "headers.authorization",
          "token",
          "*.token",
          "credential",
          "*.credential",
          "secret",
          "*.secret",
          "variables",
          "*.variables",
          "parameters",
          "*.parameters",
        ],
        censor: "[redacted]",
      },
    },
    options.destination,
  );
}

/** What one request's log line says about it, filled in as the request goes (GraphQL's plugin adds the operation). */
export interface RequestLog {
  id: string;
  logger: Logger;
  operation?: string | null;
  principal?: string;
  cost?: number;
  code?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

declare module "express-serve-static-core" {
  interface Request {
    log: RequestLog;
  }
}

/**
 * R32: every request gets an id (the caller's `x-request-id` when it is a sane one, else a new one),
 * echoed in the response, a child logger carrying it, and one line when it ends: method, path (never
 * the query string), status, duration, the GraphQL operation's name and the principal's id.
 */
export function requestLogging(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const offered = req.headers["x-request-id"];
    const id = typeof offered === "string" && REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader("x-request-id", id);
    const log: RequestLog = { id, logger: logger.child({ reqId: id }) };
    req.log = log;
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        method: req.method,
        path: req.originalUrl.split("?")[0],
        status: res.writableFinished ? res.statusCode : undefined,
        aborted: res.writableFinished ? undefined : true,
        ms: Math.round(ms * 10) / 10,
        operation: log.operation ?? undefined,
        principal: log.principal,
        cost: log.cost,
        code: log.code,
      };
      if (res.statusCode >= 500) log.logger.error(line, "request failed");
      else log.logger.info(line, "request");
    };
    res.once("finish", finish);
    res.once("close", finish);
    next();
  };
}

/** A driver's message with every quoted value cut out, so no SQL parameter value reaches a log line. */
export const withoutValues = (message: string): string =>
  message
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .slice(0, 500);

/** What an unexpected error may show in a log: its kind, code and stack, never its payload or parameters. */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const { code, errno, sqlState } = error as { code?: unknown; errno?: unknown; sqlState?: unknown };
  const driver = (error as { driverError?: Error }).driverError;
  return {
    type: error.constructor?.name ?? "Error",
    code: code ?? (driver as { code?: unknown } | undefined)?.code,
    errno: errno ?? (driver as { errno?: unknown } | undefined)?.errno,
    sqlState,
    message: withoutValues(error.message),
    stack: error.stack ? withoutValues(error.stack).split("\n").slice(0, 8).join("\n") : undefined,
  };
}
