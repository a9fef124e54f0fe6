// The records that must hold up afterwards: append-only tables, the audit trail of a case,
// and the metrics a run leaves behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { caseIdFor } from '../src/detection.ts';
import { applyCredit } from '../src/jobs.ts';
import { Metrics } from '../src/metrics.ts';
import { Worker } from '../src/worker.ts';
import { ingestEvents, testEnv, type TestEnv } from './helpers/env.ts';

const EVENTS = [
  {
    type: 'obligation',
    channel: 'shop',
    external_id: 'o1',
    amount: '80.00',
    occurred_at: '2026-05-01T08:00:00Z',
  },
  { external_id: 'p1', amount: '90.00', occurred_at: '2026-05-01T08:30:00Z' },
];

async function withRun(work: (env: TestEnv, metrics: Metrics) => Promise<void>): Promise<void> {
  const env = await testEnv();
  try {
    await ingestEvents(env, EVENTS);
    const metrics = new Metrics();
    const worker = await Worker.start(env.config, env.log, metrics, {
      untilIdle: true,
      threads: 1,
    });
    await worker.run();
    await worker.close();
    await work(env, metrics);
  } finally {
    await env.cleanup();
  }
}

async function refused(env: TestEnv, statement: string): Promise<string> {
  return env.pool.query(statement).then(
    () => 'accepted',
    (error: Error) => error.message,
  );
}

test('ledger, audit trail and adjustments refuse UPDATE, DELETE and TRUNCATE', () =>
  withRun(async (env) => {
    for (const table of ['ledger', 'audit_events', 'adjustments']) {
      assert.match(await refused(env, `UPDATE ${table} SET customer_id = 'x'`), 'append-only');
      assert.match(await refused(env, `DELETE FROM ${table}`), 'append-only');
    }
    for (const table of ['ledger', 'audit_events', 'adjustments']) {
      assert.match(await refused(env, `TRUNCATE ${table} CASCADE`), 'append-only');
    }
  }));

test('an auto credit leaves its case, adjustment and audit rows with evidence', () =>
  withRun(async (env) => {
    const cases = await env.pool.query('SELECT case_id, state, amount FROM cases');
    assert.equal(
      cases.rows.map((r) => [r.state, r.amount]),
      [['credited', '10.00']],
    );
    const caseId = cases.rows[0].case_id;
    assert.is(caseId, caseIdFor(2), 'named after the ledger row that opened it');
    const adjustments = await env.pool.query(
      'SELECT case_id, kind, amount, currency, actor FROM adjustments',
    );
    assert.equal(adjustments.rows, [
      {
        case_id: caseId,
        kind: 'credit',
        amount: '10.00',
        currency: 'EUR',
        actor: 'system:auto-credit',
      },
    ]);
    const audit = await env.pool.query(
      'SELECT actor, action, case_id, evidence, before, after FROM audit_events ORDER BY audit_id',
    );
    assert.equal(
      audit.rows.map((r) => [r.actor, r.action, r.case_id]),
      [
        ['system:detector', 'case_opened', caseId],
        ['system:auto-credit', 'credit_applied', caseId],
      ],
    );
    assert.equal(audit.rows[0].evidence, {
      event_seq: 2,
      net_paid: '90.00',
      limit: '80.00',
      settled: '0.00',
      uncovered: '10.00',
      duplicate_of: null,
    });
    assert.equal(audit.rows[1].before, { state: 'auto_credit_pending' });
    assert.equal(audit.rows[1].after, { state: 'credited' });
  }));

test('a credit job run again, even concurrently, credits a case once', () =>
  withRun(async (env) => {
    const { rows } = await env.pool.query('SELECT case_id FROM cases');
    const caseId = rows[0].case_id;
    const again = await Promise.all([1, 2, 3].map(() => applyCredit(env.pool, caseId)));
    assert.equal(again, ['already_credited', 'already_credited', 'already_credited']);
    const counts = await env.pool.query(
      `SELECT (SELECT count(*)::int FROM adjustments) AS adjustments,
              (SELECT count(*)::int FROM audit_events) AS audits`,
    );
    assert.equal(counts.rows, [{ adjustments: 1, audits: 2 }]);
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.is(await applyCredit(env.pool, unknown), 'not_pending');
  }));

test('the run is counted in the metrics', () =>
  withRun(async (_env, metrics) => {
    const text = await metrics.registry.metrics();
    assert.match(text, 'overpay_events_processed_total{type="obligation"} 1');
    assert.match(text, 'overpay_events_processed_total{type="payment"} 1');
    assert.match(
      text,
      'overpay_cases_opened_total{rule="limit_exceeded",state="auto_credit_pending"} 1',
    );
    assert.match(text, 'overpay_credits_applied_total{outcome="credited"} 1');
    assert.match(text, 'overpay_batch_duration_seconds_count 1');
  }));

test('/metrics is served over HTTP', async () => {
  const metrics = new Metrics();
  metrics.eventsDuplicate.inc(3);
  const server = await metrics.serve(0);
  try {
    const { port } = server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.is(response.status, 200);
    assert.match(await response.text(), 'overpay_events_duplicate_total 3');
    assert.is((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  } finally {
    server.close();
  }
});

test.run();
