import { ServiceUnavailableError } from "../errors";

/** Driver error codes that mean the database cannot be reached or did not answer in time (R33). */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR",
  "PROTOCOL_ENQUEUE_AFTER_QUIT",
  "POOL_CLOSED",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  // A Galera node that is not synced ("WSREP has not yet prepared node for application use").
  "ER_UNKNOWN_COM_ERROR",
  "SQLITE_BUSY",
  // The guard's own (src/db/guard.ts): the database stopped answering, a statement or a wait ran out of time.
  "DB_UNRESPONSIVE",
  "DB_STATEMENT_TIMEOUT",
  "DB_ACQUIRE_TIMEOUT",
  "DB_CONNECTION_DROPPED",
]);

/** mysql2's own errors without a code: a closed pool, a connection already torn down. */
const UNAVAILABLE_MESSAGES = /^(Pool is closed\.|Can't add new command when connection is in closed state|Can't write in closed state)/;

/** A driver error of the guard's, with the code `databaseFault` recognises. */
export function faultError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** R33: the client-facing error for a database fault, or null when `error` is not one. */
export function databaseFault(error: unknown): ServiceUnavailableError | null {
  if (error instanceof ServiceUnavailableError) return error;
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 5; depth += 1) {
    const { code, fatal, message } = cause as { code?: unknown; fatal?: unknown; message?: unknown };
    const unavailable =
      (typeof code === "string" && UNAVAILABLE_CODES.has(code)) ||
      // mysql2 marks an error that broke the connection itself as fatal (as opposed to a statement's error).
      fatal === true ||
      (typeof message === "string" && UNAVAILABLE_MESSAGES.test(message));
    // The driver's error stays as the cause (never shown): a transaction still tells a retryable one.
    if (unavailable) return Object.assign(new ServiceUnavailableError(), { cause });
    cause = (cause as { driverError?: unknown; cause?: unknown }).driverError ?? (cause as { cause?: unknown }).cause;
  }
  return null;
}

/** `error`, or the SERVICE_UNAVAILABLE it stands for when it is a database fault. */
export const asDomainFault = (error: unknown): unknown => databaseFault(error) ?? error;

/**
 * MariaDB/MySQL errors after which the whole transaction may simply run again (R33): a deadlock (1213,
 * which is also how Galera reports a certification conflict), a lock-wait timeout (1205), and a Galera
 * node not ready for writes yet (1047).
 */
const RETRYABLE_ERRNOS = new Set([1213, 1205, 1047]);

export function retryableTransactionError(error: unknown): boolean {
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 5; depth += 1) {
    const errno = (cause as { errno?: unknown }).errno;
    if (typeof errno === "number" && RETRYABLE_ERRNOS.has(errno)) return true;
    cause = (cause as { driverError?: unknown; cause?: unknown }).driverError ?? (cause as { cause?: unknown }).cause;
  }
  return false;
}
