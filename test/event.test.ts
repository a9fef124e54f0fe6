import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { idempotencyKey, validateEvent, type RawRecord } from '../src/event.ts';
import { partitionOf } from '../src/partition.ts';

const PAYMENT = {
  type: 'payment',
  channel: 'web',
  external_id: 'p-1',
  customer_id: 'cust-1',
  campaign_id: 'camp',
  ref: 'order-1',
  kind: 'payment',
  amount: '10.5',
  currency: 'BRL',
  occurred_at: '2026-01-01T10:00:00Z',
};

/** The rejection of `raw`, as [reason, field]; fails the test when it is accepted. */
function refusal(raw: RawRecord): [string, string] {
  const result = validateEvent(raw);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.event)}`);
  return [result.rejection.reason, result.rejection.field];
}

/** The message of the rejection of `raw`. */
function message(raw: RawRecord): string {
  const result = validateEvent(raw);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.event)}`);
  return result.rejection.message;
}

function accepted(raw: RawRecord) {
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.rejection)}`);
  return result.event;
}

test('a valid payment is accepted with a canonical amount and a UTC time', () => {
  assert.equal(accepted(PAYMENT), {
    ...PAYMENT,
    amount: '10.50',
    occurred_at: '2026-01-01T10:00:00.000Z',
  });
});

test('each required field, absent or blank, is missing_field naming that field', () => {
  const required = [
    'type',
    'channel',
    'external_id',
    'customer_id',
    'campaign_id',
    'amount',
    'currency',
    'occurred_at',
  ] as const;
  for (const field of required) {
    const absent: RawRecord = { ...PAYMENT };
    delete absent[field];
    assert.equal(refusal(absent), ['missing_field', field], `${field} absent`);
    assert.equal(
      refusal({ ...PAYMENT, [field]: '   ' }),
      ['missing_field', field],
      `${field} blank`,
    );
    assert.equal(refusal({ ...PAYMENT, [field]: null }), ['missing_field', field], `${field} null`);
  }
});

test('an id that is an object, array or boolean is malformed_record; a number becomes text', () => {
  for (const value of [{ a: 1 }, [1], true]) {
    assert.equal(refusal({ ...PAYMENT, channel: value }), ['malformed_record', 'channel']);
  }
  assert.is(accepted({ ...PAYMENT, external_id: 12345 }).external_id, '12345');
});

test('a type other than obligation or payment is bad_type', () => {
  assert.equal(refusal({ ...PAYMENT, type: 'invoice' }), ['bad_type', 'type']);
  assert.equal(refusal({ ...PAYMENT, type: 'Payment ' }), ['bad_type', 'type']);
});

test('a payment with kind gift, and an obligation with kind refund, are bad_kind', () => {
  assert.equal(refusal({ ...PAYMENT, kind: 'gift' }), ['bad_kind', 'kind']);
  assert.equal(refusal({ ...PAYMENT, type: 'obligation', kind: 'refund' }), ['bad_kind', 'kind']);
  assert.is(
    message({ ...PAYMENT, kind: 'gift' }),
    "kind 'gift' is not payment, refund, chargeback, reversal",
  );
});

test('a payment without a kind, empty or absent, is missing_field on kind', () => {
  const absent: RawRecord = { ...PAYMENT };
  delete absent.kind;
  for (const raw of [absent, { ...PAYMENT, kind: '' }, { ...PAYMENT, kind: '  ' }]) {
    assert.equal(refusal(raw), ['missing_field', 'kind']);
    assert.is(
      message(raw),
      'kind is required for a payment: payment, refund, chargeback, reversal',
    );
  }
});

test('payment kinds refund, chargeback and reversal are accepted as such', () => {
  for (const kind of ['refund', 'chargeback', 'reversal']) {
    assert.is(accepted({ ...PAYMENT, kind }).kind, kind);
  }
});

test('an obligation has kind "" whether the kind is empty or "obligation"', () => {
  assert.is(accepted({ ...PAYMENT, type: 'obligation', kind: '' }).kind, '');
  assert.is(accepted({ ...PAYMENT, type: 'obligation', kind: 'obligation' }).kind, '');
  const noKind: RawRecord = { ...PAYMENT, type: 'obligation' };
  delete noKind.kind;
  assert.is(accepted(noKind).kind, '');
});

test('amount problems are bad_amount, negative_amount and too_many_decimals on field amount', () => {
  assert.equal(refusal({ ...PAYMENT, amount: '12,50' }), ['bad_amount', 'amount']);
  assert.equal(refusal({ ...PAYMENT, amount: 'ten' }), ['bad_amount', 'amount']);
  assert.equal(refusal({ ...PAYMENT, amount: '-5.00' }), ['negative_amount', 'amount']);
  assert.equal(refusal({ ...PAYMENT, amount: '1.001' }), ['too_many_decimals', 'amount']);
  assert.equal(refusal({ ...PAYMENT, amount: '1.5', currency: 'JPY' }), [
    'too_many_decimals',
    'amount',
  ]);
  assert.is(accepted({ ...PAYMENT, amount: '1.001', currency: 'BHD' }).amount, '1.001');
});

test('an amount with more than 15 digits before the point is bad_amount saying so', () => {
  const sixteen = '1234567890123456';
  for (const amount of [sixteen, `${sixteen}.50`]) {
    assert.equal(refusal({ ...PAYMENT, amount }), ['bad_amount', 'amount']);
    assert.is(
      message({ ...PAYMENT, amount }),
      `amount '${amount}' has more than 15 digits before the point`,
    );
  }
  // The count here and the limit in money.ts must agree: 15 digits pass both.
  assert.is(accepted({ ...PAYMENT, amount: '999999999999999.99' }).amount, '999999999999999.99');
  assert.is(message({ ...PAYMENT, amount: 'ten' }), "amount 'ten' is not a decimal number");
});

test('a currency that is not ISO 4217 money is unknown_currency; lowercase is upper-cased', () => {
  assert.equal(refusal({ ...PAYMENT, currency: 'XYZ' }), ['unknown_currency', 'currency']);
  assert.equal(refusal({ ...PAYMENT, currency: 'XXX' }), ['unknown_currency', 'currency']);
  assert.equal(refusal({ ...PAYMENT, currency: 'BTC' }), ['unknown_currency', 'currency']);
  assert.is(accepted({ ...PAYMENT, currency: 'brl' }).currency, 'BRL');
});

test('an impossible date or a non-ISO text is bad_timestamp', () => {
  for (const at of ['2026-02-30T10:00:00Z', 'yesterday', '2026-01-01T25:00:00Z', '2026-13-01Z']) {
    assert.equal(refusal({ ...PAYMENT, occurred_at: at }), ['bad_timestamp', 'occurred_at'], at);
  }
});

test('a local time without offset is timestamp_without_offset', () => {
  const at = '2026-01-01T10:00:00';
  assert.equal(refusal({ ...PAYMENT, occurred_at: at }), [
    'timestamp_without_offset',
    'occurred_at',
  ]);
});

test('a date alone (no time, no offset) is timestamp_without_offset', () => {
  // '2026-01-01' ends in '-01', which must not be taken for a UTC offset of -01.
  assert.equal(refusal({ ...PAYMENT, occurred_at: '2026-01-01' }), [
    'timestamp_without_offset',
    'occurred_at',
  ]);
});

test('occurred_at is normalised to UTC with milliseconds', () => {
  const utc = (at: string) => accepted({ ...PAYMENT, occurred_at: at }).occurred_at;
  assert.is(utc('2026-01-01T10:00:00-03:00'), '2026-01-01T13:00:00.000Z');
  assert.is(utc('2026-01-01T10:00:00+05:30'), '2026-01-01T04:30:00.000Z');
  assert.is(utc('2026-01-01 10:00:00+00:00'), '2026-01-01T10:00:00.000Z');
  assert.is(utc('2026-01-01T00:30:00+01:00'), '2025-12-31T23:30:00.000Z');
  assert.is(utc('2026-01-01T10:00:00.25Z'), '2026-01-01T10:00:00.250Z');
});

test('an identifier over 200 characters is field_too_long; 200 is accepted', () => {
  assert.equal(refusal({ ...PAYMENT, external_id: 'x'.repeat(201) }), [
    'field_too_long',
    'external_id',
  ]);
  assert.equal(refusal({ ...PAYMENT, customer_id: 'c'.repeat(201) }), [
    'field_too_long',
    'customer_id',
  ]);
  assert.equal(refusal({ ...PAYMENT, ref: 'r'.repeat(201) }), ['field_too_long', 'ref']);
  assert.is(accepted({ ...PAYMENT, external_id: 'x'.repeat(200) }).external_id.length, 200);
});

test('ref is optional and becomes ""; identifiers are trimmed', () => {
  const noRef: RawRecord = { ...PAYMENT };
  delete noRef.ref;
  assert.is(accepted(noRef).ref, '');
  assert.is(accepted({ ...PAYMENT, ref: '  ' }).ref, '');
  assert.is(accepted({ ...PAYMENT, customer_id: '  cust-1 ' }).customer_id, 'cust-1');
});

test('idempotencyKey differs by type, channel and external_id and by nothing else', () => {
  const key = (o: Partial<typeof PAYMENT>) => idempotencyKey(accepted({ ...PAYMENT, ...o }));
  const base = key({});
  assert.is.not(key({ type: 'obligation', kind: '' }), base);
  assert.is.not(key({ channel: 'app' }), base);
  assert.is.not(key({ external_id: 'p-2' }), base);
  assert.is(
    key({ amount: '99.00', customer_id: 'other', occurred_at: '2027-01-01T00:00:00Z' }),
    base,
  );
  // The separator keeps field boundaries: ('ab','c') and ('a','bc') stay apart.
  assert.is.not(
    idempotencyKey({ type: 'payment', channel: 'ab', external_id: 'c' }),
    idempotencyKey({ type: 'payment', channel: 'a', external_id: 'bc' }),
  );
});

/** FNV-1a 32 bit, written with BigInt so it shares nothing with src/partition.ts. */
function fnv1a32(text: string): bigint {
  let hash = 0x811c9dc5n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x01000193n) % 2n ** 32n;
  }
  return hash;
}

test('the reference FNV-1a matches the published test vectors', () => {
  assert.is(fnv1a32(''), 0x811c9dc5n);
  assert.is(fnv1a32('a'), 0xe40c292cn);
  assert.is(fnv1a32('foobar'), 0xbf9cf968n);
});

test('partitionOf is FNV-1a 32 modulo the partition count, with fixed known values', () => {
  assert.is(partitionOf('', 4), 1); // 0x811c9dc5 % 4
  assert.is(partitionOf('a', 4), 0); // 0xe40c292c % 4
  assert.is(partitionOf('a', 16), 12); // 0x...c
  assert.is(partitionOf('foobar', 16), 8); // 0x...8
  assert.is(partitionOf('foobar', 256), 0x68);
  assert.is(partitionOf('anything', 1), 0);
  for (const id of ['cust-1', 'cust-2', 'São Paulo', '0f1a2b3c4d5e6f', '日本']) {
    for (const p of [1, 3, 4, 16, 1024]) {
      assert.is(partitionOf(id, p), Number(fnv1a32(id) % BigInt(p)), `${id} / ${p}`);
    }
  }
});

test('property: partitionOf is the reference hash and always within [0, P)', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.integer({ min: 1, max: 1024 }),
      (id, p) => {
        const partition = partitionOf(id, p);
        assert.ok(Number.isInteger(partition) && partition >= 0 && partition < p);
        assert.is(partition, Number(fnv1a32(id) % BigInt(p)));
        assert.is(partitionOf(id, p), partition, 'stable on a second call');
      },
    ),
    { numRuns: 1000 },
  );
});

test.run();
