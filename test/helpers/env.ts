// A private world per test: its own PostgreSQL database (copied from a migrated template)
// and its own Redis key prefix, both removed afterwards.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import type { ConnectorOutput, InputRecord } from '../../src/connectors/input.ts';
import { createPool, type Pool } from '../../src/db.ts';
import { ingest, type IngestReport } from '../../src/ingest.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { Metrics } from '../../src/metrics.ts';
import { migrate } from '../../src/migrate.ts';
import { SQL_DIR } from '../../src/paths.ts';
import { summary, type Summary } from '../../src/report.ts';
import { connectRedis } from '../../src/streams.ts';
import { Worker, type WorkerOptions } from '../../src/worker.ts';

const base = loadConfig();
const SERVER_URL = new URL(base.databaseUrl);

function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The template's name follows the migrations' content, so a schema change makes a new one. */
function templateName(): string {
  // Bump TEMPLATE_FORM when the way a template is prepared changes.
  const hash = createHash('sha256').update(TEMPLATE_FORM);
  for (const file of readdirSync(join(SQL_DIR, 'migrations')).sort()) {
    hash.update(file).update(readFileSync(join(SQL_DIR, 'migrations', file)));
  }
  return `overpay_tmpl_${hash.digest('hex').slice(0, 12)}`;
}

const TEMPLATE_FORM = 'no-partition-setting';
let template: Promise<string> | undefined;

async function ensureTemplate(): Promise<string> {
  const name = templateName();
  const exists = await admin((c) =>
    c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]).then((r) => r.rowCount === 1),
  );
  if (!exists) {
    const building = `${name}_build_${randomBytes(3).toString('hex')}`;
    await migrate({ ...base, databaseUrl: databaseUrl(building) }, silentLog());
    // Each test database records its own partition count on first start.
    const client = new pg.Client({ connectionString: databaseUrl(building) });
    await client.connect();
    await client.query('DELETE FROM settings');
    await client.end();
    await admin((c) => c.query(`ALTER DATABASE ${building} RENAME TO ${name}`)).catch(
      async (error: { code?: string }) => {
        // Another run renamed its copy first: use that one and drop ours.
        if (error.code !== '42P04') throw error;
        await admin((c) => c.query(`DROP DATABASE ${building} WITH (FORCE)`));
      },
    );
  }
  return name;
}

export function silentLog(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

export interface TestEnv {
  config: Config;
  log: Logger;
  pool: Pool;
  redis: Redis;
  cleanup(): Promise<void>;
}

/** A fresh database (as `overpay migrate` leaves it) and key prefix; 4 partitions by default. */
export async function testEnv(overrides: Partial<Config> = {}): Promise<TestEnv> {
  template ??= ensureTemplate();
  const name = `overpay_t_${randomBytes(5).toString('hex')}`;
  const from = await template;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${from}`));
  const config: Config = {
    ...base,
    databaseUrl: databaseUrl(name),
    redisPrefix: `test-${name}`,
    partitions: 4,
    metricsPort: 0,
    logLevel: 'silent',
    blockMs: 50,
    ...overrides,
  };
  const pool = createPool(config.databaseUrl, 3);
  const redis = connectRedis(config.redisUrl);
  return {
    config,
    log: silentLog(),
    pool,
    redis,
    async cleanup() {
      const keys = await redis.keys(`${config.redisPrefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      await pool.end();
      await admin((c) => c.query(`DROP DATABASE ${name} WITH (FORCE)`));
    },
  };
}

/** Column values of a generic event, with defaults for what a test does not care about. */
export interface EventInput {
  type?: string;
  channel?: string;
  external_id: string;
  customer_id?: string;
  campaign_id?: string;
  ref?: string;
  kind?: string;
  amount: string;
  currency?: string;
  occurred_at: string;
}

export function records(events: EventInput[], source = 'test.csv'): ConnectorOutput {
  const list: InputRecord[] = events.map((e, i) => {
    const fields = {
      type: e.type ?? 'payment',
      channel: e.channel ?? 'web',
      external_id: e.external_id,
      customer_id: e.customer_id ?? 'cust-1',
      campaign_id: e.campaign_id ?? 'camp',
      ref: e.ref ?? 'order-1',
      kind: e.kind ?? ((e.type ?? 'payment') === 'payment' ? 'payment' : ''),
      amount: e.amount,
      currency: e.currency ?? 'EUR',
      occurred_at: e.occurred_at,
    };
    return { source, line: i + 2, raw: JSON.stringify(fields), fields };
  });
  return { records: list, rejections: [] };
}

export function ingestEvents(env: TestEnv, events: EventInput[]): Promise<IngestReport> {
  return ingest(env.config, records(events), {
    source: 'test.csv',
    format: 'csv',
    progress: false,
  });
}

/** Runs a worker until streams and jobs are drained, then closes it. */
export async function drain(env: TestEnv, options: Partial<WorkerOptions> = {}): Promise<void> {
  const worker = await Worker.start(env.config, env.log, new Metrics(), {
    untilIdle: true,
    threads: 1,
    ...options,
  });
  try {
    await worker.run();
  } finally {
    await worker.close();
  }
}

export function report(env: TestEnv): Promise<Summary> {
  return summary(env.pool);
}

export const ZERO_CASES = {
  detected: 0,
  auto_credit_pending: 0,
  review_pending: 0,
  on_hold: 0,
  approved: 0,
  rejected: 0,
  credited: 0,
  refunded: 0,
  manually_adjusted: 0,
  closed: 0,
};
