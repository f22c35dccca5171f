/**
 * The suite over two API copies on one database (issue #16, SPEC §6): with TEST_COPIES=2, a MySQL/MariaDB
 * DATABASE_URL and REDIS_URL, every test server of test/support/harness.ts is two processes (the suite's own
 * app, and a second copy forked from test/support/copy-child.ts) behind a small round-robin HTTP proxy, and the
 * suite talks only to the proxy: one request to one copy, the next to the other, WebSocket upgrades alike.
 * Both copies share the database and Redis (R31 budgets, R36 fan-out, R39 queue, persisted queries).
 *
 * Two things a copy in another process cannot see are carried over IPC, never through the service's own
 * interface: the suite's FixedClock (the copy's clock is set to it before each request forwarded there) and the
 * harness's wait for what follows a commit (after a forwarded answer, the proxy waits for that copy's alert
 * checks and publishing before it ends the response, as the harness does for its own copy).
 *
 * The proxy connects to a copy from the address the client connected from (127.0.0.x on loopback), so the
 * per-address limits (R31) see the client's address as they would without it.
 */
import { ChildProcess, fork } from "node:child_process";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import type { FixedClock } from "../../src/clock";

export interface Copies {
  /** The proxy's port: what the suite talks to. */
  port: number;
  /** Requests forwarded to each copy so far (0: the suite's own, 1: the second). */
  forwarded: [number, number];
  /** How many listeners the second copy's bus has (R36: one per stream open there); 0 once it has stopped. */
  listeners(): Promise<number>;
  close(): Promise<void>;
}

/** Whether this run spreads each test server over two copies (see the header). */
export function copiesWanted(kind: "sqlite" | "mysql"): boolean {
  if (process.env.TEST_COPIES !== "2") return false;
  if (kind !== "mysql") throw new Error("TEST_COPIES=2 needs a MySQL/MariaDB DATABASE_URL: copies share one database server");
  if (!process.env.REDIS_URL) throw new Error("TEST_COPIES=2 needs REDIS_URL: what copies share lives in Redis");
  return true;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]);

/** A message's headers without those that belong to one connection (each side of the proxy has its own). */
function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** A forked copy with request/answer messages over IPC. */
class Child {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  readonly loaded: Promise<void>;
  private exited: Error | null = null;

  constructor(readonly process: ChildProcess) {
    let loaded!: () => void;
    this.loaded = new Promise((resolve) => (loaded = resolve));
    process.on("message", (message: { id: number; type: string; message?: string }) => {
      if (message.id === 0) return loaded();
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.type === "error") waiter?.reject(new Error(`second copy: ${message.message}`));
      else waiter?.resolve(message);
    });
    process.on("exit", (code, signal) => {
      this.exited = new Error(`the second copy exited (${signal ?? code})`);
      for (const waiter of this.waiting.values()) waiter.reject(this.exited);
      this.waiting.clear();
    });
  }

  ask<T = { type: string }>(body: Record<string, unknown>): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.process.send({ id, ...body });
    });
  }
}

/** Forks the second copy's process now, so that it loads the service while the database is migrated. */
export function forkCopy(): Child {
  const child = fork(path.join(__dirname, "copy-child.ts"), [], {
    execArgv: ["-r", "@swc-node/register"],
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Child(child);
}

/** Opens the second copy on the (migrated) database and starts the round-robin proxy in front of both. */
export async function startCopies(options: {
  child: Child;
  databaseUrl: string;
  env: Record<string, string>;
  clock: FixedClock;
  ownPort: number;
  settleOwn: () => Promise<void>;
}): Promise<Copies> {
  const { child, clock } = options;
  await child.loaded;
  const { port: copyPort } = await child.ask<{ port: number }>({
    type: "open",
    databaseUrl: options.databaseUrl,
    env: options.env,
    at: clock.now().getTime(),
  });
  const ports = [options.ownPort, copyPort];
  const forwarded: [number, number] = [0, 0];
  let turn = 0;
  const pick = (): number => {
    const copy = turn;
    turn = (turn + 1) % 2;
    forwarded[copy] += 1;
    return copy;
  };
  const before = async (copy: number) => {
    if (copy === 1) await child.ask({ type: "clock", at: clock.now().getTime() });
  };
  const after = (copy: number) => (copy === 1 ? child.ask({ type: "settle" }).then(() => undefined) : options.settleOwn());
  const localAddress = (socket: net.Socket) => (socket.remoteAddress?.startsWith("127.") ? socket.remoteAddress : undefined);

  const sockets = new Set<net.Socket>();
  const proxy = http.createServer({ keepAliveTimeout: 600_000 }, (request, response) => {
    const copy = pick();
    before(copy).then(
      () => {
        const upstream = http.request(
          {
            host: "127.0.0.1",
            port: ports[copy],
            method: request.method,
            path: request.url,
            headers: withoutHopByHop(request.headers),
            localAddress: localAddress(request.socket),
            agent: false,
          },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.statusMessage, withoutHopByHop(answer.headers));
            // The last chunk is held back until the copy has settled: a client that knows the length (or
            // reads to the end) has its answer only once what followed the commit is done.
            let held: Buffer | null = null;
            answer.on("data", (chunk: Buffer) => {
              if (held) response.write(held);
              held = chunk;
            });
            answer.on("end", () => {
              const finish = () => (held ? response.end(held) : response.end());
              after(copy).then(finish, finish);
            });
            answer.on("error", () => response.destroy());
          },
        );
        upstream.on("error", (error) => {
          if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
          response.end(`proxy: ${error.message}`);
        });
        // A client that goes away mid-answer (an export stopped early) goes away from the copy too.
        response.on("close", () => {
          if (!response.writableFinished) upstream.destroy();
        });
        request.pipe(upstream);
      },
      (error: Error) => {
        response.writeHead(502, { "content-type": "text/plain" });
        response.end(`proxy: ${error.message}`);
      },
    );
  });
  proxy.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  // WebSocket (R36): the upgrade request and everything after it, byte for byte, to one copy.
  proxy.on("upgrade", (request, socket: net.Socket, head: Buffer) => {
    const copy = pick();
    before(copy).then(
      () => {
        const upstream = net.connect({ host: "127.0.0.1", port: ports[copy], localAddress: localAddress(socket) }, () => {
          const lines = [`${request.method} ${request.url} HTTP/${request.httpVersion}`];
          for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
          upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
          if (head.length) upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on("close", () => {
          sockets.delete(upstream);
          socket.destroy();
        });
        upstream.on("error", () => socket.destroy());
        socket.on("error", () => upstream.destroy());
        socket.on("close", () => upstream.destroy());
      },
      () => socket.destroy(),
    );
  });
  const port = await new Promise<number>((resolve) => proxy.listen(0, "127.0.0.1", () => resolve((proxy.address() as net.AddressInfo).port)));

  return {
    port,
    forwarded,
    async listeners() {
      if (child.process.exitCode !== null || child.process.signalCode !== null) return 0;
      return (await child.ask<{ count: number }>({ type: "listeners" }).catch(() => ({ count: 0 }))).count;
    },
    async close() {
      await new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      const exited = new Promise<void>((resolve) => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return resolve();
        child.process.once("exit", () => resolve());
      });
      await child.ask({ type: "stop" }).catch(() => undefined);
      const killer = setTimeout(() => child.process.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
