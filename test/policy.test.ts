import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PolicyError, readPolicyFile, savePolicies, type Policy } from '../src/policy.ts';
import { drain, ingestEvents, testEnv, type TestEnv } from './helpers/env.ts';

/** Writes `content` (a value to JSON-encode, or raw text) to a temp file and runs `work`. */
async function withFile<T>(content: unknown, work: (path: string) => T | Promise<T>) {
  const dir = await mkdtemp(join(tmpdir(), 'overpay-policy-'));
  const path = join(dir, 'campaigns.json');
  try {
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return await work(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The PolicyError message readPolicyFile gives for `content`, with the path replaced by FILE. */
function refusal(content: unknown): Promise<string> {
  return withFile(content, (path) => {
    try {
      readPolicyFile(path);
    } catch (error) {
      assert.instance(error, PolicyError);
      assert.is((error as PolicyError).code, 'policy_invalid');
      return (error as Error).message.replace(path, 'FILE');
    }
    throw new Error(`accepted ${JSON.stringify(content)}`);
  });
}

const BRL = { campaign_id: 'spring', currency: 'BRL' };

const policy = (campaignId: string, currency: string, more: Partial<Policy> = {}): Policy => ({
  campaignId,
  currency,
  perCustomerCap: null,
  tolerance: '0.01',
  autoCreditCeiling: '25.00',
  autoCreditPercent: null,
  holdThreshold: '1000.00',
  resolution: 'credit',
  source: 'loaded',
  ...more,
});

test('a valid file is read with every field, defaults filled in', async () => {
  const file = {
    campaigns: [
      {
        campaign_id: ' spring ',
        currency: 'BRL',
        per_customer_cap: '150.00',
        tolerance: '0.05',
        auto_credit_ceiling: '20.00',
        auto_credit_percent: '10',
        hold_threshold: '500.00',
        resolution: 'credit',
      },
      { campaign_id: 'tokyo', currency: 'JPY' },
    ],
  };
  const expected = [
    policy('spring', 'BRL', {
      perCustomerCap: '150.00',
      tolerance: '0.05',
      autoCreditCeiling: '20.00',
      autoCreditPercent: '10',
      holdThreshold: '500.00',
    }),
    policy('tokyo', 'JPY'),
  ];
  assert.equal(await withFile(file, readPolicyFile), expected);
});

test('a file that is not JSON is refused, naming the file', async () => {
  assert.match(await refusal('{"campaigns": ['), /^FILE: not valid JSON \(/);
  assert.match(await refusal(''), /^FILE: not valid JSON \(/);
});

test('an unknown field is refused (strict), naming the entry and the field', async () => {
  const file = { campaigns: [BRL, { ...BRL, campaign_id: 'b', colour: 'red' }] };
  assert.is(await refusal(file), "FILE: campaigns.1: Unrecognized key(s) in object: 'colour'");
});

test('a hold threshold below the auto-credit ceiling is refused on hold_threshold', async () => {
  const file = { campaigns: [{ ...BRL, auto_credit_ceiling: '30.00', hold_threshold: '29.99' }] };
  assert.is(
    await refusal(file),
    'FILE: campaigns.0.hold_threshold: hold_threshold must be at least auto_credit_ceiling',
  );
  const equal = { campaigns: [{ ...BRL, auto_credit_ceiling: '30.00', hold_threshold: '30' }] };
  assert.is((await withFile(equal, readPolicyFile))[0]?.holdThreshold, '30', 'equal is allowed');
});

test('a currency that is not ISO 4217 money is refused on currency', async () => {
  for (const currency of ['XYZ', 'brl', 'XXX']) {
    const file = { campaigns: [{ ...BRL, currency }] };
    assert.is(await refusal(file), 'FILE: campaigns.0.currency: not ISO 4217 money', currency);
  }
});

test('a money value given as a JSON number is refused on its field', async () => {
  assert.is(
    await refusal({ campaigns: [{ ...BRL, tolerance: 0.01 }] }),
    'FILE: campaigns.0.tolerance: Expected string, received number',
  );
  assert.is(
    await refusal({ campaigns: [BRL, { ...BRL, per_customer_cap: '1e3' }] }),
    'FILE: campaigns.1.per_customer_cap: expected a decimal string like "25.00"',
  );
});

test('resolution "refund" is refused as not available yet', async () => {
  assert.is(
    await refusal({ campaigns: [{ ...BRL, resolution: 'refund' }] }),
    'FILE: campaigns.0.resolution: resolution "refund" needs the payment-provider connector, not available yet',
  );
});

test('an empty campaign list and a missing campaign_id are refused', async () => {
  assert.is(
    await refusal({ campaigns: [] }),
    'FILE: campaigns: Array must contain at least 1 element(s)',
  );
  assert.match(
    await refusal({ campaigns: [{ currency: 'BRL' }] }),
    /^FILE: campaigns\.0\.campaign_id: /,
  );
});

test('auto_credit_percent above 100 is refused when the file is read, naming the field', async () => {
  // The campaigns table allows 0 < auto_credit_percent <= 100; the file check must agree.
  assert.match(
    await refusal({ campaigns: [{ ...BRL, auto_credit_percent: '150' }] }),
    /^FILE: campaigns\.0\.auto_credit_percent: /,
  );
});

test('money finer than the campaign currency is refused on its field', async () => {
  assert.is(
    await refusal({ campaigns: [{ ...BRL, auto_credit_ceiling: '25.001' }] }),
    'FILE: campaigns.0.auto_credit_ceiling: has more decimals than BRL allows',
  );
  const yen = { campaign_id: 'y', currency: 'JPY', per_customer_cap: '100.5' };
  assert.is(
    await refusal({ campaigns: [yen] }),
    'FILE: campaigns.0.per_customer_cap: has more decimals than JPY allows',
  );
});

test('the same campaign twice in one file is refused on the second entry', async () => {
  assert.is(
    await refusal({ campaigns: [BRL, BRL] }),
    'FILE: campaigns.1.campaign_id: campaign spring appears more than once',
  );
});

test('a missing file is refused as unreadable, not as bad JSON', async () => {
  const path = join(tmpdir(), 'overpay-no-such-policy.json');
  assert.throws(
    () => readPolicyFile(path),
    (error: Error) => error.message === `${path}: cannot be read (ENOENT)`,
  );
});

const stored = (env: TestEnv) =>
  env.pool
    .query(
      `SELECT campaign_id, currency, per_customer_cap, tolerance, auto_credit_ceiling,
              auto_credit_percent, hold_threshold, resolution, policy_source
       FROM campaigns ORDER BY campaign_id`,
    )
    .then((r) => r.rows);

const row = (
  id: string,
  currency: string,
  cap: string | null,
  hold: string,
  source = 'loaded',
) => ({
  campaign_id: id,
  currency,
  per_customer_cap: cap,
  tolerance: '0.01',
  auto_credit_ceiling: '25.00',
  auto_credit_percent: null,
  hold_threshold: hold,
  resolution: 'credit',
  policy_source: source,
});

test('savePolicies stores policies and a second load replaces them', async () => {
  const env = await testEnv();
  try {
    await savePolicies(env.pool, [
      policy('spring', 'BRL', { perCustomerCap: '100.00' }),
      policy('tokyo', 'JPY'),
    ]);
    assert.equal(await stored(env), [
      row('spring', 'BRL', '100.00', '1000.00'),
      row('tokyo', 'JPY', null, '1000.00'),
    ]);
    await savePolicies(env.pool, [policy('spring', 'EUR', { holdThreshold: '2000.00' })]);
    assert.equal(await stored(env), [
      row('spring', 'EUR', null, '2000.00'),
      row('tokyo', 'JPY', null, '1000.00'),
    ]);
  } finally {
    await env.cleanup();
  }
});

test('the currency of a campaign with accounts cannot change; the load is all or nothing', async () => {
  const env = await testEnv();
  try {
    await ingestEvents(env, [
      {
        campaign_id: 'spring',
        external_id: 'p1',
        amount: '5.00',
        currency: 'BRL',
        occurred_at: '2026-01-01T10:00:00Z',
      },
    ]);
    await drain(env);
    assert.equal(await stored(env), [row('spring', 'BRL', null, '1000.00', 'default')]);
    try {
      await savePolicies(env.pool, [
        policy('autumn', 'EUR'),
        policy('spring', 'EUR', { perCustomerCap: '9.00' }),
      ]);
      assert.unreachable('the currency of spring changed');
    } catch (error) {
      assert.instance(error, PolicyError);
      assert.is(
        (error as Error).message,
        'campaign spring already has accounts in BRL; its currency cannot become EUR',
      );
    }
    assert.equal(
      await stored(env),
      [row('spring', 'BRL', null, '1000.00', 'default')],
      'nothing of the refused load was stored',
    );
    await savePolicies(env.pool, [policy('spring', 'BRL', { perCustomerCap: '9.00' })]);
    assert.equal(await stored(env), [row('spring', 'BRL', '9.00', '1000.00')]);
  } finally {
    await env.cleanup();
  }
});

test.run();
