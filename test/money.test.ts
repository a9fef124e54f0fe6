import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Big, formatMoney, minorUnits, parseAmount, sum } from '../src/money.ts';

const DIGITS = { BRL: 2, JPY: 0, BHD: 3 } as const;
type Currency = keyof typeof DIGITS;
const CURRENCIES = Object.keys(DIGITS) as Currency[];

/** Minor units as a decimal string, with BigInt only (no Big, no number). */
function decimalOf(minor: bigint, digits: number): string {
  if (digits === 0) return minor.toString();
  const text = minor.toString().padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

const ok = (value: string) => ({ ok: true, value });
const refused = (reason: string) => ({ ok: false, reason });

test('minorUnits gives the ISO 4217 decimals: BRL 2, JPY 0, BHD 3', () => {
  assert.is(minorUnits('BRL'), 2);
  assert.is(minorUnits('JPY'), 0);
  assert.is(minorUnits('BHD'), 3);
});

test('minorUnits is undefined for testing / no-currency codes, unknown codes and lowercase', () => {
  for (const code of ['XXX', 'XTS', 'XAU', 'ABC', 'QQQ', 'brl', 'Brl', 'BR', 'BRLX', '']) {
    assert.is(minorUnits(code), undefined, code);
  }
});

test('fund codes, metals and settlement units are not money a customer pays in', () => {
  for (const code of [
    'USN',
    'BOV',
    'CLF',
    'COU',
    'MXV',
    'UYI',
    'UYW',
    'CHE',
    'CHW',
    'XBA',
    'XDR',
  ]) {
    assert.is(minorUnits(code), undefined, code);
  }
  for (const code of ['USD', 'CLP', 'MXN', 'UYU', 'CHF', 'EUR']) {
    assert.ok(minorUnits(code) !== undefined, code);
  }
});

test('parseAmount refuses more decimals than the currency has', () => {
  assert.equal(parseAmount('12.345', 'BRL'), refused('too_many_decimals'));
  assert.equal(parseAmount('1000.5', 'JPY'), refused('too_many_decimals'));
  assert.equal(parseAmount('1.2345', 'BHD'), refused('too_many_decimals'));
});

test('parseAmount canonicalises to exactly the currency decimals', () => {
  assert.equal(parseAmount('1000', 'JPY'), ok('1000'));
  assert.equal(parseAmount('1000.0', 'JPY'), ok('1000'), 'trailing zeros are not decimals');
  assert.equal(parseAmount('12.340', 'BRL'), ok('12.34'));
  assert.equal(parseAmount('12.5', 'BRL'), ok('12.50'));
  assert.equal(parseAmount('0', 'BRL'), ok('0.00'));
  assert.equal(parseAmount('0', 'BHD'), ok('0.000'));
  assert.equal(parseAmount('7.1', 'BHD'), ok('7.100'));
  assert.equal(parseAmount(' 12.5 ', 'BRL'), ok('12.50'), 'surrounding blanks are trimmed');
});

test('parseAmount refuses a negative decimal as negative_amount, a negative non-number as bad', () => {
  assert.equal(parseAmount('-1', 'BRL'), refused('negative_amount'));
  assert.equal(parseAmount('-12.50', 'BRL'), refused('negative_amount'));
  assert.equal(parseAmount('-abc', 'BRL'), refused('bad_amount'));
});

test('parseAmount refuses everything that is not a plain decimal as bad_amount', () => {
  for (const text of ['1e3', '', ' ', '1.', '.5', '01.00', '00', '12,50', '+1', '0x10', '1_000']) {
    assert.equal(parseAmount(text, 'BRL'), refused('bad_amount'), JSON.stringify(text));
  }
  for (const text of ['Infinity', 'NaN', '1 000', '١٢']) {
    assert.equal(parseAmount(text, 'BRL'), refused('bad_amount'), JSON.stringify(text));
  }
});

test('parseAmount takes 15 integer digits and refuses 16', () => {
  assert.equal(parseAmount('999999999999999.99', 'BRL'), ok('999999999999999.99'));
  assert.equal(parseAmount('1000000000000000', 'BRL'), refused('bad_amount'));
  assert.equal(parseAmount('1234567890123456.00', 'BRL'), refused('bad_amount'));
  assert.equal(parseAmount('1234567890123456', 'JPY'), refused('bad_amount'));
});

test('formatMoney writes exactly the currency decimals', () => {
  assert.is(formatMoney(new Big('12.3'), 'BRL'), '12.30');
  assert.is(formatMoney(new Big('12'), 'JPY'), '12');
  assert.is(formatMoney(new Big('1.5'), 'BHD'), '1.500');
  assert.is(formatMoney(new Big('0'), 'BRL'), '0.00');
  assert.is(formatMoney(new Big('999999999999999.99'), 'BRL'), '999999999999999.99');
  assert.is(formatMoney(new Big('0.1').plus('0.2'), 'BRL'), '0.30', 'no binary floating point');
  assert.throws(() => formatMoney(new Big('12.345'), 'BRL'), /finer than BRL/);
  assert.throws(() => formatMoney(new Big('0.5'), 'JPY'), /finer than JPY/);
});

test('sum adds decimal strings exactly', () => {
  assert.is(sum(['0.10', '0.20', '0.30']).toFixed(2), '0.60');
  assert.is(sum([]).toFixed(2), '0.00');
  assert.is(sum(['999999999999999.99', '0.01']).toFixed(2), '1000000000000000.00');
});

const currency = fc.constantFrom(...CURRENCIES);
/** Minor units of any amount parseAmount accepts in `c` (at most 15 integer digits). */
const minorOf = (c: Currency) => fc.bigInt({ min: 0n, max: 10n ** BigInt(15 + DIGITS[c]) - 1n });

test('property: formatting minor units then parsing round-trips exactly', () => {
  fc.assert(
    fc.property(
      currency.chain((c) => fc.tuple(fc.constant(c), minorOf(c))),
      ([c, minor]) => {
        const digits = DIGITS[c];
        const expected = decimalOf(minor, digits);
        const formatted = formatMoney(new Big(minor.toString()).div('1' + '0'.repeat(digits)), c);
        assert.is(formatted, expected);
        assert.equal(parseAmount(formatted, c), ok(expected));
      },
    ),
    { numRuns: 500 },
  );
});

test('property: parsing drops only trailing zeros and keeps the value', () => {
  fc.assert(
    fc.property(
      currency.chain((c) => fc.tuple(fc.constant(c), minorOf(c), fc.integer({ min: 1, max: 4 }))),
      ([c, minor, zeros]) => {
        const digits = DIGITS[c];
        const padded = decimalOf(minor * 10n ** BigInt(zeros), digits + zeros);
        assert.equal(parseAmount(padded, c), ok(decimalOf(minor, digits)));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: the sum of parsed amounts equals the BigInt sum of the minor units', () => {
  fc.assert(
    fc.property(
      currency.chain((c) =>
        fc.tuple(fc.constant(c), fc.array(minorOf(c), { minLength: 0, maxLength: 40 })),
      ),
      ([c, minors]) => {
        const digits = DIGITS[c];
        const parsed = minors.map((m) => {
          const result = parseAmount(decimalOf(m, digits), c);
          if (!result.ok) throw new Error(`refused ${m}: ${result.reason}`);
          return result.value;
        });
        const total = minors.reduce((a, b) => a + b, 0n);
        assert.is(formatMoney(sum(parsed), c), decimalOf(total, digits));
      },
    ),
    { numRuns: 300 },
  );
});

test('property: one decimal too many is always too_many_decimals', () => {
  fc.assert(
    fc.property(
      currency.chain((c) => fc.tuple(fc.constant(c), minorOf(c), fc.integer({ min: 1, max: 9 }))),
      ([c, minor, last]) => {
        const text = decimalOf(minor * 10n + BigInt(last), DIGITS[c] + 1);
        assert.equal(parseAmount(text, c), refused('too_many_decimals'));
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
