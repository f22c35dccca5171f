/**
 * SPEC §5, the role table, cell by cell for "see and manage webhooks (R37)": SMART_ACCOUNT_ADMIN all,
 * VIRTUAL_ACCOUNT_ADMIN in scope, every other role nothing.
 *
 * Which cells exist and what each expects is read from the table in test/support/section5.ts, through the
 * registry in test/support/section5-cases.ts. Same layout as test/role-table.test.ts: Virtual Account roles
 * are held on "US"; "in scope" targets Finance (under US), "out of scope" Paris (under EMEA); every operation
 * also has an outsider (SMART_ACCOUNT_ADMIN of another account only) and a request with no token (R1).
 *
 * Error semantics (R4): createWebhook names a Virtual Account (visible by the tree), so who sees it but may not
 * manage webhooks there gets FORBIDDEN; deleteWebhook and redeliverWebhook name a webhook or a delivery, which
 * only who may manage webhooks there can see, so everyone else gets NOT_FOUND. A failed mutation changes
 * nothing and writes no event (R3, R29); a successful one writes exactly one.
 */
import { Webhook, WebhookDelivery } from "../entities";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { accountField, objectRead, Target, visibleItems } from "./support/section5";
import { section5Suite } from "./support/section5-cases";
import { actorIn, addOutsider, expectFields, grantEveryRole, roleTableKit, World } from "./support/role-table";

describe("§5 role table: webhooks (R37)", () => {
  let server: TestServer;
  const { makeWorld, freshWorld, expectOutcome } = roleTableKit(() => server, "wh");
  const section5 = section5Suite("webhooks-role-table");
  const manager = () => server.build.manager;

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  /** A webhook row and one FAILED delivery of it, written straight to the database (no event). */
  async function hook(world: World, virtualAccountId: number | null, url: string) {
    const webhook = await manager().save(
      manager().create(Webhook, {
        smartAccountId: world.account.id,
        virtualAccountId,
        url,
        topics: "EVENT",
        secretSalt: "fixture",
        active: true,
        createdById: null,
        createdAt: server.clock.now(),
      }),
    );
    const delivery = await manager().save(
      manager().create(WebhookDelivery, {
        webhookId: webhook.id,
        notificationId: 1,
        topic: "EVENT",
        status: "FAILED",
        attempts: 7,
        createdAt: server.clock.now(),
        nextAttemptAt: null,
      }),
    );
    return { webhook, delivery };
  }

  describe("read rows", () => {
    let read: World;
    let fixtures: { target: Target; url: string; webhook: Webhook; delivery: WebhookDelivery }[];

    beforeAll(async () => {
      read = await makeWorld({ domain: "webhooks-read.test" });
      await grantEveryRole(read);
      const finance = await hook(read, read.finance.id, "https://finance.example/hook");
      const paris = await hook(read, read.paris.id, "https://paris.example/hook");
      const account = await hook(read, null, "https://account.example/hook");
      fixtures = [
        { target: "in scope", url: "https://finance.example/hook", ...finance },
        { target: "out of scope", url: "https://paris.example/hook", ...paris },
        { target: "account", url: "https://account.example/hook", ...account },
      ];
    });

    const WEBHOOKS = `query($domain: String!, $hook: ID!, $delivery: ID!) {
      smartAccount(domain: $domain) { name webhooks { totalCount nodes { url } } }
      hook: node(id: $hook) { ... on Webhook { url deliveries { totalCount nodes { status attempts } } } }
      delivery: node(id: $delivery) { ... on WebhookDelivery { status webhook { url } } }
    }`;

    section5.read("seeWebhooks", async (cell) => {
      const own = fixtures.find((fixture) => fixture.target === cell.target)!;
      const result = await server.gql(
        WEBHOOKS,
        { domain: read.domain, hook: gid("Webhook", own.webhook.id), delivery: gid("WebhookDelivery", own.delivery.id) },
        actorIn(read, cell),
      );
      const v = cell.viewer;
      const visible = visibleItems(v, "webhooks", fixtures);
      expectFields(result, [
        { path: ["smartAccount"], outcome: objectRead(v, "account", "account"), read: (a) => a.name, expected: read.domain },
        {
          path: ["smartAccount", "webhooks"],
          outcome: accountField(v, "webhooks"),
          read: (c) => [c.totalCount, c.nodes.map((n: { url: string }) => n.url).sort()],
          expected: [visible.length, visible.map((f) => f.url).sort()],
        },
        {
          path: ["hook"],
          outcome: objectRead(v, "webhooks", cell.target),
          expected: { url: own.url, deliveries: { totalCount: 1, nodes: [{ status: "FAILED", attempts: 7 }] } },
        },
        { path: ["delivery"], outcome: objectRead(v, "webhooks", cell.target), expected: { status: "FAILED", webhook: { url: own.url } } },
      ]);
    });
  });

  describe("manage webhooks", () => {
    const CREATE = `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { url virtualAccount { name } } } }`;

    section5.mutation("createWebhook", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const target = cell.inScope ? world.finance : world.paris;
      const input = {
        smartAccountId: gid("SmartAccount", world.account.id),
        virtualAccountId: gid("VirtualAccount", target.id),
        url: "https://hooks.example/in",
        topics: ["EVENT"],
      };
      const result = await server.gql(CREATE, { input }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "WEBHOOK_CREATED");
      const rows = await manager().findBy(Webhook, { smartAccountId: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.createWebhook.webhook).toEqual({ url: "https://hooks.example/in", virtualAccount: { name: target.name } });
        expect(rows.map((row) => row.virtualAccountId)).toEqual([target.id]);
      } else {
        expect(rows).toEqual([]);
      }
    });

    section5.mutation("createAccountWebhook", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const input = { smartAccountId: gid("SmartAccount", world.account.id), url: "https://hooks.example/all", topics: ["EVENT", "ALERT_RAISED"] };
      const result = await server.gql(CREATE, { input }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "WEBHOOK_CREATED");
      const rows = await manager().findBy(Webhook, { smartAccountId: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.createWebhook.webhook).toEqual({ url: "https://hooks.example/all", virtualAccount: null });
        expect(rows.map((row) => [row.virtualAccountId, row.topics])).toEqual([[null, "EVENT,ALERT_RAISED"]]);
      } else {
        expect(rows).toEqual([]);
      }
    });

    section5.mutation("deleteWebhook", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const { webhook } = await hook(world, (cell.inScope ? world.finance : world.paris).id, "https://hooks.example/gone");
      const result = await server.gql(`mutation($id: ID!) { deleteWebhook(id: $id) }`, { id: gid("Webhook", webhook.id) }, actor);
      await expectOutcome(result, cell.expected, world.account.id, "WEBHOOK_DELETED");
      const row = await manager().findOneByOrFail(Webhook, { id: webhook.id });
      if (cell.expected === "allowed") {
        expect(result.data.deleteWebhook).toBe(gid("Webhook", webhook.id));
        expect(row).toMatchObject({ active: false, disabledReason: "deleted" });
      } else {
        expect(row).toMatchObject({ active: true, disabledReason: null });
      }
    });

    section5.mutation("redeliverWebhook", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const { delivery } = await hook(world, (cell.inScope ? world.finance : world.paris).id, "https://hooks.example/again");
      const result = await server.gql(
        `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { status nextAttemptAt } }`,
        { id: gid("WebhookDelivery", delivery.id) },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "WEBHOOK_REDELIVERY_REQUESTED");
      const row = await manager().findOneByOrFail(WebhookDelivery, { id: delivery.id });
      if (cell.expected === "allowed") {
        expect(result.data.redeliverWebhook).toEqual({ status: "PENDING", nextAttemptAt: server.clock.now().toISOString() });
        expect(row.status).toBe("PENDING");
      } else {
        expect(row).toMatchObject({ status: "FAILED", nextAttemptAt: null });
      }
    });
  });

  section5.complete();
});
