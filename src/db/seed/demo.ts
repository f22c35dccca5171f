import { Role, SmartAccount, SmartAccountType } from "../../../entities";
import { Database } from "../database";
import { Builder } from "./builder";

/** The demo users of the README, one per role, plus a partner with delegated access. */
export const DEMO_USERS = {
  approver: "approver@acme.com",
  admin: "admin@acme.com",
  user: "user@acme.com",
  viewer: "viewer@acme.com",
  vaAdmin: "us-admin@acme.com",
  vaUser: "finance-user@acme.com",
  vaViewer: "emea-viewer@acme.com",
  partner: "alex@bluepartner.com",
} as const;

/**
 * The demo data set, seeded on the first start of an empty database: acme.com with a nested tree,
 * a partner holding account, one user per role and a partner granted VIRTUAL_ACCOUNT_USER in acme.com.
 */
export async function seedDemoIfEmpty(db: Database): Promise<boolean> {
  if ((await db.manager.count(SmartAccount)) > 0) return false;
  await db.transaction(async (manager) => {
    const build = new Builder(manager);
    const acme = await build.account("acme.com", { name: "Acme Corporation" });
    const [us, finance] = await acme.chain("US", "Finance", "Sacramento");
    await acme.virtualAccount("Engineering", us);
    const [emea] = await acme.chain("EMEA", "Sales");

    await acme.grant(DEMO_USERS.approver, Role.SMART_ACCOUNT_APPROVER);
    await acme.grant(DEMO_USERS.admin, Role.SMART_ACCOUNT_ADMIN);
    await acme.grant(DEMO_USERS.user, Role.SMART_ACCOUNT_USER);
    await acme.grant(DEMO_USERS.viewer, Role.SMART_ACCOUNT_VIEWER);
    await acme.grant(DEMO_USERS.vaAdmin, Role.VIRTUAL_ACCOUNT_ADMIN, us);
    await acme.grant(DEMO_USERS.vaUser, Role.VIRTUAL_ACCOUNT_USER, finance);
    await acme.grant(DEMO_USERS.vaViewer, Role.VIRTUAL_ACCOUNT_VIEWER, emea);
    await acme.grant(DEMO_USERS.partner, Role.VIRTUAL_ACCOUNT_USER, us);

    const partner = await build.account("bluepartner.com", { name: "Blue Partner Holding", type: SmartAccountType.PARTNER_HOLDING });
    await partner.grant(DEMO_USERS.partner, Role.SMART_ACCOUNT_ADMIN);
  });
  return true;
}
