// Exactly-once in effect: re-delivery, crashes on either side of the commit, a stale owner,
// and poison entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toStreamFields, validateEvent, type OverpayEvent } from '../src/event.ts';
import { StaleOwnershipError } from '../src/ledger.ts';
import { Metrics } from '../src/metrics.ts';
import { partitionOf } from '../src/partition.ts';
import { Streams } from '../src/streams.ts';
import { loadAccounts, Worker } from '../src/worker.ts';
import { CONSUMER_GROUP } from '../src/vocabulary.ts';
import {
  drain,
  ingestEvents,
  report,
  testEnv,
  ZERO_CASES,
  type EventInput,
  type TestEnv,
} from './helpers/env.ts';

const EVENTS: EventInput[] = [
  {
    type: 'obligation',
    channel: 'shop',
    external_id: 'o1',
    amount: '100.00',
    occurred_at: '2026-04-01T10:00:00Z',
  },
  { external_id: 'p1', amount: '100.00', occurred_at: '2026-04-01T10:01:00Z' },
  { channel: 'app', external_id: 'p2', amount: '10.00', occurred_at: '2026-04-01T10:02:00Z' },
  { channel: 'email', external_id: 'p3', amount: '40.00', occurred_at: '2026-04-01T10:03:00Z' },
];

const RAW_PAYMENT = {
  type: 'payment',
  channel: 'web',
  external_id: 'p1',
  customer_id: 'c1',
  campaign_id: 'camp',
  ref: 'r1',
  kind: 'payment',
  amount: '5.00',
  currency: 'EUR',
  occurred_at: '2026-04-01T10:00:00Z',
};

/** What EVENTS must give however often and however they are delivered. */
async function assertCountedOnce(env: TestEnv): Promise<void> {
  const s = await report(env);
  assert.is(s.payments, 3);
  assert.is(s.obligations, 1);
  // 10 credited, then 40 in review.
  assert.equal(s.cases, { ...ZERO_CASES, credited: 1, review_pending: 1 });
  assert.equal(s.credited, { EUR: '10.00' });
  assert.equal(s.detected_excess, { EUR: '50.00' });
  const { rows } = await env.pool.query('SELECT net_paid, settled FROM accounts');
  assert.equal(rows, [{ net_paid: '150.00', settled: '10.00' }]);
  const jobs = await env.pool.query(
    "SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'credit'",
  );
  assert.is(jobs.rows[0].n, 1);
}

async function withEnv(work: (env: TestEnv) => Promise<void>): Promise<void> {
  const env = await testEnv();
  try {
    await work(env);
  } finally {
    await env.cleanup();
  }
}

/** Starts a worker whose first batch dies at `when`, runs it until it dies, closes it. */
async function crashOnce(env: TestEnv, when: 'beforeCommit' | 'afterCommit'): Promise<void> {
  const self: { worker?: Worker } = {};
  let crashed = false;
  const die = () => {
    if (crashed) return;
    crashed = true;
    self.worker!.stop();
    // A connection reset is what a dying process looks like from the loop: transient.
    throw Object.assign(new Error('simulated crash'), { code: 'ECONNRESET' });
  };
  const worker = await Worker.start(env.config, env.log, new Metrics(), {
    untilIdle: true,
    threads: 1,
    consumer: 'doomed',
    hooks: { [when]: die },
  });
  self.worker = worker;
  await worker.run();
  await worker.close();
  assert.ok(crashed, 'the crash hook ran');
}

async function pendingOf(env: TestEnv, consumer: string): Promise<number> {
  let total = 0;
  for (let p = 0; p < env.config.partitions; p += 1) {
    const key = `${env.config.redisPrefix}:{p${p}}:events`;
    const summary = (await env.redis.xpending(key, CONSUMER_GROUP)) as [number, ...unknown[]];
    const consumers = (summary[3] ?? []) as [string, string][];
    total += Number(consumers.find(([name]) => name === consumer)?.[1] ?? 0);
  }
  return total;
}

test('a payment delivered twice is counted once', () =>
  withEnv(async (env) => {
    await ingestEvents(env, EVENTS);
    await ingestEvents(env, EVENTS);
    await drain(env);
    await assertCountedOnce(env);
  }));

test('a crash after commit and before XACK counts nothing twice', () =>
  withEnv(async (env) => {
    await ingestEvents(env, EVENTS);
    await crashOnce(env, 'afterCommit');
    // Committed but never acknowledged: the entries are still pending for the dead consumer.
    assert.is(await pendingOf(env, 'doomed'), EVENTS.length);
    assert.is((await report(env)).payments, 3);
    await drain(env, { consumer: 'successor' });
    assert.is(await pendingOf(env, 'doomed'), 0);
    await assertCountedOnce(env);
  }));

test('a crash before commit loses nothing', () =>
  withEnv(async (env) => {
    await ingestEvents(env, EVENTS);
    await crashOnce(env, 'beforeCommit');
    assert.is((await report(env)).payments, 0, 'the rolled-back batch left no trace');
    await drain(env, { consumer: 'successor' });
    await assertCountedOnce(env);
  }));

test('a new owner starts from the stored totals, equal to what the old one held', () =>
  withEnv(async (env) => {
    await ingestEvents(env, EVENTS.slice(0, 3));
    await drain(env);
    const stored = await loadAccounts(env.pool, [0, 1, 2, 3]);
    assert.equal(
      stored.map((a) => [a.netPaid, a.settled, a.obligation, a.paymentCount]),
      [['110.00', '10.00', '100.00', 2]],
    );
    await ingestEvents(env, EVENTS.slice(3));
    await drain(env);
    await assertCountedOnce(env);
  }));

test('a stale owner cannot commit after another worker took its partitions', () =>
  withEnv(async (env) => {
    const old = await Worker.start(env.config, env.log, new Metrics(), {
      untilIdle: true,
      threads: 1,
      consumer: 'old',
    });
    const usurper = await Worker.start(env.config, env.log, new Metrics(), {
      untilIdle: true,
      threads: 1,
      consumer: 'new',
    });
    try {
      await ingestEvents(env, EVENTS);
      const failure = await old.run().then(
        () => null,
        (error: unknown) => error,
      );
      assert.instance(failure, StaleOwnershipError);
      assert.is((await report(env)).payments, 0);
      await usurper.run();
    } finally {
      await old.close();
      await usurper.close();
    }
    await assertCountedOnce(env);
  }));

test('a poison entry is dead-lettered with its fields and the rest of the batch is recorded', () =>
  withEnv(async (env) => {
    const streams = new Streams(env.redis, env.config.redisPrefix, env.config.partitions);
    await streams.ensureGroups([0, 1, 2, 3]);
    const good = validateEvent({ ...RAW_PAYMENT });
    assert.ok(good.ok);
    const event = (good as { event: OverpayEvent }).event;
    const home = partitionOf('c1', 4);
    const other = (home + 1) % 4;
    await streams.append([
      { partition: home, fields: ['type', 'gift', 'amount', 'lots'] },
      { partition: home, fields: toStreamFields(event) },
      { partition: other, fields: toStreamFields({ ...event, external_id: 'p-misrouted' }) },
      { partition: home, fields: toStreamFields({ ...event, external_id: 'p2', amount: '5.001' }) },
      { partition: home, fields: toStreamFields({ ...event, external_id: 'p3', currency: 'BRL' }) },
    ]);
    await drain(env);
    const s = await report(env);
    assert.is(s.payments, 1);
    assert.is(s.dead_letters, 4);
    assert.is(s.unmatched_payments, 1);
    const { rows } = await env.pool.query(
      'SELECT reason, field, fields FROM dead_letters ORDER BY reason',
    );
    assert.equal(
      rows.map((r) => [r.reason, r.field]),
      [
        ['currency_mismatch', 'currency'],
        ['missing_field', 'channel'],
        ['too_many_decimals', 'amount'],
        ['wrong_partition', 'customer_id'],
      ],
    );
    assert.equal(rows[1].fields, { type: 'gift', amount: 'lots' });
    assert.is((await streams.backlog([0, 1, 2, 3])).pending, 0, 'every entry was acknowledged');
  }));

test('a repeat with other content is dead-lettered once, and the first recording stands', () =>
  withEnv(async (env) => {
    const first = { external_id: 'p1', amount: '10.00', occurred_at: '2026-04-01T10:00:00Z' };
    await ingestEvents(env, [first]);
    await drain(env);
    const changed = { ...first, amount: '12.00' };
    for (let sent = 0; sent < 2; sent += 1) {
      await ingestEvents(env, [changed]);
      await drain(env);
    }
    const s = await report(env);
    assert.is(s.payments, 1);
    assert.is(s.dead_letters, 1);
    const { rows } = await env.pool.query('SELECT reason, times_seen, message FROM dead_letters');
    assert.equal(
      rows.map((r) => [r.reason, r.times_seen]),
      [['conflicting_duplicate', 2]],
    );
    assert.match(rows[0].message, 'payment web/p1 is recorded with other content (amount 10.00');
    const totals = await env.pool.query('SELECT net_paid FROM accounts');
    assert.equal(totals.rows, [{ net_paid: '10.00' }]);
  }));

test('a bad entry sent again is still one dead letter', () =>
  withEnv(async (env) => {
    const streams = new Streams(env.redis, env.config.redisPrefix, env.config.partitions);
    const event = (validateEvent({ ...RAW_PAYMENT }) as { event: OverpayEvent }).event;
    const misrouted = (partitionOf(event.customer_id, 4) + 1) % 4;
    for (let sent = 0; sent < 2; sent += 1) {
      await streams.ensureGroups([0, 1, 2, 3]);
      await streams.append([{ partition: misrouted, fields: toStreamFields(event) }]);
      await drain(env);
    }
    const { rows } = await env.pool.query('SELECT reason, times_seen FROM dead_letters');
    assert.equal(rows, [{ reason: 'wrong_partition', times_seen: 2 }]);
    assert.is((await report(env)).dead_letters, 1);
  }));

test.run();
