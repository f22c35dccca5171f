/**
 * `npm run pools:check [-- --repair] [-- --domain example.com]`: every kept pool (license_pools) of the
 * database in DATABASE_URL against its lots and usage summed from scratch, at this moment. Prints each
 * pool that differs (at most 50) and exits 1 when any does; with `--repair` those accounts' pools are
 * rebuilt from the lots and usage in one transaction, checked again, and it exits 0 when they agree.
 */
import "reflect-metadata";
import { DEFAULT_DATABASE_URL } from "../config";
import { openDatabase } from "../db/open";
import { runSql, sql } from "../db/sql";
import { comparePools, PoolDifference, rebuildPools } from "../licenses/kept-pools";

const SHOWN = 50;

function parseArgs(argv: string[]): { repair: boolean; domain: string | null } {
  let repair = false;
  let domain: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--repair") repair = true;
    else if (argv[i] === "--domain" && argv[i + 1]) domain = argv[++i].trim().toLowerCase();
    else throw new Error(`pools:check takes --repair and --domain <domain>, not ${JSON.stringify(argv[i])}`);
  }
  return { repair, domain };
}

const describe = (d: PoolDifference) =>
  `Virtual Account ${d.virtualAccountId}, product ${d.productId}: kept purchased ${d.kept.purchased} / in use ${d.kept.inUse} / next expiry ${d.kept.nextExpiry ?? "none"}` +
  `, lots and usage say ${d.actual.purchased} / ${d.actual.inUse} / ${d.actual.nextExpiry ?? "none"}`;

async function main(): Promise<number> {
  const { repair, domain } = parseArgs(process.argv.slice(2));
  const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  const db = await openDatabase(url);
  try {
    let where = sql`1 = 1`;
    if (domain !== null) {
      const [account] = await runSql<{ id: unknown }>(db.dataSource, sql`SELECT id FROM smart_accounts WHERE domain = ${domain}`);
      if (!account) throw new Error(`No Smart Account has the domain ${domain}.`);
      where = sql`va.smart_account_id = ${Number(account.id)}`;
    }
    const now = new Date();
    const started = Date.now();
    const { pools, differences } = await comparePools(db.manager, now, where);
    console.log(
      `${pools.toLocaleString("en")} pools checked in ${Date.now() - started} ms: ${differences.length ? `${differences.length} differ` : "all agree"}`,
    );
    for (const difference of differences.slice(0, SHOWN)) console.log(`  ${describe(difference)}`);
    if (differences.length > SHOWN) console.log(`  … and ${differences.length - SHOWN} more`);
    if (!differences.length) return 0;
    if (!repair) {
      console.log("Run with --repair to rebuild them from the lots and usage.");
      return 1;
    }
    // The accounts of the differing pools are rebuilt whole, in one transaction.
    const vaIds = [...new Set(differences.map((d) => d.virtualAccountId))];
    const accounts = await runSql<{ id: unknown }>(
      db.dataSource,
      sql`SELECT DISTINCT smart_account_id AS id FROM virtual_accounts va WHERE ${sql.in(sql`va.id`, vaIds)}`,
    );
    const scope = sql`${sql.in(
      sql`va.smart_account_id`,
      accounts.map((a) => Number(a.id)),
    )}`;
    await db.transaction((manager) => rebuildPools(manager, new Date(), scope));
    const after = await comparePools(db.manager, new Date(), where);
    console.log(
      `repaired the pools of ${accounts.length} Smart Account(s): ${after.differences.length ? `${after.differences.length} still differ` : "all agree now"}`,
    );
    return after.differences.length ? 1 : 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
