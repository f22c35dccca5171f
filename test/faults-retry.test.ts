/**
 * R33 retries: a write transaction that meets a deadlock, a lock-wait timeout or a Galera certification
 * conflict runs again as a whole (Database.transaction), a bounded number of times; anything else is not
 * retried. The deadlock and the lock wait are real ones, provoked on MySQL/MariaDB between two transactions.
 */
import mysql from "mysql2/promise";
import { EntityManager } from "typeorm";
import { SmartAccount } from "../entities";
import { ConflictError } from "../src/errors";
import { EventService } from "../src/events/event.service";
import { retryableTransactionError } from "../src/db/faults";
import { startTestServer, TestServer } from "./support/harness";
import { onMysql } from "./support/own-mariadb";

const suite = onMysql() ? describe : describe.skip;
if (!onMysql()) console.info("faults-retry: skipped, deadlocks and lock waits are provoked with DATABASE_URL=mysql://…");

describe("R33 which errors are retried", () => {
  it("R33 deadlocks, lock-wait timeouts, Galera certification conflicts and a WSREP node not ready are retryable; nothing else", () => {
    const driverError = (errno: number, message: string) => ({ query: "…", driverError: { errno, message } });
    expect(retryableTransactionError(driverError(1213, "Deadlock found when trying to get lock; try restarting transaction"))).toBe(true);
    expect(retryableTransactionError(driverError(1213, "Deadlock: wsrep aborted transaction"))).toBe(true);
    expect(retryableTransactionError(driverError(1205, "Lock wait timeout exceeded; try restarting transaction"))).toBe(true);
    expect(retryableTransactionError(driverError(1047, "WSREP has not yet prepared node for application use"))).toBe(true);
    expect(retryableTransactionError(driverError(1062, "Duplicate entry 'x' for key 'PRIMARY'"))).toBe(false);
    expect(retryableTransactionError(new ConflictError("no"))).toBe(false);
  });
});

suite("R33 write transactions are retried as a whole", () => {
  let server: TestServer;
  let a: SmartAccount;
  let b: SmartAccount;
  const events = () => new EventService(server.clock);

  beforeAll(async () => {
    server = await startTestServer();
    a = (await server.build.account("deadlock-a.test")).account;
    b = (await server.build.account("deadlock-b.test")).account;
  });
  afterAll(() => server.close());

  const lock = (manager: EntityManager, id: number) => manager.query("SELECT id FROM smart_accounts WHERE id = ? FOR UPDATE", [id]);
  const eventsLike = async (text: string) =>
    Number((await server.db.dataSource.query("SELECT COUNT(*) AS n FROM events WHERE message = ?", [text]))[0].n);

  /** A write in the services' shape: rows under lock, the change, its one event, all in one transaction. */
  async function rename(manager: EntityManager, id: number, name: string) {
    await manager.update(SmartAccount, { id }, { name });
    await events().record(manager, { type: "SMART_ACCOUNT_UPDATED", message: `renamed ${id} to ${name}`, actorId: null, smartAccountId: id });
  }

  it("R33 a real deadlock between two transactions: the victim runs again and commits once, with exactly one event", async () => {
    const attempts = { first: 0, second: 0 };
    let firstHasA!: () => void;
    let secondHasB!: () => void;
    const aLocked = new Promise<void>((resolve) => (firstHasA = resolve));
    const bLocked = new Promise<void>((resolve) => (secondHasB = resolve));
    // Opposite lock orders: each holds one row and asks for the other's, which InnoDB detects at once.
    const first = server.db.transaction(async (manager) => {
      attempts.first += 1;
      await lock(manager, a.id);
      firstHasA();
      await bLocked;
      await lock(manager, b.id);
      await rename(manager, a.id, "First");
      return "first";
    });
    const second = server.db.transaction(async (manager) => {
      attempts.second += 1;
      await lock(manager, b.id);
      secondHasB();
      await aLocked;
      await lock(manager, a.id);
      await rename(manager, b.id, "Second");
      return "second";
    });
    expect(await Promise.all([first, second])).toEqual(["first", "second"]);
    // Exactly one of them was chosen as the deadlock's victim and ran twice.
    expect([attempts.first, attempts.second].sort()).toEqual([1, 2]);
    expect(await eventsLike(`renamed ${a.id} to First`)).toBe(1);
    expect(await eventsLike(`renamed ${b.id} to Second`)).toBe(1);
    expect((await server.db.manager.findOneByOrFail(SmartAccount, { id: a.id })).name).toBe("First");
    expect((await server.db.manager.findOneByOrFail(SmartAccount, { id: b.id })).name).toBe("Second");
  });

  it("R33 a lock-wait timeout runs the transaction again once the lock is free", async () => {
    // A second client of the same database, outside the service, holds the row for 1.5 s.
    const other = await mysql.createConnection((server.db.dataSource.options as { url: string }).url);
    try {
      await other.query("START TRANSACTION");
      await other.query("SELECT id FROM smart_accounts WHERE id = ? FOR UPDATE", [a.id]);
      setTimeout(() => void other.query("COMMIT"), 1500);
      let attempts = 0;
      const started = Date.now();
      await server.db.transaction(async (manager) => {
        attempts += 1;
        await manager.query("SET SESSION innodb_lock_wait_timeout = 1");
        await lock(manager, a.id);
        await rename(manager, a.id, "After the wait");
      });
      expect(attempts).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(await eventsLike(`renamed ${a.id} to After the wait`)).toBe(1);
    } finally {
      await other.end();
    }
  });

  it("R33 an error that is not a deadlock or lock wait is not retried, and the transaction leaves nothing", async () => {
    let attempts = 0;
    await expect(
      server.db.transaction(async (manager) => {
        attempts += 1;
        await rename(manager, a.id, "Refused");
        throw new ConflictError("refused by a rule");
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(attempts).toBe(1);

    attempts = 0;
    await expect(
      server.db.transaction(async (manager) => {
        attempts += 1;
        await rename(manager, a.id, "Duplicate");
        // A unique index violation (the domain is unique): a statement error, not a conflict between transactions.
        await manager.update(SmartAccount, { id: a.id }, { domain: b.domain });
      }),
    ).rejects.toThrow(/duplicate/i);
    expect(attempts).toBe(1);
    expect(await eventsLike(`renamed ${a.id} to Refused`)).toBe(0);
    expect(await eventsLike(`renamed ${a.id} to Duplicate`)).toBe(0);
  });

  it("R33 retries are bounded: a transaction that deadlocks every time fails with SERVICE_UNAVAILABLE after DB_TRANSACTION_RETRIES retries", async () => {
    let attempts = 0;
    const deadlock = Object.assign(new Error("Deadlock found when trying to get lock; try restarting transaction"), {
      errno: 1213,
      code: "ER_LOCK_DEADLOCK",
    });
    await expect(
      server.db.transaction(async () => {
        attempts += 1;
        throw deadlock;
      }),
    ).rejects.toMatchObject({ extensions: { code: "SERVICE_UNAVAILABLE" } });
    expect(attempts).toBe(1 + server.db.timeouts.transactionRetries);
  });
});
