/**
 * `npm run bench:seed -- --scale N [--reset] [--seed S]`
 *
 * Writes the benchmark reference data set into the database named by DATABASE_URL (default: the
 * SQLite file of src/config.ts), after bringing its schema up to date with the migrations:
 *
 *   bench.example.com   ≈1,000 nested Virtual Accounts (plus 3 chains 10 deep), 200 BENCH-* products,
 *                       100,000·N license lots from 10,000·N orders of 10 lines, 20,000·N devices
 *                       with 3 usages each, 50 users over all seven roles;
 *   small-NNN.example.com × 100, each with 3 Virtual Accounts, 10 lots, 5 devices and an admin.
 *
 * The kept pools (license_pools) are built from the lots and usage once everything is written.
 *
 * The builder of src/db/seed saves row by row through the entity manager, far too slow for this, so
 * this script writes multi-row INSERTs of about 1,000 rows with ids it computes itself (MAX(id)+1 of
 * each table): foreign keys are known without reading anything back. The same `?` placeholders and
 * UTC 'YYYY-MM-DD HH:MM:SS.SSS' literals work on better-sqlite3 and mysql2. A seeded PRNG makes
 * every run produce the same rows (dates are relative to the moment of the run).
 */
import "reflect-metadata";
import { QueryRunner } from "typeorm";
import { LicenseKind, LicenseModel, OrderStatus, Role, skuKey, SmartAccountStatus, SmartAccountType } from "../entities";
import { childPath, siblingKey } from "../src/accounts/tree";
import { DEFAULT_DATABASE_URL } from "../src/config";
import { SEED_CATALOG } from "../src/db/migrations/1763990000000-catalog";
import { openDatabase } from "../src/db/open";
import { hashSecret } from "../src/devices/secrets";
import { rebuildPools } from "../src/licenses/kept-pools";
import { addMonths } from "../src/orders/fulfilment";

const BENCH_DOMAIN = "bench.example.com";
const BATCH_ROWS = 1000;
const DAY = 86_400_000;
const YEAR = 365 * DAY;

/** The plan at scale 1; `--scale` multiplies only the three volumes marked so. */
const PLAN = {
  topLevel: 10,
  childrenPerTop: 9,
  grandchildrenPerChild: 10,
  /** Chains continuing from a depth-3 Virtual Account down to depth 10. */
  deepChains: 3,
  products: 200,
  ordersAtScale1: 10_000, // × scale
  linesPerOrder: 10,
  devicesAtScale1: 20_000, // × scale
  usagesPerDevice: 3,
  extraUsersPerRole: 8, // × 6 roles = 48, plus the two fixed users
  smallAccounts: 100,
  smallLots: 10,
  smallDevices: 5,
  /** admin@bench.example.com is also SMART_ACCOUNT_ADMIN of this many small accounts. */
  adminAlsoInSmall: 9,
};

/** Children before parents: the order rows are deleted in (and the reverse of the order they are written in). */
const TABLES_CHILDREN_FIRST = [
  "license_pools",
  "license_usages",
  "product_instances",
  "registration_tokens",
  "license_tags",
  "licenses",
  "order_lines",
  "orders",
  "events",
  "access_requests",
  "role_assignments",
  "virtual_accounts",
  "smart_accounts",
  "users",
  "products",
] as const;
type TableName = (typeof TABLES_CHILDREN_FIRST)[number];

const COLUMNS = {
  products: ["id", "sku", "sku_key", "name", "model", "smart_enabled", "created_at", "updated_at"],
  users: ["id", "email", "name", "created_at"],
  smart_accounts: [
    "id",
    "name",
    "domain",
    "type",
    "status",
    "awaiting_domain_approval",
    "domain_parent_id",
    "requested_by_id",
    "created_at",
    "activated_at",
  ],
  virtual_accounts: ["id", "smart_account_id", "parent_id", "name", "sibling_key", "description", "is_default", "depth", "path", "created_at"],
  role_assignments: ["id", "user_id", "smart_account_id", "virtual_account_id", "scope_key", "role", "granted_by_id", "created_at"],
  orders: ["id", "number", "status", "smart_account_id", "placed_by_id", "assigned_from_id", "created_at", "fulfilled_at"],
  order_lines: ["id", "order_id", "product_id", "kind", "quantity", "term_months", "starts_at", "ends_at", "virtual_account_id", "pak"],
  licenses: [
    "id",
    "smart_account_id",
    "virtual_account_id",
    "product_id",
    "order_id",
    "order_line_id",
    "kind",
    "quantity",
    "starts_at",
    "ends_at",
    "pak",
    "split_from_id",
    "created_at",
  ],
  license_tags: ["license_id", "tag"],
  product_instances: [
    "id",
    "smart_account_id",
    "virtual_account_id",
    "pid",
    "serial_number",
    "hostname",
    "credential_hash",
    "registration_token_id",
    "registered_at",
    "last_reported_at",
  ],
  license_usages: ["product_instance_id", "product_id", "count"],
  events: ["id", "type", "message", "actor_id", "smart_account_id", "virtual_account_id", "created_at"],
} satisfies Partial<Record<TableName, string[]>>;
type Row = (string | number | null)[];

const TAGS = ["production", "lab", "dr-site", "finance", "engineering", "renewal-q1", "renewal-q3", "emea", "amer", "apac", "legacy", "audit-2025"];
const PIDS = ["C9300-48P", "C9300-24T", "C9500-32C", "ISR4451-X", "ISR4331", "ASAv", "N9K-C93180YC-FX", "AIR-AP9120AXI", "C8300-1N1S-6T", "CSR1000V"];
const ROLES_BESIDES_FIXED = [
  Role.SMART_ACCOUNT_APPROVER,
  Role.SMART_ACCOUNT_USER,
  Role.SMART_ACCOUNT_VIEWER,
  Role.VIRTUAL_ACCOUNT_ADMIN,
  Role.VIRTUAL_ACCOUNT_USER,
  Role.VIRTUAL_ACCOUNT_VIEWER,
];
const PAK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"; // as generatePak: no 0/O, 1/I

// ---------------------------------------------------------------------------------------------
// Small helpers

/** mulberry32: tiny, fast and good enough to spread rows; seeded so runs are reproducible. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }
  /** k distinct elements (k is small next to the list, so retrying beats shuffling). */
  sample<T>(list: readonly T[], k: number): T[] {
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(Math.floor(this.next() * list.length));
    return [...chosen].map((i) => list[i]);
  }
  chars(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }
}

/** The UTC literal both databases read the same way into DATETIME(3). */
const sqlDate = (ms: number | Date): string => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
const bool = (value: boolean): number => (value ? 1 : 0);
const pad = (n: number, width: number): string => String(n).padStart(width, "0");
const fmt = (n: number): string => n.toLocaleString("en-US");
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface Options {
  scale: number;
  reset: boolean;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { scale: 1, reset: false, seed: 20260101 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--reset") options.reset = true;
    else if (arg === "--scale" || arg === "--seed") {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value) || value <= 0) throw new Error(`${arg} needs a positive number`);
      if (arg === "--scale") options.scale = value;
      else options.seed = Math.floor(value);
    } else throw new Error(`unknown argument "${arg}" (usage: npm run bench:seed -- --scale N [--reset] [--seed S])`);
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Bulk writing

/**
 * Writes rows in multi-row INSERTs and hands out ids. Ids continue from each table's MAX(id), read
 * once, so the script can run beside existing data (the demo, say) and never needs a generated id back.
 */
class BulkWriter {
  readonly inserted = new Map<TableName, number>();
  readonly elapsedMs = new Map<TableName, number>();
  private readonly nextIds = new Map<TableName, number>();
  private readonly sqlCache = new Map<string, string>();

  /**
   * @param commitEvery on MySQL/MariaDB the load runs in transactions committed every so many rows:
   * autocommit would sync the redo log after every statement, one huge transaction would grow the
   * undo log without bound at scale 10. SQLite keeps its single transaction (null).
   */
  constructor(
    private readonly runner: QueryRunner,
    private readonly commitEvery: number | null,
  ) {}

  private sinceCommit = 0;

  /** Called between chunks: commits and opens the next transaction once enough rows went in. */
  async checkpoint(): Promise<void> {
    if (this.commitEvery === null || this.sinceCommit < this.commitEvery) return;
    await this.runner.commitTransaction();
    await this.runner.startTransaction();
    this.sinceCommit = 0;
  }

  async loadIdCounters(): Promise<void> {
    for (const table of TABLES_CHILDREN_FIRST) {
      if (table === "license_tags" || table === "license_usages" || table === "license_pools") continue; // composite keys, no id
      const [row] = await this.runner.query(`SELECT MAX(id) AS max_id FROM ${table}`);
      this.nextIds.set(table, Number(row?.max_id ?? 0) + 1);
    }
  }

  /** Reserves `count` consecutive ids of `table`; returns the first. */
  take(table: TableName, count = 1): number {
    const first = this.nextIds.get(table);
    if (first === undefined) throw new Error(`no id counter for ${table}`);
    this.nextIds.set(table, first + count);
    return first;
  }

  async insert(table: keyof typeof COLUMNS, rows: Row[]): Promise<void> {
    const columns = COLUMNS[table];
    const started = Date.now();
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      const batch = rows.slice(start, start + BATCH_ROWS);
      const values: (string | number | null)[] = [];
      for (const row of batch) {
        if (row.length !== columns.length) throw new Error(`${table}: row of ${row.length} values for ${columns.length} columns`);
        for (const value of row) values.push(value);
      }
      await this.runner.query(this.insertSql(table, columns, batch.length), values);
    }
    this.inserted.set(table, (this.inserted.get(table) ?? 0) + rows.length);
    this.sinceCommit += rows.length;
    this.elapsedMs.set(table, (this.elapsedMs.get(table) ?? 0) + Date.now() - started);
  }

  /** Full batches share one SQL text, so better-sqlite3's statement cache prepares it once. */
  private insertSql(table: string, columns: string[], rowCount: number): string {
    const key = `${table}:${rowCount}`;
    let sql = this.sqlCache.get(key);
    if (!sql) {
      const tuple = `(${columns.map(() => "?").join(",")})`;
      sql = `INSERT INTO ${table} (${columns.join(",")}) VALUES ${new Array(rowCount).fill(tuple).join(",")}`;
      this.sqlCache.set(key, sql);
    }
    return sql;
  }
}

/** Prints "<label> 40,000 / 100,000" about every tenth of the way. */
function progress(label: string, total: number): (done: number) => void {
  const step = Math.max(1, Math.ceil(total / 10));
  let next = step;
  return (done) => {
    if (done >= next || done === total) {
      console.log(`  ${label} ${fmt(done)} / ${fmt(total)}`);
      while (next <= done) next += step;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The data set

interface ProductRef {
  id: number;
  model: LicenseModel;
  smartEnabled: boolean;
}

interface AccountRef {
  id: number;
  /** Every Virtual Account id of the account, Default first. */
  vaIds: number[];
}

class Seeder {
  readonly now = Date.now();
  readonly random: Random;
  products: ProductRef[] = [];
  smartProductIds: number[] = [];
  /** email → id of users that exist already (after an earlier run deleted only its accounts, say). */
  private existingUsers = new Map<string, number>();
  /** Active SMART quantity per Virtual Account and product, filled by orders() and drawn down by devices(). */
  private readonly headroom = new Map<number, Map<number, number>>();
  private readonly orderCount: number;
  private readonly deviceCount: number;

  constructor(
    readonly writer: BulkWriter,
    readonly runner: QueryRunner,
    readonly options: Options,
  ) {
    this.random = new Random(options.seed);
    this.orderCount = Math.max(1, Math.round(PLAN.ordersAtScale1 * options.scale));
    this.deviceCount = Math.max(1, Math.round(PLAN.devicesAtScale1 * options.scale));
  }

  async run(): Promise<void> {
    const { writer } = this;
    await writer.loadIdCounters();

    // The accounts go first: should a MySQL load (not one transaction) fail half-way, the bench
    // domain is already there and the next run refuses until --reset.
    const bench = await this.timed("smart accounts", () => this.smartAccounts());
    await this.timed("products", () => this.benchProducts());
    const benchAccount = await this.timed("virtual accounts (bench)", () => this.benchTree(bench.benchId));
    const smallAccounts = await this.timed("virtual accounts (small)", () => this.smallTrees(bench.smallIds));
    const admin = await this.timed("users and roles", () => this.usersAndRoles(benchAccount, smallAccounts));

    await this.timed(`orders, order lines, licenses, tags (bench, ${fmt(this.orderCount)} orders)`, () =>
      this.orders(benchAccount, this.orderCount, admin, progress("license lots", this.orderCount * PLAN.linesPerOrder)),
    );
    await this.timed(`devices and usages (bench, ${fmt(this.deviceCount)} devices)`, () =>
      this.devices(benchAccount, this.deviceCount, progress("devices", this.deviceCount)),
    );
    await this.timed("orders, licenses and devices (small accounts)", async () => {
      for (const account of smallAccounts) {
        await this.orders(account, PLAN.smallLots / PLAN.linesPerOrder, admin, () => undefined);
        await this.devices(account, PLAN.smallDevices, () => undefined);
      }
    });
    await this.timed("events", () => this.events([benchAccount, ...smallAccounts], admin));
  }

  private async timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    console.log(`${label}…`);
    const result = await work();
    console.log(`  done in ${seconds(Date.now() - started)}`);
    return result;
  }

  /** bench.example.com and small-001…small-100, all ACTIVE customers. */
  private async smartAccounts(): Promise<{ benchId: number; smallIds: number[] }> {
    const created = sqlDate(this.now - 3 * YEAR - 30 * DAY);
    const rows: Row[] = [];
    const benchId = this.writer.take("smart_accounts");
    rows.push([benchId, "Bench Corporation", BENCH_DOMAIN, SmartAccountType.CUSTOMER, SmartAccountStatus.ACTIVE, 0, null, null, created, created]);
    const smallIds: number[] = [];
    for (let i = 1; i <= PLAN.smallAccounts; i++) {
      const id = this.writer.take("smart_accounts");
      smallIds.push(id);
      rows.push([
        id,
        `Small Customer ${pad(i, 3)}`,
        smallDomain(i),
        SmartAccountType.CUSTOMER,
        SmartAccountStatus.ACTIVE,
        0,
        null,
        null,
        created,
        created,
      ]);
    }
    await this.writer.insert("smart_accounts", rows);
    return { benchId, smallIds };
  }

  /**
   * BENCH-0001…BENCH-0200: every tenth product is classic-only (not smart-enabled), every third is
   * PERPETUAL and the rest TERM. SKUs that already exist (products outlive accounts) are reused.
   */
  private async benchProducts(): Promise<void> {
    const existing = new Map<string, number>();
    for (const row of (await this.runner.query("SELECT id, sku FROM products WHERE sku LIKE 'BENCH-%'")) as { id: number; sku: string }[]) {
      existing.set(row.sku, Number(row.id));
    }
    const created = sqlDate(this.now - 4 * YEAR);
    const rows: Row[] = [];
    for (let i = 1; i <= PLAN.products; i++) {
      const sku = `BENCH-${pad(i, 4)}`;
      const smartEnabled = i % 10 !== 0;
      const model = i % 3 === 0 ? LicenseModel.PERPETUAL : LicenseModel.TERM;
      let id = existing.get(sku);
      if (id === undefined) {
        id = this.writer.take("products");
        const name = `Bench ${model === LicenseModel.TERM ? "subscription" : "perpetual license"} ${pad(i, 4)}${smartEnabled ? "" : " (classic PAK only)"}`;
        rows.push([id, sku, skuKey(sku), name, model, bool(smartEnabled), created, created]);
      }
      this.products.push({ id, model, smartEnabled });
    }
    if (existing.size) {
      // Reused rows keep their own model/flag: read them back so lots match what the rows say.
      const byId = new Map<number, { model: LicenseModel; smart_enabled: number | boolean }>();
      for (const row of (await this.runner.query("SELECT id, model, smart_enabled FROM products WHERE sku LIKE 'BENCH-%'")) as {
        id: number;
        model: LicenseModel;
        smart_enabled: number | boolean;
      }[]) {
        byId.set(Number(row.id), row);
      }
      for (const product of this.products) {
        const row = byId.get(product.id);
        if (row) Object.assign(product, { model: row.model, smartEnabled: Boolean(Number(row.smart_enabled)) });
      }
    }
    await this.writer.insert("products", rows);
    this.smartProductIds = this.products.filter((p) => p.smartEnabled).map((p) => p.id);
    console.log(`  ${fmt(rows.length)} new, ${fmt(existing.size)} reused`);
  }

  /** One Virtual Account row, with path, depth and sibling key exactly as src/accounts/tree.ts has them. */
  private virtualAccount(
    rows: Row[],
    accountId: number,
    parent: { id: number; path: string; depth: number } | null,
    name: string,
    created: string,
    isDefault = false,
  ): { id: number; path: string; depth: number } {
    const id = this.writer.take("virtual_accounts");
    const path = childPath(parent?.path ?? null, id);
    const depth = (parent?.depth ?? 0) + 1;
    rows.push([id, accountId, parent?.id ?? null, name, siblingKey(parent?.id ?? null, name), null, bool(isDefault), depth, path, created]);
    return { id, path, depth };
  }

  /**
   * Default + 10 regions × 9 areas × 10 sites (1,001 Virtual Accounts) and 3 chains that go on from a
   * depth-3 site down to depth 10. The first chain hangs under the first region, so the subtree of
   * va-user@bench.example.com holds a 10-deep path too.
   */
  private async benchTree(accountId: number): Promise<AccountRef & { firstTopLevelId: number }> {
    const created = sqlDate(this.now - 3 * YEAR);
    const rows: Row[] = [];
    this.virtualAccount(rows, accountId, null, "Default", created, true);
    const sites: { id: number; path: string; depth: number }[][] = [];
    let firstTopLevelId = 0;
    for (let r = 1; r <= PLAN.topLevel; r++) {
      const region = this.virtualAccount(rows, accountId, null, `Region ${pad(r, 2)}`, created);
      if (r === 1) firstTopLevelId = region.id;
      const regionSites: { id: number; path: string; depth: number }[] = [];
      for (let a = 1; a <= PLAN.childrenPerTop; a++) {
        const area = this.virtualAccount(rows, accountId, region, `Area ${pad(r, 2)}-${a}`, created);
        for (let s = 1; s <= PLAN.grandchildrenPerChild; s++) {
          regionSites.push(this.virtualAccount(rows, accountId, area, `Site ${pad(r, 2)}-${a}-${pad(s, 2)}`, created));
        }
      }
      sites.push(regionSites);
    }
    for (let c = 0; c < PLAN.deepChains; c++) {
      // Regions 1, 4, 7: the first site of each.
      let parent = sites[(c * 3) % sites.length][0];
      while (parent.depth < 10) parent = this.virtualAccount(rows, accountId, parent, `Level ${parent.depth + 1}`, created);
    }
    await this.writer.insert("virtual_accounts", rows);
    console.log(`  ${fmt(rows.length)} Virtual Accounts in ${BENCH_DOMAIN}`);
    return { id: accountId, vaIds: rows.map((row) => row[0] as number), firstTopLevelId };
  }

  /** Each small account: Default, "Operations" and its child "Lab". */
  private async smallTrees(accountIds: number[]): Promise<AccountRef[]> {
    const created = sqlDate(this.now - 2 * YEAR);
    const rows: Row[] = [];
    const accounts = accountIds.map((id) => {
      const def = this.virtualAccount(rows, id, null, "Default", created, true);
      const operations = this.virtualAccount(rows, id, null, "Operations", created);
      const lab = this.virtualAccount(rows, id, operations, "Lab", created);
      return { id, vaIds: [def.id, operations.id, lab.id] };
    });
    await this.writer.insert("virtual_accounts", rows);
    return accounts;
  }

  private async loadExistingUsers(emails: string[]): Promise<void> {
    for (let start = 0; start < emails.length; start += 500) {
      const slice = emails.slice(start, start + 500);
      const found = (await this.runner.query(`SELECT id, email FROM users WHERE email IN (${slice.map(() => "?").join(",")})`, slice)) as {
        id: number;
        email: string;
      }[];
      for (const row of found) this.existingUsers.set(row.email, Number(row.id));
    }
  }

  /**
   * 50 users in bench.example.com — admin@ (SMART_ACCOUNT_ADMIN), va-user@ (VIRTUAL_ACCOUNT_USER on the
   * first region) and 8 for each other role — and an admin per small account; admin@bench is also
   * admin of the first nine small accounts (a dashboard of 10 accounts), va-user@ of none.
   */
  private async usersAndRoles(bench: AccountRef & { firstTopLevelId: number }, small: AccountRef[]): Promise<number> {
    const created = sqlDate(this.now - 2 * YEAR);
    type Grant = { email: string; name: string; accountId: number; role: Role; vaId: number | null };
    const grants: Grant[] = [
      { email: `admin@${BENCH_DOMAIN}`, name: "Bench Admin", accountId: bench.id, role: Role.SMART_ACCOUNT_ADMIN, vaId: null },
      { email: `va-user@${BENCH_DOMAIN}`, name: "Bench VA User", accountId: bench.id, role: Role.VIRTUAL_ACCOUNT_USER, vaId: bench.firstTopLevelId },
    ];
    const nonDefault = bench.vaIds.slice(1);
    for (const role of ROLES_BESIDES_FIXED) {
      const slug = role.toLowerCase().replace(/_/g, "-");
      for (let n = 1; n <= PLAN.extraUsersPerRole; n++) {
        const vaId = role.startsWith("VIRTUAL_ACCOUNT") ? this.random.pick(nonDefault) : null;
        grants.push({ email: `${slug}-${pad(n, 2)}@${BENCH_DOMAIN}`, name: `Bench ${slug} ${n}`, accountId: bench.id, role, vaId });
      }
    }
    small.forEach((account, i) => {
      grants.push({
        email: `admin@${smallDomain(i + 1)}`,
        name: `Admin of small ${pad(i + 1, 3)}`,
        accountId: account.id,
        role: Role.SMART_ACCOUNT_ADMIN,
        vaId: null,
      });
      if (i < PLAN.adminAlsoInSmall) grants.push({ ...grants[0], accountId: account.id });
    });

    const emails = [...new Set(grants.map((g) => g.email))];
    await this.loadExistingUsers(emails);
    const userIds = new Map(this.existingUsers);
    const userRows: Row[] = [];
    for (const grant of grants) {
      if (userIds.has(grant.email)) continue;
      const id = this.writer.take("users");
      userIds.set(grant.email, id);
      userRows.push([id, grant.email, grant.name, created]);
    }
    await this.writer.insert("users", userRows);

    const roleRows: Row[] = grants.map((g) => [
      this.writer.take("role_assignments"),
      userIds.get(g.email) as number,
      g.accountId,
      g.vaId,
      g.vaId ?? 0, // scope_key: the Virtual Account, or 0 for Smart Account roles
      g.role,
      null,
      created,
    ]);
    await this.writer.insert("role_assignments", roleRows);
    console.log(`  ${fmt(userRows.length)} users (${fmt(this.existingUsers.size)} reused), ${fmt(roleRows.length)} role assignments`);
    return userIds.get(`admin@${BENCH_DOMAIN}`) as number;
  }

  /**
   * `orderCount` FULFILLED orders of 10 lines, each line delivered as one lot, the way deliverOrder
   * would: line and lot share product, kind, quantity, dates, Virtual Account and PAK. All lines of an
   * order start at its booking time (R16), some time in the last 3 years; TERM lots run 12, 36 or 60
   * months from it, so a share has expired and some expire within 90 days. Written 1,000 orders at a
   * time, parents before children, so memory stays flat at scale 10.
   */
  private async orders(account: AccountRef, orderCount: number, placedById: number, report: (lots: number) => void): Promise<void> {
    const { random, writer } = this;
    const chunkOrders = 1000;
    let lotsDone = 0;
    for (let start = 0; start < orderCount; start += chunkOrders) {
      const n = Math.min(chunkOrders, orderCount - start);
      const orders: Row[] = [];
      const lines: Row[] = [];
      const lots: Row[] = [];
      const tags: Row[] = [];
      for (let o = 0; o < n; o++) {
        const orderId = writer.take("orders");
        const bookedAt = this.now - Math.floor(random.next() * 3 * YEAR);
        const booked = sqlDate(bookedAt);
        orders.push([orderId, `SO-BENCH-${orderId}`, OrderStatus.FULFILLED, account.id, placedById, null, booked, booked]);
        for (let l = 0; l < PLAN.linesPerOrder; l++) {
          const product = random.pick(this.products);
          // CLASSIC only where the product cannot take SMART licenses.
          const kind = product.smartEnabled ? LicenseKind.SMART : LicenseKind.CLASSIC;
          const quantity = random.int(1, 100);
          const termMonths = product.model === LicenseModel.TERM ? random.pick([12, 36, 60]) : null;
          const endsAt = termMonths === null ? null : sqlDate(addMonths(new Date(bookedAt), termMonths));
          const vaId = random.pick(account.vaIds);
          const pak = kind === LicenseKind.CLASSIC ? `PAK-${[0, 1, 2, 3].map(() => random.chars(PAK_ALPHABET, 4)).join("-")}` : null;
          const lineId = writer.take("order_lines");
          const lotId = writer.take("licenses");
          lines.push([lineId, orderId, product.id, kind, quantity, termMonths, booked, endsAt, vaId, pak]);
          lots.push([lotId, account.id, vaId, product.id, orderId, lineId, kind, quantity, booked, endsAt, pak, null, booked]);
          if (kind === LicenseKind.SMART && (termMonths === null || addMonths(new Date(bookedAt), termMonths).getTime() > this.now)) {
            // What devices of this Virtual Account can consume (see devices()).
            const pool = this.headroom.get(vaId) ?? new Map<number, number>();
            pool.set(product.id, (pool.get(product.id) ?? 0) + quantity);
            this.headroom.set(vaId, pool);
          }
          if (random.chance(0.1)) for (const tag of random.sample(TAGS, random.int(1, 3))) tags.push([lotId, tag]);
        }
      }
      await writer.insert("orders", orders);
      await writer.insert("order_lines", lines);
      await writer.insert("licenses", lots);
      await writer.insert("license_tags", tags);
      await writer.checkpoint();
      lotsDone += lots.length;
      report(lotsDone);
    }
  }

  /**
   * Registered devices: unique (pid, serial) via the id, a credential hash of a secret derived from
   * the PRNG and the id (unique and reproducible), registered in the last year and mostly reporting
   * within 30 days (5% silent for longer), each using 3 distinct smart-enabled products.
   */
  /**
   * A device's 3 usage lines, as in a real account: products its Virtual Account holds active SMART
   * licenses of, within what is left there, so pools are mostly compliant; about 1% of lines overrun
   * (overage, R25), which puts some pools out of compliance. Where the Virtual Account holds too few
   * products, any smart product (an overage too).
   */
  private usageOf(deviceId: number, vaId: number): Row[] {
    const { random } = this;
    const pool = this.headroom.get(vaId) ?? new Map<number, number>();
    const held = [...pool.entries()].filter(([, left]) => left > 0).map(([productId]) => productId);
    const products =
      held.length >= PLAN.usagesPerDevice ? random.sample(held, PLAN.usagesPerDevice) : random.sample(this.smartProductIds, PLAN.usagesPerDevice);
    return products.map((productId) => {
      const left = pool.get(productId) ?? 0;
      const count = random.chance(0.01) ? left + random.int(1, 5) : Math.max(1, Math.min(random.int(1, 5), left));
      pool.set(productId, left - count);
      return [deviceId, productId, count];
    });
  }

  private async devices(account: AccountRef, count: number, report: (done: number) => void): Promise<void> {
    const { random, writer } = this;
    const chunk = 1000;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const devices: Row[] = [];
      const usages: Row[] = [];
      for (let d = 0; d < n; d++) {
        const id = writer.take("product_instances");
        const pid = random.pick(PIDS);
        const secret = `dev_bench_${this.options.seed}_${id}_${random.chars("0123456789abcdef", 32)}`;
        let registeredAt = this.now - Math.floor(random.next() * YEAR);
        let lastReportedAt: number;
        if (random.chance(0.05)) {
          // Silent for 31–180 days: registered before it went quiet.
          lastReportedAt = this.now - (31 * DAY + Math.floor(random.next() * 149 * DAY));
          if (registeredAt > lastReportedAt) registeredAt = lastReportedAt - Math.floor(random.next() * 180 * DAY) - DAY;
        } else {
          lastReportedAt = this.now - Math.floor(random.next() * 30 * DAY);
          if (lastReportedAt < registeredAt) lastReportedAt = registeredAt + Math.floor(random.next() * (this.now - registeredAt));
        }
        const hostname = `${pid.split("-")[0].toLowerCase()}-${pad(id, 7)}.${BENCH_DOMAIN}`;
        devices.push([
          id,
          account.id,
          random.pick(account.vaIds),
          pid,
          `BENCH${id}`,
          hostname,
          hashSecret(secret),
          null,
          sqlDate(registeredAt),
          sqlDate(lastReportedAt),
        ]);
        usages.push(...this.usageOf(id, Number(devices[devices.length - 1][2])));
      }
      await writer.insert("product_instances", devices);
      await writer.insert("license_usages", usages);
      await writer.checkpoint();
      report(start + n);
    }
  }

  /** One BENCH_SEEDED event per account, so the audit trail is not empty. */
  private async events(accounts: AccountRef[], actorId: number): Promise<void> {
    const now = sqlDate(this.now);
    const message = `Benchmark data set seeded (scale ${this.options.scale}, seed ${this.options.seed})`;
    await this.writer.insert(
      "events",
      accounts.map((account) => [this.writer.take("events"), "BENCH_SEEDED", message, actorId, account.id, null, now]),
    );
  }
}

const smallDomain = (n: number): string => `small-${pad(n, 3)}.example.com`;

// ---------------------------------------------------------------------------------------------
// Reset and main

/**
 * Empties every table, children before parents, then puts back the catalog products, which came from
 * a migration that will not run again.
 *
 * SQLite: DELETE in one transaction. Virtual Accounts reference their parent (ON DELETE RESTRICT), so
 * parent links are cut first. MySQL/MariaDB: DELETE of a million rows takes minutes there (row by
 * row, with undo), so TRUNCATE with foreign-key checks off for this session only — safe because every
 * table is emptied, children first. TRUNCATE commits by itself, hence outside the load's transactions.
 */
async function resetAll(runner: QueryRunner, kind: "sqlite" | "mysql"): Promise<void> {
  if (kind === "sqlite") await runner.startTransaction();
  else await runner.query("SET FOREIGN_KEY_CHECKS = 0");
  try {
    for (const table of TABLES_CHILDREN_FIRST) {
      const started = Date.now();
      if (kind === "mysql") await runner.query(`TRUNCATE TABLE ${table}`);
      else {
        if (table === "virtual_accounts") await runner.query("UPDATE virtual_accounts SET parent_id = NULL WHERE parent_id IS NOT NULL");
        if (table === "smart_accounts") await runner.query("UPDATE smart_accounts SET domain_parent_id = NULL WHERE domain_parent_id IS NOT NULL");
        await runner.query(`DELETE FROM ${table}`);
      }
      const took = Date.now() - started;
      if (took > 200) console.log(`  emptied ${table} in ${seconds(took)}`);
    }
  } finally {
    if (kind === "mysql") await runner.query("SET FOREIGN_KEY_CHECKS = 1");
  }
  const now = sqlDate(new Date());
  for (const product of SEED_CATALOG) {
    await runner.query("INSERT INTO products (sku, sku_key, name, model, smart_enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
      product.sku,
      skuKey(product.sku),
      product.name,
      product.model,
      bool(product.smartEnabled),
      now,
      now,
    ]);
  }
  if (kind === "sqlite") await runner.commitTransaction();
}

async function printCounts(runner: QueryRunner, writer: BulkWriter): Promise<void> {
  console.log("\ntable                 rows now   inserted   insert time");
  for (const table of [...TABLES_CHILDREN_FIRST].reverse()) {
    const [row] = await runner.query(`SELECT COUNT(*) AS n FROM ${table}`);
    const inserted = writer.inserted.get(table) ?? 0;
    const ms = writer.elapsedMs.get(table);
    console.log(`${table.padEnd(20)} ${fmt(Number(row.n)).padStart(10)} ${fmt(inserted).padStart(10)}   ${ms === undefined ? "" : seconds(ms)}`);
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const url = process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
  const started = Date.now();
  console.log(`bench:seed scale ${options.scale}, seed ${options.seed} into ${url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")}`);
  const db = await openDatabase(url);
  const runner = db.dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [existing] = await runner.query("SELECT id FROM smart_accounts WHERE domain = ?", [BENCH_DOMAIN]);
    if (existing && !options.reset) {
      throw new Error(
        `${BENCH_DOMAIN} is already in this database (Smart Account ${existing.id}); run with --reset to empty every table and seed again.`,
      );
    }
    if (options.reset) {
      const resetStarted = Date.now();
      console.log("reset: deleting every row…");
      await resetAll(runner, db.kind);
      console.log(`  done in ${seconds(Date.now() - resetStarted)}`);
    }
    // SQLite: one transaction, so the load is all-or-nothing and avoids a journal sync per statement.
    // MySQL/MariaDB: a transaction per ~50,000 rows (see BulkWriter.checkpoint).
    const writer = new BulkWriter(runner, db.kind === "mysql" ? 50_000 : null);
    await runner.startTransaction();
    try {
      await new Seeder(writer, runner, options).run();
      const commitStarted = Date.now();
      await runner.commitTransaction();
      console.log(`commit in ${seconds(Date.now() - commitStarted)}`);
      // Rows were written in bulk, past the services that keep pools: the kept pools are built once
      // from the lots and usage, as the migration builds them.
      const poolsStarted = Date.now();
      await rebuildPools(runner.manager, new Date());
      console.log(`kept pools built in ${seconds(Date.now() - poolsStarted)}`);
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    }
    await printCounts(runner, writer);
  } finally {
    await runner.release();
    await db.dataSource.destroy();
  }
  console.log(`\nbench:seed finished in ${seconds(Date.now() - started)}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
