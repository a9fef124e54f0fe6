import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { withoutPassword, type Config } from './config.ts';
import { CONNECT_TIMEOUT_MS, createPool, withTransaction } from './db.ts';
import { BOSS_SCHEMA, QUEUE_OPTIONS } from './jobs.ts';
import { SQL_DIR } from './paths.ts';

/** Any number: serialises concurrent `overpay migrate` runs on one database. */
const MIGRATION_LOCK = 7_314_220_001;

export class SetupError extends Error {
  readonly code = 'setup_invalid';
}

/** Connection errors that mean no server answered at the address, not that one said no. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * The error to report for a failed connection: a SetupError naming DATABASE_URL when no
 * server answered, else the error itself.
 */
function connectionProblem(databaseUrl: string, error: unknown): unknown {
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = String((error as { message?: unknown })?.message ?? '');
  // pg says 'timeout expired' (client) or '... due to connection timeout' (pool).
  if (!UNREACHABLE_CODES.has(code) && !/timeout expired|connection timeout/i.test(message)) {
    return error;
  }
  // Node reports a refused 'localhost' (IPv4 and IPv6 tried) as an AggregateError without text.
  const why = message || code;
  return new SetupError(
    `cannot reach PostgreSQL at ${withoutPassword(databaseUrl)} (${why}); check DATABASE_URL`,
  );
}

/** A connected client, or the connection problem thrown. */
async function connectClient(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    throw connectionProblem(databaseUrl, error);
  }
}

/** Creates the database named in the URL when the server does not have it yet. */
export async function ensureDatabase(databaseUrl: string, log: Logger): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (name === '') throw new SetupError('DATABASE_URL names no database');
  try {
    await (await connectClient(databaseUrl)).end();
    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000: no such database
  }
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = await connectClient(admin.toString());
  try {
    const quoted = '"' + name.replaceAll('"', '""') + '"';
    await client.query(`CREATE DATABASE ${quoted}`);
    log.info({ database: name }, 'database created');
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // created concurrently
  } finally {
    await client.end();
  }
}

function migrationFiles(): string[] {
  return readdirSync(join(SQL_DIR, 'migrations'))
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort();
}

/** Applies every migration not yet applied, each in its own transaction. Safe to repeat. */
export async function migrate(config: Config, log: Logger): Promise<string[]> {
  await ensureDatabase(config.databaseUrl, log);
  const pool = createPool(config.databaseUrl, 2);
  const applied: string[] = [];
  try {
    await withTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await client.query<{ name: string }>('SELECT name FROM schema_migrations');
      const have = new Set(done.rows.map((row) => row.name));
      for (const file of migrationFiles()) {
        if (have.has(file)) continue;
        await client.query(readFileSync(join(SQL_DIR, 'migrations', file), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        applied.push(file);
        log.info({ migration: file }, 'migration applied');
      }
    });
    await recordPartitions(pool, config.partitions);
  } finally {
    await pool.end();
  }
  await installBoss(config.databaseUrl);
  return applied;
}

/** pg-boss creates or upgrades its own schema on start; then our queues are created. */
async function installBoss(databaseUrl: string): Promise<void> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: BOSS_SCHEMA,
    max: 2,
    supervise: false,
    schedule: false,
  });
  boss.on('error', () => undefined);
  await boss.start();
  try {
    for (const [name, options] of Object.entries(QUEUE_OPTIONS)) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name, options);
    }
  } finally {
    await boss.stop({ graceful: false });
  }
}

/**
 * Records the partition count on first start; a later start with another count fails,
 * because it would send a customer's events to a partition that does not hold their totals.
 */
export async function recordPartitions(pool: pg.Pool, partitions: number): Promise<void> {
  await pool.query(
    `INSERT INTO settings (key, value) VALUES ('partitions', $1) ON CONFLICT (key) DO NOTHING`,
    [String(partitions)],
  );
  const { rows } = await pool.query<{ value: string }>(
    `SELECT value FROM settings WHERE key = 'partitions'`,
  );
  const recorded = Number(rows[0]!.value);
  if (recorded !== partitions) {
    throw new SetupError(
      `OVERPAY_PARTITIONS=${partitions} but this database was set up with ${recorded} ` +
        `partitions; the count is fixed per deployment (set OVERPAY_PARTITIONS=${recorded})`,
    );
  }
}

/** Fails clearly when `overpay migrate` has not been run against this database. */
export async function checkReady(pool: pg.Pool, partitions: number): Promise<void> {
  try {
    await pool.query('SELECT 1 FROM settings LIMIT 1');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42P01' || code === '3D000') {
      throw new SetupError('the database is not set up: run `overpay migrate` first');
    }
    throw connectionProblem(pool.options.connectionString ?? '', error);
  }
  await recordPartitions(pool, partitions);
}
