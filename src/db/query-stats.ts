import { AsyncLocalStorage } from "node:async_hooks";
import { AbstractLogger, LogLevel, LogMessage, QueryRunner } from "typeorm";
import { createLogger, Logger, withoutValues } from "../logging";

/** Per-request SQL statement counter; the request handler runs each operation inside `track`. */
export class QueryStats {
  statements = 0;
}

const storage = new AsyncLocalStorage<QueryStats>();

/** Where failed and slow statements are logged: the app's logger once it has one (`useSqlLogger`). */
let sink: Logger | null = null;
const fallback = (): Logger => (sink ??= createLogger({ level: process.env.LOG_LEVEL ?? "info" }));
const sqlLog = (): Logger => sink ?? fallback();
export const useSqlLogger = (logger: Logger): void => {
  sink = logger;
};
const oneLine = (sql: string): string => sql.replace(/\s+/g, " ").slice(0, 500);
/** LOG_SQL=1 prints each statement (not its parameters), for profiling; read once, at start. */
const logSql = process.env.LOG_SQL === "1";

export const trackQueries = <T>(stats: QueryStats, run: () => T): T => storage.run(stats, run);

/**
 * TypeORM logger that counts every statement against the request it runs for, and otherwise logs
 * only errors and slow queries (never parameters, which can hold secrets).
 */
export class CountingLogger extends AbstractLogger {
  logQuery(query: string): void {
    const stats = storage.getStore();
    if (stats) stats.statements += 1;
    if (logSql) console.log(`[sql] ${query.replace(/\s+/g, " ").slice(0, 240)}`);
  }

  logQueryError(error: string | Error, query: string): void {
    const stats = storage.getStore();
    if (stats) stats.statements += 1;
    // The driver's message loses its quoted values (a duplicate key names the value); parameters are never passed on.
    if (process.env.LOG_SQL_ERRORS !== "0")
      sqlLog().warn({ sql: oneLine(query), error: withoutValues(error instanceof Error ? error.message : String(error)) }, "statement failed");
  }

  logQuerySlow(time: number, query: string): void {
    sqlLog().warn({ sql: oneLine(query), ms: time }, "slow statement");
  }

  protected writeLog(_level: LogLevel, _message: LogMessage | LogMessage[], _queryRunner?: QueryRunner): void {
    // Schema-build and migration chatter stays quiet; errors go through logQueryError.
  }
}
