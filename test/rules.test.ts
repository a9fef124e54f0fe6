// Each rule and the case arithmetic on small hand-made inputs, with the decisions worked out
// by hand. Default policy unless a test loads one: tolerance 0.01, auto credit up to 25.00,
// review above, hold above 1000.00, no per-customer cap. Currency EUR, campaign `camp`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { savePolicies, type Policy } from '../src/policy.ts';
import {
  drain,
  ingestEvents,
  report,
  testEnv,
  ZERO_CASES,
  type EventInput,
  type TestEnv,
} from './helpers/env.ts';

const T0 = Date.parse('2026-03-01T09:00:00Z');
/** A time `minutes` after T0, as ISO 8601 UTC. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

const owe = (id: string, amount: string, minutes: number, ref = 'order-1'): EventInput => ({
  type: 'obligation',
  channel: 'shop',
  external_id: id,
  ref,
  amount,
  occurred_at: at(minutes),
});
const pay = (id: string, amount: string, minutes: number, more: Partial<EventInput> = {}) => ({
  external_id: id,
  amount,
  occurred_at: at(minutes),
  ...more,
});

interface CaseRow {
  state: string;
  amount: string;
  max_amount: string;
  causes: string[];
}

async function cases(env: TestEnv): Promise<CaseRow[]> {
  const { rows } = await env.pool.query<CaseRow>(
    'SELECT state, amount, max_amount, causes FROM cases ORDER BY detected_at, first_event',
  );
  return rows;
}

/** Runs one scenario in a private environment: ingest each group, drain after each. */
async function scenario(
  groups: EventInput[][],
  check: (env: TestEnv) => Promise<void>,
  setup?: (env: TestEnv) => Promise<void>,
) {
  const env = await testEnv();
  try {
    await setup?.(env);
    for (const group of groups) {
      await ingestEvents(env, group);
      await drain(env);
    }
    await check(env);
  } finally {
    await env.cleanup();
  }
}

test('an overpayment within the ceiling is credited at once', () =>
  scenario(
    [[owe('o1', '100.00', 0), pay('p1', '100.00', 5), pay('p2', '10.00', 60)]],
    async (env) => {
      const s = await report(env);
      assert.equal(s.cases, { ...ZERO_CASES, credited: 1 });
      assert.equal(s.credited, { EUR: '10.00' });
      assert.equal(s.detected_excess, { EUR: '10.00' });
      assert.is(s.overpaid_accounts, 1);
      const { rows } = await env.pool.query('SELECT action FROM audit_events ORDER BY audit_id');
      assert.equal(
        rows.map((r) => r.action),
        ['case_opened', 'credit_applied'],
      );
    },
  ));

test('a case grows while it waits, moves to hold above the threshold and back', () =>
  scenario(
    [
      [owe('o1', '100.00', 0), pay('p1', '130.00', 5)],
      [pay('p2', '20.00', 10, { channel: 'app' })],
      [pay('p3', '1000.00', 20, { channel: 'partner' })],
      [pay('r1', '1040.00', 30, { kind: 'refund' })],
    ],
    async (env) => {
      // 30 opens review; +20 -> 50; +1000 -> 1050 on hold; -1040 -> 10, back in review.
      assert.equal(await cases(env), [
        {
          state: 'review_pending',
          amount: '10.00',
          max_amount: '1050.00',
          causes: ['limit_exceeded'],
        },
      ]);
      const s = await report(env);
      assert.equal(s.detected_excess, { EUR: '1050.00' });
      assert.equal(s.credited, { EUR: '0.00' });
      const { rows } = await env.pool.query(
        'SELECT action, after FROM audit_events ORDER BY audit_id',
      );
      assert.equal(
        rows.map((r) => [r.action, r.after.state, r.after.amount]),
        [
          ['case_opened', 'review_pending', '30.00'],
          ['case_amount_changed', 'review_pending', '50.00'],
          ['case_state_changed', 'on_hold', '1050.00'],
          ['case_state_changed', 'review_pending', '10.00'],
        ],
      );
    },
  ));

test('a second case opens after an auto credit, on the excess not yet covered', () =>
  scenario(
    [
      [owe('o1', '100.00', 0), pay('p1', '110.00', 5), pay('p2', '20.00', 10, { channel: 'app' })],
      [pay('p3', '30.00', 15, { channel: 'email' })],
    ],
    async (env) => {
      // 10 credited; then 130 - 100 - 10 = 20 credited; then 160 - 100 - 30 = 30 in review.
      assert.equal(await cases(env), [
        { state: 'credited', amount: '10.00', max_amount: '10.00', causes: ['limit_exceeded'] },
        { state: 'credited', amount: '20.00', max_amount: '20.00', causes: ['limit_exceeded'] },
        {
          state: 'review_pending',
          amount: '30.00',
          max_amount: '30.00',
          causes: ['limit_exceeded'],
        },
      ]);
      const s = await report(env);
      assert.equal(s.credited, { EUR: '30.00' });
      assert.equal(s.detected_excess, { EUR: '60.00' });
      assert.is(s.overpaid_accounts, 1);
    },
  ));

test('excess at or below the tolerance opens nothing', () =>
  scenario([[owe('o1', '100.00', 0), pay('p1', '100.01', 5)]], async (env) => {
    assert.equal(await cases(env), []);
    assert.is((await report(env)).overpaid_accounts, 0);
  }));

test('a waiting case closes at amount 0 when a later obligation covers it', () =>
  scenario(
    [[owe('o1', '100.00', 0), pay('p1', '150.00', 5), owe('o1-amended', '150.00', 60)]],
    async (env) => {
      assert.equal(await cases(env), [
        { state: 'closed', amount: '0.00', max_amount: '50.00', causes: ['limit_exceeded'] },
      ]);
      assert.equal((await report(env)).detected_excess, { EUR: '50.00' });
    },
  ));

test('a refund that withdraws the excess closes the waiting case', () =>
  scenario(
    [
      [owe('o1', '100.00', 0), pay('p1', '150.00', 5)],
      [pay('r1', '50.00', 50, { kind: 'refund' })],
    ],
    async (env) => {
      assert.equal(await cases(env), [
        { state: 'closed', amount: '0.00', max_amount: '50.00', causes: ['limit_exceeded'] },
      ]);
    },
  ));

test('an obligation cancelled to 0 turns what was paid into excess', () =>
  scenario(
    [[owe('o1', '100.00', 0), pay('p1', '100.00', 5), owe('o1-cancel', '0.00', 60)]],
    async (env) => {
      assert.equal(await cases(env), [
        {
          state: 'review_pending',
          amount: '100.00',
          max_amount: '100.00',
          causes: ['limit_exceeded'],
        },
      ]);
    },
  ));

test('an older obligation arriving late does not replace a newer one', () =>
  scenario(
    [[owe('o-new', '100.00', 60), pay('p1', '100.00', 70)], [owe('o-old', '50.00', 0)]],
    async (env) => {
      assert.equal(await cases(env), []);
      const { rows } = await env.pool.query('SELECT obligation, limit_amount FROM accounts');
      assert.equal(rows, [{ obligation: '100.00', limit_amount: '100.00' }]);
    },
  ));

test('the same amount paid through two channels within 24 hours names the duplicate cause', () =>
  scenario(
    [
      [
        owe('o1', '100.00', 0),
        pay('p1', '100.00', 5),
        pay('p2', '100.00', 23 * 60, { channel: 'app' }),
      ],
    ],
    async (env) => {
      assert.equal(await cases(env), [
        {
          state: 'review_pending',
          amount: '100.00',
          max_amount: '100.00',
          causes: ['limit_exceeded', 'duplicate_payment'],
        },
      ]);
      assert.is((await report(env)).suspected_duplicates, 0);
    },
  ));

test('the same amount more than 24 hours apart is no duplicate', () =>
  scenario(
    [
      [
        owe('o1', '100.00', 0),
        pay('p1', '100.00', 5),
        pay('p2', '100.00', 25 * 60, { channel: 'app' }),
      ],
    ],
    async (env) => {
      assert.equal((await cases(env))[0]!.causes, ['limit_exceeded']);
    },
  ));

test('unmatched payments wait, are flagged as suspected duplicates, and are judged when the obligation comes', () =>
  scenario(
    [
      [
        pay('p1', '40.00', 0, { ref: 'order-9' }),
        pay('p2', '40.00', 120, { ref: 'order-9', channel: 'app' }),
      ],
    ],
    async (env) => {
      let s = await report(env);
      assert.is(s.unmatched_payments, 2);
      assert.is(s.suspected_duplicates, 1);
      assert.is(s.overpaid_accounts, 0);
      await ingestEvents(env, [owe('o9', '40.00', 200, 'order-9')]);
      await drain(env);
      s = await report(env);
      assert.is(s.unmatched_payments, 0);
      assert.is(s.suspected_duplicates, 0);
      assert.equal(await cases(env), [
        {
          state: 'review_pending',
          amount: '40.00',
          max_amount: '40.00',
          causes: ['limit_exceeded', 'duplicate_payment'],
        },
      ]);
    },
  ));

test('an unmatched payment is credited once its obligation shows the excess', () =>
  scenario([[pay('p1', '30.00', 0)], [owe('o1', '20.00', 10)]], async (env) => {
    const s = await report(env);
    assert.equal(s.cases, { ...ZERO_CASES, credited: 1 });
    assert.equal(s.credited, { EUR: '10.00' });
    assert.is(s.unmatched_payments, 0);
  }));

const capped: Policy = {
  campaignId: 'capped',
  currency: 'EUR',
  perCustomerCap: '50.00',
  tolerance: '0.50',
  autoCreditCeiling: '25.00',
  autoCreditPercent: '10',
  holdThreshold: '1000.00',
  resolution: 'credit',
  source: 'loaded',
};

test('campaign-level payments are held to the per-customer cap and tolerance', () =>
  scenario(
    [
      [
        pay('p1', '30.00', 0, { campaign_id: 'capped', ref: '' }),
        pay('p2', '20.40', 5, { campaign_id: 'capped', ref: '', channel: 'app' }),
      ],
      [pay('p3', '4.60', 10, { campaign_id: 'capped', ref: '', channel: 'email' })],
    ],
    async (env) => {
      // 50.40 - 50 = 0.40 is within tolerance 0.50; then 55.00 - 50 = 5.00 <= 10% of 50.
      assert.equal(await cases(env), [
        { state: 'credited', amount: '5.00', max_amount: '5.00', causes: ['limit_exceeded'] },
      ]);
    },
    (env) => savePolicies(env.pool, [capped]),
  ));

test('an excess above the percent ceiling goes to review even under the absolute one', () =>
  scenario(
    [[pay('p1', '56.00', 0, { campaign_id: 'capped', ref: '' })]],
    async (env) => {
      // 6.00 > 10% of 50.00 = 5.00.
      assert.equal((await cases(env))[0]!.state, 'review_pending');
    },
    (env) => savePolicies(env.pool, [capped]),
  ));

test('a zero payment is recorded and changes nothing', () =>
  scenario([[owe('o1', '10.00', 0), pay('p0', '0.00', 5)]], async (env) => {
    const s = await report(env);
    assert.is(s.payments, 1);
    assert.is(s.overpaid_accounts, 0);
    const { rows } = await env.pool.query('SELECT net_paid, payment_count FROM accounts');
    assert.equal(rows, [{ net_paid: '0.00', payment_count: 1 }]);
  }));

test('chargebacks and reversals count against net paid like refunds', () =>
  scenario(
    [
      [
        owe('o1', '100.00', 0),
        pay('p1', '200.00', 5),
        pay('c1', '60.00', 6, { kind: 'chargeback' }),
        pay('v1', '30.00', 7, { kind: 'reversal' }),
      ],
    ],
    async (env) => {
      // 200 -> review 100; -60 -> 40; -30 -> 10, still waiting.
      assert.equal(await cases(env), [
        {
          state: 'review_pending',
          amount: '10.00',
          max_amount: '100.00',
          causes: ['limit_exceeded'],
        },
      ]);
    },
  ));

test('an event in another currency than its campaign is refused at ingest, never summed', () =>
  scenario(
    [
      [owe('o1', '100.00', 0), pay('p1', '500.00', 5, { currency: 'BRL' })],
      [pay('p2', '7.00', 10, { campaign_id: 'capped', ref: '', currency: 'JPY' })],
    ],
    async (env) => {
      // camp takes EUR from its first event; capped is EUR by its loaded policy.
      const s = await report(env);
      assert.is(s.payments, 0);
      assert.equal(s.rejected, { total: 2, by_reason: { currency_mismatch: 2 } });
      assert.is(s.dead_letters, 0);
    },
    (env) => savePolicies(env.pool, [capped]),
  ));

test('a JPY overpayment is judged in whole yen', () =>
  scenario(
    [
      [owe('o1', '1000', 0), pay('p1', '1020', 5)].map((e) => ({
        ...e,
        currency: 'JPY',
        campaign_id: 'yen',
      })),
    ],
    async (env) => {
      assert.equal(await cases(env), [
        { state: 'credited', amount: '20', max_amount: '20', causes: ['limit_exceeded'] },
      ]);
      assert.equal((await report(env)).credited, { JPY: '20' });
    },
  ));

test.run();
