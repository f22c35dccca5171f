import { NotificationPreference } from "../entities";
import { countRows } from "./support/db-counts";
import { startTestServer, TestServer } from "./support/harness";
import { gid } from "./support/ids";
import { addOutsider, roleTableKit } from "./support/role-table";
import { section5Suite } from "./support/section5-cases";

/**
 * SPEC §5 "set one's own notification preferences (R38)": every role ✓; an outsider names an account they
 * cannot see (NOT_FOUND, R4); no token is UNAUTHENTICATED (R1). Cases and outcomes come from the table
 * (test/support/section5.ts) through the registry (test/support/section5-cases.ts).
 */
describe("§5 role table: notification preferences (R38)", () => {
  let server: TestServer;
  const { freshWorld, expectOutcome } = roleTableKit(() => server, "mail");
  const section5 = section5Suite("mail-role-table");

  beforeAll(async () => {
    server = await startTestServer();
    await addOutsider(server);
  });
  afterAll(() => server.close());

  describe("set one's own notification preferences (R38)", () => {
    section5.mutation("setPreferences", async (cell) => {
      const { world, actor } = await freshWorld(cell);
      const result = await server.gql(
        `mutation($input: SetNotificationPreferencesInput!) { setNotificationPreferences(input: $input) { dailyDigest immediateAlertTypes } }`,
        { input: { smartAccountId: gid("SmartAccount", world.account.id), dailyDigest: true, immediateAlertTypes: ["LICENSES_EXPIRING"] } },
        actor,
      );
      await expectOutcome(result, cell.expected, world.account.id, "NOTIFICATION_PREFERENCES_SET");
      const rows = await server.build.manager.findBy(NotificationPreference, { smartAccountId: world.account.id });
      if (cell.expected === "allowed") {
        expect(result.data.setNotificationPreferences).toEqual({ dailyDigest: true, immediateAlertTypes: ["LICENSES_EXPIRING"] });
        // The caller's own row, and only theirs.
        expect(rows).toHaveLength(1);
        expect(await countRows(server, "users", "id = ? AND email = ?", [rows[0].userId, actor])).toBe(1);
      } else {
        expect(rows).toEqual([]);
      }
    });
  });

  section5.complete();
});
