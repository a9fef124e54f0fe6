import { parse } from 'csv-parse/sync';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { idempotencyKey, validateEvent, type OverpayEvent } from '../src/event.ts';
import { minorUnits } from '../src/money.ts';
import { DEFAULT_SAMPLE, generateSample, type SampleOptions } from '../src/sample.ts';
import { EVENT_FIELDS, type Reason } from '../src/vocabulary.ts';

type Row = Record<string, string>;

/** The deliberately broken rows, by external_id, and the one reason each must get. */
const MALFORMED: Record<string, Reason> = {
  'malformed-decimal-comma': 'bad_amount',
  'malformed-eur-3-decimals': 'too_many_decimals',
  'malformed-no-customer': 'missing_field',
  'malformed-no-offset': 'timestamp_without_offset',
  'malformed-bitcoin': 'unknown_currency',
  'malformed-bad-kind': 'bad_kind',
};

/** Pinned so that any change to the generator's draws is a visible, reviewed change. */
const DEFAULT_ROW_COUNT = 4353;

const DAY_MS = 86_400_000;

function rowsOf(csv: string): Row[] {
  return parse(csv, { columns: true }) as Row[];
}

function validEvents(rows: Row[]): { row: Row; event: OverpayEvent }[] {
  return rows.flatMap((row) => {
    const result = validateEvent(row);
    return result.ok ? [{ row, event: result.event }] : [];
  });
}

const sample = generateSample(DEFAULT_SAMPLE);
const rows = rowsOf(sample.csv);

test('same seed gives byte-identical csv and campaigns', () => {
  const again = generateSample({ ...DEFAULT_SAMPLE });
  assert.is(again.csv, sample.csv);
  assert.equal(again.campaigns, sample.campaigns);
});

test('another seed gives a different sample', () => {
  assert.is.not(generateSample({ ...DEFAULT_SAMPLE, seed: 43 }).csv, sample.csv);
});

test('header is exactly the event fields', () => {
  assert.is(sample.csv.split('\n')[0], EVENT_FIELDS.join(','));
  const expected = 'type,channel,external_id,customer_id,campaign_id,ref,kind,amount,currency';
  assert.is(EVENT_FIELDS.join(','), `${expected},occurred_at`);
});

test('default options give a fixed number of rows', () => {
  assert.is(rows.length, DEFAULT_ROW_COUNT);
});

test('every row but the malformed ones is a valid event', () => {
  const rejected = rows.filter((row) => !validateEvent(row).ok).map((row) => row.external_id);
  assert.equal(rejected.sort(), Object.keys(MALFORMED).sort());
});

test('malformed rows are rejected with exactly the intended reason', () => {
  for (const [externalId, reason] of Object.entries(MALFORMED)) {
    const found = rows.filter((row) => row.external_id === externalId);
    assert.is(found.length, 1, externalId);
    const result = validateEvent(found[0]!);
    assert.is(result.ok ? 'accepted' : result.rejection.reason, reason, externalId);
  }
});

test('amounts carry exactly the decimals of their currency', () => {
  for (const { row, event } of validEvents(rows)) {
    const digits = minorUnits(row.currency!)!;
    const shape = digits === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${digits}}$`);
    assert.ok(shape.test(row.amount!), `${row.external_id}: ${row.amount} ${row.currency}`);
    assert.is(event.amount, row.amount);
  }
});

test('campaign policies use their currency decimals and match the rows', () => {
  const policies = new Map(sample.campaigns.campaigns.map((c) => [c.campaign_id, c]));
  assert.ok(new Set([...policies.values()].map((c) => c.currency)).size >= 2);
  for (const policy of policies.values()) {
    const amounts = [policy.tolerance, policy.auto_credit_ceiling, policy.hold_threshold];
    if (policy.per_customer_cap !== null) amounts.push(policy.per_customer_cap);
    for (const amount of amounts) {
      const parsed = validateEvent({ ...rows[0], amount, currency: policy.currency });
      assert.ok(parsed.ok && parsed.event.amount === amount, `${policy.campaign_id} ${amount}`);
    }
  }
  for (const { event } of validEvents(rows)) {
    assert.is(event.currency, policies.get(event.campaign_id)?.currency, event.external_id);
  }
});

test('rows are ordered by occurred_at and stay inside the window', () => {
  for (const options of [
    DEFAULT_SAMPLE,
    { seed: 7, customers: 20, start: '2026-03-01', days: 1 },
  ]) {
    const startMs = Date.parse(options.start);
    const times = validEvents(rowsOf(generateSample(options).csv)).map(({ event }) =>
      Date.parse(event.occurred_at),
    );
    times.forEach((atMs, i) => assert.ok(i === 0 || times[i - 1]! <= atMs, `row ${i}`));
    assert.ok(times[0]! >= startMs && times.at(-1)! < startMs + options.days * DAY_MS);
  }
});

test('one exact duplicate row and no conflicting duplicates', () => {
  const byKey = new Map<string, string[]>();
  for (const { event } of validEvents(rows)) {
    const key = idempotencyKey(event);
    byKey.set(key, [...(byKey.get(key) ?? []), JSON.stringify(event)]);
  }
  const repeated = [...byKey.values()].filter((contents) => contents.length > 1);
  assert.is(repeated.length, 1);
  assert.is(repeated[0]!.length, 2);
  assert.is(repeated[0]![0], repeated[0]![1]);
});

test('the sample shows every channel, refunds, cancellations and zero amounts', () => {
  const events = validEvents(rows).map(({ event }) => event);
  const channels = new Set(events.map((event) => event.channel));
  assert.equal([...channels].sort(), ['app', 'card-webhook', 'email-landing', 'partner', 'web']);
  assert.ok(events.some((event) => event.kind === 'refund'));
  assert.ok(events.some((event) => event.type === 'obligation' && /^0(\.0+)?$/.test(event.amount)));
  assert.ok(events.some((event) => event.type === 'payment' && /^0(\.0+)?$/.test(event.amount)));
  assert.ok(events.some((event) => event.type === 'payment' && event.ref === ''));
});

test('bad options are refused', () => {
  const bad: Partial<SampleOptions>[] = [
    { customers: 0 },
    { days: 1.5 },
    { seed: Number.NaN },
    { start: 'next monday' },
  ];
  for (const patch of bad) {
    const refused = (error: unknown) => error instanceof RangeError;
    assert.throws(() => generateSample({ ...DEFAULT_SAMPLE, ...patch }), refused);
  }
});

test.run();
