import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createPool } from '../src/db.ts';
import { Metrics } from '../src/metrics.ts';
import { checkReady, migrate, SetupError } from '../src/migrate.ts';
import { SQL_DIR } from '../src/paths.ts';
import { openRedis } from '../src/streams.ts';
import { Worker } from '../src/worker.ts';
import { silentLog, testEnv, type TestEnv } from './helpers/env.ts';

/** Nothing listens on port 1 (tcpmux, never served here): connecting is refused at once. */
const DEAD_PORT = 1;

const MIGRATIONS = readdirSync(join(SQL_DIR, 'migrations'))
  .filter((f) => f.endsWith('.sql'))
  .sort();

/** The ConfigError that loadConfig(env) throws; fails the test when it does not throw one. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.instance(error, ConfigError);
    return error as ConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

test('an empty environment gives the documented defaults, the OS user filled in', () => {
  assert.equal(loadConfig({}), {
    databaseUrl: `postgres://${userInfo().username}@127.0.0.1:5432/overpay`,
    redisUrl: 'redis://127.0.0.1:6379/0',
    partitions: 16,
    redisPrefix: 'overpay',
    metricsPort: 9464,
    logLevel: 'info',
    batchSize: 500,
    blockMs: 1000,
  });
});

test('an empty value counts as unset; a DATABASE_URL with a user keeps it', () => {
  assert.is(loadConfig({ OVERPAY_PARTITIONS: '' }).partitions, 16);
  assert.is(
    loadConfig({ DATABASE_URL: 'postgres://bob@db:5433/x' }).databaseUrl,
    'postgres://bob@db:5433/x',
  );
  assert.is(
    loadConfig({ DATABASE_URL: 'postgresql://db/x' }).databaseUrl,
    `postgresql://${userInfo().username}@db/x`,
  );
});

test('each bad value fails with a ConfigError naming the variable and the value', () => {
  const cases: [string, string][] = [
    ['OVERPAY_PARTITIONS', '0'],
    ['OVERPAY_PARTITIONS', 'abc'],
    ['OVERPAY_PARTITIONS', '1025'],
    ['OVERPAY_PARTITIONS', '4.5'],
    ['METRICS_PORT', '70000'],
    ['METRICS_PORT', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_URL', 'http://x'],
    ['OVERPAY_REDIS_PREFIX', 'a b'],
    ['OVERPAY_REDIS_PREFIX', 'x'.repeat(65)],
    ['OVERPAY_BATCH_SIZE', '0'],
    ['OVERPAY_BLOCK_MS', '5'],
  ];
  for (const [name, value] of cases) {
    const error = configError({ [name]: value });
    assert.is(error.code, 'config_invalid');
    assert.ok(error.message.startsWith(`${name}='${value}' is invalid: `), error.message);
  }
  assert.match(configError({ OVERPAY_PARTITIONS: '0' }).message, 'from 1 to 1024');
  assert.match(configError({ METRICS_PORT: '70000' }).message, '0 (off) to 65535');
});

test('a REDIS_URL whose db index is not a number fails naming REDIS_URL', () => {
  assert.is(
    configError({ REDIS_URL: 'redis://127.0.0.1:6379/abc' }).message,
    "REDIS_URL='redis://127.0.0.1:6379/abc' is invalid: " +
      'expected a redis:// URL, optionally ending in /DB (a whole number)',
  );
  assert.is(configError({ REDIS_URL: 'redis://127.0.0.1:6379/0/1' }).code, 'config_invalid');
  for (const ok of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'redis://h:1/12']) {
    assert.is(loadConfig({ REDIS_URL: ok }).redisUrl, ok);
  }
});

test('METRICS_PORT=0 (metrics off) and the range ends are accepted', () => {
  assert.is(loadConfig({ METRICS_PORT: '0' }).metricsPort, 0);
  assert.is(loadConfig({ METRICS_PORT: '65535' }).metricsPort, 65535);
  assert.is(loadConfig({ OVERPAY_PARTITIONS: '1' }).partitions, 1);
  assert.is(loadConfig({ OVERPAY_PARTITIONS: '1024' }).partitions, 1024);
  assert.is(loadConfig({ REDIS_URL: 'rediss://cache:6380/2' }).redisUrl, 'rediss://cache:6380/2');
});

test('the partition count is recorded on first start; another count later fails clearly', async () => {
  const env = await testEnv();
  try {
    const recorded = () =>
      env.pool
        .query<{ value: string }>(`SELECT value FROM settings WHERE key = 'partitions'`)
        .then((r) => r.rows.map((row) => row.value));
    assert.equal(await recorded(), [], 'nothing recorded before the first start');
    await checkReady(env.pool, 4);
    assert.equal(await recorded(), ['4'], 'the first start records its count');
    await checkReady(env.pool, 4);
    try {
      await checkReady(env.pool, 8);
      assert.unreachable('8 partitions accepted on a 4-partition database');
    } catch (error) {
      assert.instance(error, SetupError);
      const message = (error as Error).message;
      assert.is(
        message,
        'OVERPAY_PARTITIONS=8 but this database was set up with 4 partitions; ' +
          'the count is fixed per deployment (set OVERPAY_PARTITIONS=4)',
      );
    }
    assert.equal(await recorded(), ['4'], 'the refused start changed nothing');
  } finally {
    await env.cleanup();
  }
});

test('migrate on a migrated database applies nothing and leaves the data alone', async () => {
  const env = await testEnv();
  try {
    await env.pool.query(
      `INSERT INTO campaigns (campaign_id, currency, tolerance, auto_credit_ceiling,
         hold_threshold, resolution, policy_source)
       VALUES ('keep-me', 'BRL', '0.01', '25.00', '1000.00', 'credit', 'loaded')`,
    );
    assert.equal(await migrate(env.config, env.log), []);
    assert.equal(await migrate(env.config, env.log), []);
    const { rows } = await env.pool.query(
      `SELECT campaign_id, currency, hold_threshold FROM campaigns`,
    );
    assert.equal(rows, [{ campaign_id: 'keep-me', currency: 'BRL', hold_threshold: '1000.00' }]);
    const names = await env.pool.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    assert.equal(
      names.rows.map((r) => r.name),
      MIGRATIONS,
    );
  } finally {
    await env.cleanup();
  }
});

test('migrate creates a missing database and applies every migration', async () => {
  const base = loadConfig();
  const name = `overpay_cfg_${randomBytes(5).toString('hex')}`;
  const url = new URL(base.databaseUrl);
  url.pathname = `/${name}`;
  const adminUrl = new URL(base.databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    const exists = async () =>
      (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount;
    assert.is(await exists(), 0);
    const config = { ...base, databaseUrl: url.toString(), partitions: 3 };
    assert.equal(await migrate(config, silentLog()), MIGRATIONS);
    assert.is(await exists(), 1);
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const { rows } = await db.query(`SELECT value FROM settings WHERE key = 'partitions'`);
      assert.equal(rows, [{ value: '3' }]);
    } finally {
      await db.end();
    }
    assert.equal(await migrate(config, silentLog()), [], 'a second run applies nothing');
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});

/** The error `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('resolved, expected a rejection');
}

test('an unreachable PostgreSQL is a SetupError naming the URL without its password', async () => {
  const url = `postgres://bob:secret@127.0.0.1:${DEAD_PORT}/overpay`;
  const expected =
    `cannot reach PostgreSQL at postgres://bob@127.0.0.1:${DEAD_PORT}/overpay ` +
    `(connect ECONNREFUSED 127.0.0.1:${DEAD_PORT}); check DATABASE_URL`;
  const pool = createPool(url, 1);
  try {
    const ready = await rejection(checkReady(pool, 4));
    assert.instance(ready, SetupError);
    assert.is(ready.message, expected);
  } finally {
    await pool.end();
  }
  const migrated = await rejection(migrate({ ...loadConfig(), databaseUrl: url }, silentLog()));
  assert.instance(migrated, SetupError);
  assert.is(migrated.message, expected);
});

test('an unreachable Redis is a SetupError naming REDIS_URL after a few quick attempts', async () => {
  const started = Date.now();
  const error = await rejection(openRedis(`redis://:secret@127.0.0.1:${DEAD_PORT}/0`));
  assert.instance(error, SetupError);
  assert.is((error as SetupError).code, 'setup_invalid');
  assert.is(
    error.message,
    `cannot reach Redis at redis://127.0.0.1:${DEAD_PORT}/0 ` +
      `(connect ECONNREFUSED 127.0.0.1:${DEAD_PORT}); check REDIS_URL`,
  );
  assert.ok(Date.now() - started < 5_000, `gave up after ${Date.now() - started} ms`);
});

/** Sessions on the test's database other than the asking one, once the closed ones are gone. */
async function otherSessions(env: TestEnv): Promise<number> {
  const count = async () =>
    (
      await env.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      )
    ).rows[0]!.n;
  const deadline = Date.now() + 3_000;
  let n = await count();
  while (n > 0 && Date.now() < deadline) n = await count();
  return n;
}

test('a worker whose start fails closes what it had opened (no Redis; zero threads)', async () => {
  const env = await testEnv();
  try {
    const start = (overrides: Partial<TestEnv['config']>, threads: number) =>
      Worker.start({ ...env.config, ...overrides }, env.log, new Metrics(false), {
        untilIdle: true,
        threads,
      });
    const noRedis = await rejection(start({ redisUrl: `redis://127.0.0.1:${DEAD_PORT}/0` }, 1));
    assert.instance(noRedis, SetupError);
    assert.is(await otherSessions(env), 0, 'the worker pool was closed');
    const noThreads = await rejection(start({}, 0));
    assert.is(noThreads.message, 'options.maxThreads must be a positive integer');
    assert.is(await otherSessions(env), 0, 'the worker pool was closed');
  } finally {
    await env.cleanup();
  }
});

test.run();
