import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Role, WebhookDelivery, WorkerTask } from "../entities";
import { deliveryJobId, QUEUE_NAME } from "../src/notifications/queue-redis";
import { gid } from "./support/ids";
import { ALERT_SCAN_TASK } from "../src/notifications/alert-changes";
import { startTestServer } from "./support/harness";
import {
  deleteRedisKeys,
  enqueueAsWriter,
  outboxNotifications,
  pendingDeliveries,
  runs,
  sharedDatabase,
  SharedDatabase,
  startWorkerProcess,
  waitFor,
  WorkerProcess,
} from "./support/worker-processes";

/**
 * R39 with real worker processes (test/support/worker-child.ts) on one database: SQLite on a file, or a
 * fresh database on DATABASE_URL's MariaDB; the BullMQ suite on REDIS_URL (a db index of its own, e.g.
 * redis://127.0.0.1:6379/9) under a key prefix of its own, deleted afterwards.
 */
jest.setTimeout(120_000);

const REDIS_URL = process.env.REDIS_URL;

const counts = (subjects: number[]) => subjects.reduce((map, subject) => map.set(subject, (map.get(subject) ?? 0) + 1), new Map<number, number>());

function workerSuite(mode: "table" | "redis") {
  let shared: SharedDatabase;
  let prefix: string;
  const started: WorkerProcess[] = [];
  const worker = async (name: string, env: Record<string, string> = {}) => {
    const process = await startWorkerProcess({
      WORKER_DATABASE_URL: shared.url,
      WORKER_OWNER: name,
      WORKER_LEASE_MS: "2000",
      ...(mode === "redis" ? { WORKER_REDIS_URL: REDIS_URL as string, WORKER_KEY_PREFIX: prefix } : {}),
      ...env,
    });
    started.push(process);
    return process;
  };

  beforeEach(async () => {
    shared = await sharedDatabase();
    prefix = `sag-worker-test-${randomBytes(5).toString("hex")}`;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((process) => process.kill()));
    await shared.drop();
    if (mode === "redis") await deleteRedisKeys(REDIS_URL as string, prefix);
  });

  test(`R39 two worker processes run each delivery and each notification's mail exactly once (${mode})`, async () => {
    const [a, b] = await Promise.all([worker("a"), worker("b")]);
    const deliveries = await pendingDeliveries(shared.db, 60);
    const notifications = await outboxNotifications(shared.db, 40);
    // Half of them enqueued as their writer would after its commit: the sweeps find them all the same.
    if (mode === "redis") await enqueueAsWriter(REDIS_URL as string, prefix, deliveries.slice(0, 30), notifications.slice(0, 20));
    await waitFor(async () => (await runs(shared.db, "deliver")).length >= deliveries.length, 30_000, "every delivery to run");
    await waitFor(async () => (await runs(shared.db, "mail")).length >= notifications.length, 30_000, "every notification's mail to run");
    // Time for a second run of anything, were there one.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const delivered = await runs(shared.db, "deliver");
    expect([...counts(delivered.map((run) => run.subject))].filter(([, times]) => times !== 1)).toEqual([]);
    expect(new Set(delivered.map((run) => run.subject))).toEqual(new Set(deliveries));
    const mailed = await runs(shared.db, "mail");
    expect([...counts(mailed.map((run) => run.subject))].filter(([, times]) => times !== 1)).toEqual([]);
    expect(new Set(mailed.map((run) => run.subject))).toEqual(new Set(notifications));
    // A stopped worker finishes what it has begun and exits 0 (R33).
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  });

  test(`R39 a worker killed mid-delivery loses nothing: the delivery runs again on another worker (${mode})`, async () => {
    const [first, ...others] = await pendingDeliveries(shared.db, 6);
    const doomed = await worker("doomed", { WORKER_HANG_DELIVERY: String(first) });
    await waitFor(async () => (await runs(shared.db, "deliver")).some((run) => run.subject === first), 30_000, "the doomed worker to begin");
    const survivor = await worker("survivor");
    await doomed.kill();
    await waitFor(
      async () => (await runs(shared.db, "deliver")).filter((run) => run.subject === first).length >= 2,
      30_000,
      "the delivery to run again",
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const delivered = await runs(shared.db, "deliver");
    expect(delivered.filter((run) => run.subject === first).map((run) => run.owner)).toEqual(["doomed", "survivor"]);
    const rest = [...counts(delivered.filter((run) => run.subject !== first).map((run) => run.subject))].sort(([x], [y]) => x - y);
    expect(rest).toEqual(others.map((id) => [id, 1]));
    const [{ pending }] = await shared.db.manager.query("SELECT COUNT(*) AS pending FROM webhook_deliveries WHERE status = 'PENDING'");
    expect(Number(pending)).toBe(0);
    expect(await survivor.stop()).toBe(0);
  });

  test(`R39 the clock-driven alert scan runs once per interval however many workers run (${mode})`, async () => {
    const interval = 1000;
    await Promise.all([worker("a", { WORKER_SCAN_MS: String(interval) }), worker("b", { WORKER_SCAN_MS: String(interval) })]);
    const since = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const scans = (await runs(shared.db, "scan")).filter((run) => run.at >= since);
    // Two workers each on its own would scan about twice a second.
    expect(scans.length).toBeGreaterThanOrEqual(4);
    expect(scans.length).toBeLessThanOrEqual(7);
    const gaps = scans.slice(1).map((run, index) => run.at - scans[index].at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(interval * 0.7);
  });
}

describe("R39 worker on the tables (no Redis)", () => workerSuite("table"));

(REDIS_URL ? describe : describe.skip)("R39 worker on a BullMQ queue (REDIS_URL)", () => workerSuite("redis"));

describe("R39 the worker in the server process", () => {
  test("R39 the server process runs the worker by default: the alert scan has run", async () => {
    // The harness keeps the worker out of the other suites' servers (WORKER=0); this one has the default.
    const server = await startTestServer({ env: { WORKER: "" } });
    try {
      await waitFor(async () => server.app.worker !== null, 5000, "the worker to start");
      // With TEST_COPIES=2 the copies share REDIS_URL, and with it BullMQ's queue (R39).
      expect(server.app.worker?.mode).toBe(server.copies ? "redis" : "table");
      await waitFor(async () => (await server.db.manager.countBy(WorkerTask, { name: ALERT_SCAN_TASK })) === 1, 10_000, "the first alert scan");
    } finally {
      await server.close();
    }
  });

  (REDIS_URL ? test : test.skip)(
    "R39 a server with WORKER=0 on Redis enqueues the deliveries its writes make due after each commit, for worker processes to start on at once",
    async () => {
      const keyPrefix = `sag-enqueuer-test-${randomBytes(5).toString("hex")}`;
      const server = await startTestServer({
        env: { WORKER: "0", REDIS_URL: REDIS_URL as string, REDIS_KEY_PREFIX: keyPrefix },
        copies: { one: "reads one process's queue" },
      });
      const queue = new Queue(QUEUE_NAME, { connection: { url: REDIS_URL }, prefix: keyPrefix });
      try {
        const domain = "enqueuer.test";
        const account = await server.build.account(domain);
        const [us] = await account.chain("US");
        await account.grant(`admin@${domain}`, Role.SMART_ACCOUNT_ADMIN);
        const created = await server.gql(
          `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }`,
          { input: { smartAccountId: gid("SmartAccount", account.id), topics: ["EVENT"], url: "http://127.0.0.1:9/hook" } },
          `admin@${domain}`,
        );
        expect(created.errors).toBeUndefined();
        const renamed = await server.gql(
          `mutation($id: ID!) { updateVirtualAccount(input: { id: $id, name: "USA" }) { id } }`,
          { id: gid("VirtualAccount", us.id) },
          `admin@${domain}`,
        );
        expect(renamed.errors).toBeUndefined();
        const deliveries = await server.db.manager.find(WebhookDelivery, { order: { id: "ASC" } });
        expect(deliveries.length).toBeGreaterThan(0);
        await waitFor(
          async () => (await Promise.all(deliveries.map((d) => queue.getJob(deliveryJobId(d.id, 0))))).every(Boolean),
          5000,
          "every delivery's job in the queue",
        );
        expect(server.app.worker).toBeNull();
      } finally {
        await queue.close();
        await server.close();
        await deleteRedisKeys(REDIS_URL as string, keyPrefix);
      }
    },
  );

  test("R39 WORKER=0 keeps the worker out of the server process", async () => {
    const server = await startTestServer({ env: { WORKER: "0", WORKER_POLL_MS: "50" } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(server.app.worker).toBeNull();
      expect(await server.db.manager.count(WorkerTask)).toBe(0);
    } finally {
      await server.close();
    }
  });
});
