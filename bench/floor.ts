/**
 * The floor: each reference operation's rows fetched by minimal hand-written SQL through the raw driver
 * (mysql2, or better-sqlite3 for a SQLite file) and serialised to JSON, over plain node:http. No ORM, no
 * GraphQL, no auth layer beyond the one lookup a scoped answer needs. `GET /<Operation>?user=<email>[&after=<id>]`.
 */
import http from "node:http";
import Database from "better-sqlite3";
import mysql from "mysql2/promise";

type Row = Record<string, any>;
type Query = (sql: string, params?: unknown[]) => Promise<Row[]>;

const DOMAIN = "bench.example.com";
const WINDOW_DAYS = 90;

function connect(url: string): Query {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length), { readonly: true });
    return async (sql, params = []) => db.prepare(sql).all(...(params as never[])) as Row[];
  }
  const pool = mysql.createPool({ uri: url.replace(/^mariadb:/, "mysql:"), connectionLimit: 10, timezone: "Z" });
  return async (sql, params = []) => (await pool.query(sql, params))[0] as Row[];
}

const sqlDate = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");
const marks = (values: unknown[]) => values.map(() => "?").join(", ") || "NULL";

/** The viewer's grants: account-wide accounts, and subtree paths for VA roles. */
async function scopeOf(q: Query, email: string) {
  const grants = await q(
    `SELECT ra.smart_account_id, ra.role, va.path FROM users u JOIN role_assignments ra ON ra.user_id = u.id
       LEFT JOIN virtual_accounts va ON va.id = ra.virtual_account_id WHERE u.email = ?`,
    [email],
  );
  const whole = grants
    .filter((g) => g.role.startsWith("SMART_ACCOUNT_") && g.role !== "SMART_ACCOUNT_APPROVER")
    .map((g) => Number(g.smart_account_id));
  const paths = grants.filter((g) => g.path).map((g) => String(g.path));
  const accounts = [...new Set(grants.map((g) => Number(g.smart_account_id)))];
  const sql = (alias: string) => `(${[`${alias}.smart_account_id IN (${marks(whole)})`, ...paths.map(() => `${alias}.path LIKE ?`)].join(" OR ")})`;
  const params = [...whole, ...paths.map((p) => `${p}%`)];
  return { accounts, whole, paths, sql, params };
}

/**
 * The pools by hand over the kept rows (license_pools), as the service reads them: a row whose soonest lot
 * has ended (or that was counted after `now`) is summed from its lots. Until the kept pools, this floor
 * summed lots and usage (bench/results.md keeps both floors' figures).
 */
async function pools(q: Query, owners: { owner: string; from: string; where: string; params: unknown[] }, now: Date) {
  const at = sqlDate(now);
  const lots = (figure: string) =>
    `(SELECT ${figure} FROM licenses l WHERE l.virtual_account_id = kp.virtual_account_id AND l.product_id = kp.product_id
        AND l.kind = 'SMART' AND (l.ends_at IS NULL OR l.ends_at > ?) AND l.quantity > 0)`;
  const stale = "(kp.next_expiry <= ? OR kp.counted_at > ?)";
  return q(
    `SELECT ${owners.owner} owner_id, kp.product_id,
            SUM(CASE WHEN ${stale} THEN COALESCE(${lots("SUM(l.quantity)")}, 0) ELSE kp.purchased END) purchased,
            SUM(kp.in_use) in_use,
            MIN(CASE WHEN ${stale} THEN ${lots("MIN(l.ends_at)")} ELSE kp.next_expiry END) next_expiry
       FROM ${owners.from} JOIN license_pools kp ON kp.virtual_account_id = va.id
      WHERE ${owners.where}
      GROUP BY ${owners.owner}, kp.product_id
     HAVING purchased > 0 OR in_use > 0`,
    [at, at, at, at, at, at, ...owners.params],
  );
}

const OPERATIONS: Record<string, (q: Query, email: string, after: string | null) => Promise<unknown>> = {
  async Light(q, email) {
    const scope = await scopeOf(q, email);
    return {
      email,
      accounts: await q(
        `SELECT id, name, status FROM smart_accounts WHERE id IN (${marks(scope.accounts)}) ORDER BY name, id LIMIT 5`,
        scope.accounts,
      ),
    };
  },

  async Dashboard(q, email) {
    const now = new Date();
    const scope = await scopeOf(q, email);
    const accounts = await q(
      `SELECT id, name, domain, status, type FROM smart_accounts WHERE id IN (${marks(scope.accounts)}) ORDER BY name, id LIMIT 10`,
      scope.accounts,
    );
    const ids = accounts.map((a) => Number(a.id));
    // The first three levels of every visible tree, in one statement.
    const vas = await q(
      `SELECT va.id, va.name, va.depth, va.parent_id, va.is_default, va.path, va.smart_account_id FROM virtual_accounts va
        WHERE va.smart_account_id IN (${marks(ids)}) AND ${scope.sql("va")} AND va.depth <= 3 ORDER BY va.path`,
      [...ids, ...scope.params],
    );
    const vaIds = vas.map((v) => Number(v.id));
    const poolRows = await pools(q, { owner: "va.id", from: "virtual_accounts va", where: `va.id IN (${marks(vaIds)})`, params: vaIds }, now);
    const tops = vas.filter((v) => v.parent_id === null || !vas.some((p) => p.id === v.parent_id)).map((v) => Number(v.id));
    const devices = await q(
      `SELECT * FROM (SELECT pi.id, pi.hostname, pi.pid, pi.serial_number, pi.last_reported_at, pi.virtual_account_id,
              ROW_NUMBER() OVER (PARTITION BY pi.virtual_account_id ORDER BY pi.id) rn, COUNT(*) OVER (PARTITION BY pi.virtual_account_id) total
         FROM product_instances pi WHERE pi.virtual_account_id IN (${marks(tops)})) t WHERE rn <= 20`,
      tops,
    );
    const usage = await q(
      `SELECT product_instance_id, product_id, count FROM license_usages WHERE product_instance_id IN (${marks(devices.map((d) => d.id))})`,
      devices.map((d) => d.id),
    );
    // Alerts: shortages of every visible VA, lots ending within 90 days either side, silent devices.
    const alertPools = await pools(
      q,
      {
        owner: "va.id",
        from: "virtual_accounts va",
        where: `va.smart_account_id IN (${marks(ids)}) AND ${scope.sql("va")}`,
        params: [...ids, ...scope.params],
      },
      now,
    );
    const lots = await q(
      `SELECT l.id, l.virtual_account_id, l.product_id, l.quantity, l.ends_at FROM licenses l JOIN virtual_accounts va ON va.id = l.virtual_account_id
        WHERE l.smart_account_id IN (${marks(ids)}) AND ${scope.sql("va")} AND l.ends_at > ? AND l.ends_at <= ?`,
      [
        ...ids,
        ...scope.params,
        sqlDate(new Date(now.getTime() - WINDOW_DAYS * 86_400_000)),
        sqlDate(new Date(now.getTime() + WINDOW_DAYS * 86_400_000)),
      ],
    );
    const silent = await q(
      `SELECT pi.id, pi.virtual_account_id FROM product_instances pi JOIN virtual_accounts va ON va.id = pi.virtual_account_id
        WHERE pi.smart_account_id IN (${marks(ids)}) AND ${scope.sql("va")} AND COALESCE(pi.last_reported_at, pi.registered_at) < ?`,
      [...ids, ...scope.params, sqlDate(new Date(now.getTime() - 30 * 86_400_000))],
    );
    const products = await q(`SELECT id, sku, name FROM products`);
    return {
      email,
      accounts,
      vas,
      pools: poolRows,
      devices,
      usage,
      alerts: { shortages: alertPools.filter((p) => Number(p.in_use) > Number(p.purchased)), lots, silent },
      products: products.length,
    };
  },

  async Tree(q, email) {
    const now = new Date();
    const scope = await scopeOf(q, email);
    const [account] = await q(`SELECT id FROM smart_accounts WHERE domain = ?`, [DOMAIN]);
    const vas = await q(
      `SELECT va.id, va.name, va.depth, va.parent_id, va.path FROM virtual_accounts va WHERE va.smart_account_id = ? AND ${scope.sql("va")} ORDER BY va.path LIMIT 500`,
      [account.id, ...scope.params],
    );
    // As the service reads subtrees: the kept rows under the outermost roots once each, with their
    // Virtual Account's path, added in code to every root on that path (no root x Virtual Account join).
    const roots = new Set(vas.map((v) => Number(v.id)));
    const outermost: string[] = [];
    for (const path of vas.map((v) => String(v.path)).sort()) {
      if (!outermost.length || !path.startsWith(outermost[outermost.length - 1])) outermost.push(path);
    }
    const rows = outermost.length
      ? await pools(
          q,
          {
            owner: "va.id",
            from: "virtual_accounts va",
            where: `va.smart_account_id = ? AND (${outermost.map(() => "va.path LIKE ?").join(" OR ")})`,
            params: [account.id, ...outermost.map((path) => `${path}%`)],
          },
          now,
        )
      : [];
    const pathOf = new Map(
      (await q(`SELECT id, path FROM virtual_accounts WHERE smart_account_id = ?`, [account.id])).map((v) => [Number(v.id), String(v.path)]),
    );
    const sums = new Map<string, { root: number; product: number; purchased: number; inUse: number; nextExpiry: unknown }>();
    for (const row of rows) {
      for (const id of (pathOf.get(Number(row.owner_id)) ?? "").split("/").filter(Boolean).map(Number)) {
        if (!roots.has(id)) continue;
        const key = `${id}:${row.product_id}`;
        let sum = sums.get(key);
        if (!sum) sums.set(key, (sum = { root: id, product: Number(row.product_id), purchased: 0, inUse: 0, nextExpiry: null }));
        sum.purchased += Number(row.purchased);
        sum.inUse += Number(row.in_use);
        if (row.next_expiry && (!sum.nextExpiry || (row.next_expiry as Date) < (sum.nextExpiry as Date))) sum.nextExpiry = row.next_expiry;
      }
    }
    const subtreePools = [...sums.values()];
    return { vas, pools: subtreePools };
  },

  async Entitlements(q, email, after) {
    const scope = await scopeOf(q, email);
    const [account] = await q(`SELECT id FROM smart_accounts WHERE domain = ?`, [DOMAIN]);
    const from = `FROM licenses l JOIN virtual_accounts va ON va.id = l.virtual_account_id WHERE l.smart_account_id = ? AND ${scope.sql("va")}`;
    const params = [account.id, ...scope.params];
    const [{ total }] = await q(`SELECT COUNT(*) total ${from}`, params);
    const lots = await q(
      `SELECT l.id, l.kind, l.quantity, l.starts_at, l.ends_at, l.product_id, l.virtual_account_id, va.name va_name, l.order_id ${from} AND l.id > ? ORDER BY l.id LIMIT 501`,
      [...params, Number(after ?? 0)],
    );
    const page = lots.slice(0, 500);
    const lotIds = page.map((l) => l.id);
    const tags = await q(`SELECT license_id, tag FROM license_tags WHERE license_id IN (${marks(lotIds)})`, lotIds);
    const productIds = [...new Set(page.map((l) => l.product_id))];
    const products = await q(`SELECT id, sku, name, model FROM products WHERE id IN (${marks(productIds)})`, productIds);
    const orderIds = [...new Set(page.map((l) => l.order_id).filter(Boolean))];
    const orders = await q(`SELECT id, number FROM orders WHERE id IN (${marks(orderIds)})`, orderIds);
    return { total, hasNextPage: lots.length > 500, lots: page, tags, products, orders };
  },

  async Devices(q, email) {
    const scope = await scopeOf(q, email);
    const [account] = await q(`SELECT id FROM smart_accounts WHERE domain = ?`, [DOMAIN]);
    const from = `FROM product_instances pi JOIN virtual_accounts va ON va.id = pi.virtual_account_id WHERE pi.smart_account_id = ? AND ${scope.sql("va")}`;
    const params = [account.id, ...scope.params];
    const [{ total }] = await q(`SELECT COUNT(*) total ${from}`, params);
    const devices = await q(
      `SELECT pi.id, pi.pid, pi.serial_number, pi.hostname, pi.registered_at, pi.last_reported_at, va.id va_id, va.name va_name ${from} ORDER BY pi.id LIMIT 200`,
      params,
    );
    const ids = devices.map((d) => d.id);
    const usage = await q(
      `SELECT lu.product_instance_id, p.sku, lu.count FROM license_usages lu JOIN products p ON p.id = lu.product_id WHERE lu.product_instance_id IN (${marks(ids)})`,
      ids,
    );
    return { total, devices, usage };
  },
};

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? "sqlite:data/smart-account-graph.sqlite";
  const q = connect(url);
  const server = http.createServer(async (req, res) => {
    const target = new URL(req.url ?? "/", "http://floor");
    const operation = OPERATIONS[target.pathname.slice(1)];
    if (!operation) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = JSON.stringify(await operation(q, target.searchParams.get("user") ?? "", target.searchParams.get("after")));
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    } catch (error) {
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(error) }));
    }
  });
  const port = Number(process.env.PORT ?? 4403);
  server.listen(port, () => console.log(`floor on ${port}`));
}

void main();
