// The whole path through the real command line on a small hand-made fixture, checked field by
// field against figures worked out by hand (see the comments).
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../src/paths.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { testEnv, ZERO_CASES } from './helpers/env.ts';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'small.csv');

test('migrate, ingest, worker --until-idle and summary agree with the hand computation', async () => {
  const env = await testEnv();
  try {
    const vars = cliEnv(env.config);
    const migrated = await runCli(['migrate'], vars);
    assert.is(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stdout, 'database is up to date');

    const ingested = await runCli(['ingest', FIXTURE, '--format', 'csv', '--json'], vars);
    assert.is(ingested.code, 0, ingested.stderr);
    const counts = JSON.parse(ingested.stdout);
    // 17 rows: 11 events, 1 exact repeat of pay-a1, 5 malformed rows (lines 14-18).
    assert.is(counts.accepted, 11);
    assert.is(counts.duplicates, 1);
    assert.is(counts.rejected, 5);
    assert.equal(counts.byReason, {
      too_many_decimals: { count: 1, lines: ['small.csv:14'] },
      timestamp_without_offset: { count: 1, lines: ['small.csv:15'] },
      unknown_currency: { count: 1, lines: ['small.csv:16'] },
      missing_field: { count: 1, lines: ['small.csv:17'] },
      bad_kind: { count: 1, lines: ['small.csv:18'] },
    });

    const worked = await runCli(['worker', '--until-idle', '--threads', '1'], vars);
    assert.is(worked.code, 0, worked.stderr);

    const reported = await runCli(['report', 'summary', '--json'], vars);
    assert.is(reported.code, 0, reported.stderr);
    assert.is(reported.stdout.trim().split('\n').length, 1, 'exactly one JSON line');
    const summary = JSON.parse(reported.stdout);
    assert.equal(summary, {
      // alice 2, bob 2 (one of 0.00), carol 1, dave 1, erin 1
      payments: 7,
      obligations: 4,
      // A1, B1, C1 (payment only), D1, E1
      accounts: 5,
      overpaid_accounts: 4,
      // alice 100 (paid twice), bob 10, dave 1200; erin 500 yen
      detected_excess: { EUR: '1310.00', JPY: '500' },
      cases: { ...ZERO_CASES, review_pending: 2, on_hold: 1, credited: 1 },
      credited: { EUR: '10.00', JPY: '0' },
      rejected: {
        total: 5,
        by_reason: {
          bad_kind: 1,
          missing_field: 1,
          timestamp_without_offset: 1,
          too_many_decimals: 1,
          unknown_currency: 1,
        },
      },
      dead_letters: 0,
      // carol's payment has no obligation and campaign spring has no cap
      unmatched_payments: 1,
      suspected_duplicates: 0,
    });
    const { rows } = await env.pool.query("SELECT causes FROM cases WHERE customer_id = 'alice'");
    assert.equal(rows, [{ causes: ['limit_exceeded', 'duplicate_payment'] }]);
  } finally {
    await env.cleanup();
  }
});

test.run();
