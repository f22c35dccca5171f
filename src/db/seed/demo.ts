import { LicenseKind, Role, SmartAccount, SmartAccountStatus, SmartAccountType } from "../../../entities";
import { addMonths } from "../../orders/fulfilment";
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
  pendingApprover: "bill@initech.com",
  integration: "orders@commerce.example",
} as const;

/** The demo users the explorer offers tokens for, with the role each holds (README: Try it). */
export const DEMO_ROLES: { email: string; role: string }[] = [
  { email: DEMO_USERS.admin, role: "SMART_ACCOUNT_ADMIN of acme.com" },
  { email: DEMO_USERS.user, role: "SMART_ACCOUNT_USER of acme.com" },
  { email: DEMO_USERS.viewer, role: "SMART_ACCOUNT_VIEWER of acme.com" },
  { email: DEMO_USERS.approver, role: "SMART_ACCOUNT_APPROVER of acme.com" },
  { email: DEMO_USERS.vaAdmin, role: "VIRTUAL_ACCOUNT_ADMIN of US" },
  { email: DEMO_USERS.vaUser, role: "VIRTUAL_ACCOUNT_USER of US › Finance" },
  { email: DEMO_USERS.vaViewer, role: "VIRTUAL_ACCOUNT_VIEWER of EMEA" },
  { email: DEMO_USERS.partner, role: "partner: VIRTUAL_ACCOUNT_USER of acme.com US, SMART_ACCOUNT_ADMIN of bluepartner.com" },
];

/**
 * The demo data set, seeded on the first start of an empty database: acme.com with a nested tree,
 * a partner holding account, one user per role and a partner granted VIRTUAL_ACCOUNT_USER in acme.com.
 */
export async function seedDemoIfEmpty(db: Database): Promise<boolean> {
  if ((await db.manager.count(SmartAccount)) > 0) return false;
  await db.transaction(async (manager) => {
    const build = new Builder(manager);
    const acme = await build.account("acme.com", { name: "Acme Corporation" });
    const [us, finance, sacramento] = await acme.chain("US", "Finance", "Sacramento");
    const engineering = await acme.virtualAccount("Engineering", us);
    const [emea, sales] = await acme.chain("EMEA", "Sales");

    await acme.grant(DEMO_USERS.approver, Role.SMART_ACCOUNT_APPROVER);
    await acme.grant(DEMO_USERS.admin, Role.SMART_ACCOUNT_ADMIN);
    await acme.grant(DEMO_USERS.user, Role.SMART_ACCOUNT_USER);
    await acme.grant(DEMO_USERS.viewer, Role.SMART_ACCOUNT_VIEWER);
    await acme.grant(DEMO_USERS.vaAdmin, Role.VIRTUAL_ACCOUNT_ADMIN, us);
    await acme.grant(DEMO_USERS.vaUser, Role.VIRTUAL_ACCOUNT_USER, finance);
    await acme.grant(DEMO_USERS.vaViewer, Role.VIRTUAL_ACCOUNT_VIEWER, emea);
    await acme.grant(DEMO_USERS.partner, Role.VIRTUAL_ACCOUNT_USER, us);

    // Licenses (issue #3): term and perpetual lots over the tree, classic PAK lots, and a term lot
    // booked eleven months ago on a one-year term, so it expires within the month. Every order comes from
    // the commerce integration: no role places orders (R15).
    const now = new Date();
    await acme.order(
      [
        { sku: "C9300-DNA-A-3Y", quantity: 50, termMonths: 36, virtualAccount: finance },
        { sku: "C9300-NW-A", quantity: 40, virtualAccount: sacramento },
        { sku: "ISR4K-SEC", quantity: 10, virtualAccount: sales },
        { sku: "C9300-NW-A", quantity: 25, virtualAccount: us },
      ],
      { placedBy: DEMO_USERS.integration },
    );
    // Classic PAK lots: a legacy product that cannot convert (not smart-enabled), and ISR4K-SEC licenses
    // bought before Sales moved to Smart Licensing, which convert (R20) and cover Sales' shortage.
    await acme.order(
      [
        { sku: "L-ASA5506-SEC-PL", quantity: 5, kind: LicenseKind.CLASSIC },
        { sku: "ISR4K-SEC", quantity: 6, kind: LicenseKind.CLASSIC, virtualAccount: sales },
      ],
      { placedBy: DEMO_USERS.integration },
    );
    await acme.order([{ sku: "ASAv10-THREAT-1Y", quantity: 20, termMonths: 12, virtualAccount: engineering }], {
      placedBy: DEMO_USERS.integration,
      bookedAt: addMonths(now, -12 + 1),
    });
    await acme.order([{ sku: "C9300-DNA-E-3Y", quantity: 15, termMonths: 36, virtualAccount: emea }], {
      bookedAt: new Date(now.getTime() - 86_400_000 * 1100),
    });

    // Devices (issue #4): switches in Finance and Sacramento within their pools, routers in Sales using
    // more ISR4K-SEC than Sales holds (out of compliance), and one device silent for 45 days.
    const day = 86_400_000;
    for (let i = 1; i <= 3; i++) {
      await acme.device(finance, "C9300-48P", `FOC2301A0${i}`, {
        hostname: `fin-sw-${i}`,
        usage: [
          { sku: "C9300-DNA-A-3Y", count: 8 },
          { sku: "C9300-NW-A", count: 1 },
        ],
      });
    }
    await acme.device(sacramento, "C9300-24T", "FOC2301B01", { hostname: "sac-sw-1", usage: [{ sku: "C9300-NW-A", count: 12 }] });
    await acme.device(sales, "ISR4451-X", "FGL2231C01", { hostname: "sales-edge-1", usage: [{ sku: "ISR4K-SEC", count: 8 }] });
    await acme.device(sales, "ISR4451-X", "FGL2231C02", { hostname: "sales-edge-2", usage: [{ sku: "ISR4K-SEC", count: 6 }] });
    await acme.device(engineering, "ASAv", "9A7KXQ2B3C1", {
      hostname: "eng-fw-1",
      usage: [{ sku: "ASAv10-THREAT-1Y", count: 4 }],
      registeredAt: new Date(now.getTime() - 120 * day),
      lastReportedAt: new Date(now.getTime() - 45 * day),
    });
    // A registration token in every Virtual Account of acme.com (their secrets were shown to nobody:
    // create your own with createRegistrationToken to register a device).
    for (const va of [acme.defaultVirtualAccount, us, finance, sacramento, engineering, emea, sales]) {
      await acme.token(va, { description: `${va.name} devices`, maxUses: 100, createdBy: DEMO_USERS.admin });
    }

    const partner = await build.account("bluepartner.com", { name: "Blue Partner Holding", type: SmartAccountType.PARTNER_HOLDING });
    await partner.grant(DEMO_USERS.partner, Role.SMART_ACCOUNT_ADMIN);
    // Waiting in the holding account until the partner assigns it to a customer (R18).
    await partner.order([{ sku: "C9300-DNA-E-3Y", quantity: 30, termMonths: 36 }], { placedBy: DEMO_USERS.integration });

    // A customer account not yet activated, with an order waiting for it (R16).
    const initech = await build.account("initech.com", { name: "Initech", status: SmartAccountStatus.PENDING });
    await initech.grant(DEMO_USERS.pendingApprover, Role.SMART_ACCOUNT_APPROVER);
    await initech.order([{ sku: "C9300-NW-E", quantity: 25 }], { placedBy: DEMO_USERS.integration });
  });
  return true;
}
