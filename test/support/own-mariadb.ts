import { ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";

/**
 * A MariaDB server of the test's own (R33 fault tests): its own data folder in a temp dir, its own port
 * and socket, so that stopping or freezing it touches nobody else's database. Never the machine's shared
 * server. `freeze()`/`thaw()` SIGSTOP/SIGCONT it (TCP still connects, nothing answers); `kill()` stops it
 * hard; `start()` brings it back on the same port and data folder; `destroy()` ends it and removes the folder.
 */
export interface OwnMariaDb {
  port: number;
  /** `mysql://root@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  pid(): number | null;
  createDatabase(name: string): Promise<string>;
  freeze(): void;
  thaw(): void;
  kill(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** Whether the suite runs on MySQL/MariaDB (`DATABASE_URL=mysql://…`), where the fault tests run. */
export const onMysql = (): boolean => /^(mysql|mariadb):/.test(process.env.DATABASE_URL ?? "");

const run = promisify(execFile);

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startOwnMariaDb(): Promise<OwnMariaDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sag-mariadb-"));
  const datadir = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? ["--user=root"] : [];
  await run(
    "mariadb-install-db",
    ["--no-defaults", `--datadir=${datadir}`, "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve", ...user],
    {
      timeout: 60_000,
    },
  );
  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const url = (database: string) => `mysql://root@127.0.0.1:${port}/${database}`;

  async function start(): Promise<void> {
    child = spawn(
      "mariadbd",
      [
        "--no-defaults",
        `--datadir=${datadir}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--socket=${path.join(dir, "mariadb.sock")}`,
        `--pid-file=${path.join(dir, "mariadb.pid")}`,
        `--log-error=${path.join(dir, "error.log")}`,
        "--skip-name-resolve",
        "--innodb-buffer-pool-size=32M",
        "--innodb-flush-log-at-trx-commit=2",
        "--innodb-lock-wait-timeout=5",
        ...user,
      ],
      { stdio: "ignore" },
    );
    const current = child;
    exited = new Promise((resolve) => current.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const connection = await mysql.createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 1000 });
        await connection.end();
        return;
      } catch (error) {
        if (current.exitCode !== null) throw new Error(`mariadbd exited with ${current.exitCode}: see ${path.join(dir, "error.log")}`);
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async function kill(): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGCONT");
    child.kill("SIGKILL");
    await exited;
    child = null;
  }

  await start();
  return {
    port,
    url,
    pid: () => child?.pid ?? null,
    async createDatabase(name) {
      const connection = await mysql.createConnection({ host: "127.0.0.1", port, user: "root" });
      await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      await connection.end();
      return url(name);
    },
    freeze: () => void child?.kill("SIGSTOP"),
    thaw: () => void child?.kill("SIGCONT"),
    kill,
    start,
    async destroy() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
