/**
 * R33: how long the service waits on the database before it answers SERVICE_UNAVAILABLE. Read once from
 * the environment (README lists each variable); every value is in milliseconds.
 */
export interface DatabaseTimeouts {
  /** `DB_CONNECT_TIMEOUT_MS`: a new connection's TCP connect and handshake. */
  connectMs: number;
  /** `DB_ACQUIRE_TIMEOUT_MS`: waiting for a free connection of the pool while the database answers (load, not a fault). */
  acquireMs: number;
  /** `DB_STATEMENT_TIMEOUT_MS`: one statement (an export's batch is one), generous for the largest dashboards. */
  statementMs: number;
  /** `DB_PROBE_AFTER_MS`: an operation outstanding this long makes the service check that the database answers. */
  probeAfterMs: number;
  /** `DB_PROBE_TIMEOUT_MS`: that check (`SELECT 1` on a connection of its own) fails past this; so does `/readyz`. */
  probeTimeoutMs: number;
  /** `DB_QUEUE_TIMEOUT_MS`: on SQLite, the longest a request waits for its turn. */
  queueMs: number;
  /**
   * `DB_TRANSACTION_RETRIES`: retries of a write transaction after a deadlock, lock-wait timeout or certification
   * conflict. 8 by default: one server rarely needs more than one, but writes on every node of a Galera
   * cluster took up to 7 attempts on hot rows (docs/scaling.md), and a conflict must not reach the client.
   */
  transactionRetries: number;
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = {
  connectMs: 2000,
  acquireMs: 10000,
  statementMs: 30000,
  probeAfterMs: 250,
  probeTimeoutMs: 1000,
  queueMs: 5000,
  transactionRetries: 8,
};

const VARIABLES: Record<keyof DatabaseTimeouts, string> = {
  connectMs: "DB_CONNECT_TIMEOUT_MS",
  acquireMs: "DB_ACQUIRE_TIMEOUT_MS",
  statementMs: "DB_STATEMENT_TIMEOUT_MS",
  probeAfterMs: "DB_PROBE_AFTER_MS",
  probeTimeoutMs: "DB_PROBE_TIMEOUT_MS",
  queueMs: "DB_QUEUE_TIMEOUT_MS",
  transactionRetries: "DB_TRANSACTION_RETRIES",
};

export function loadDatabaseTimeouts(env: NodeJS.ProcessEnv = process.env): DatabaseTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(VARIABLES) as (keyof DatabaseTimeouts)[]) {
    const raw = env[VARIABLES[key]]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${VARIABLES[key]} must be a whole number ≥ 0 (got "${raw}")`);
    timeouts[key] = value;
  }
  return timeouts;
}
