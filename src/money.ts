import Big from 'big.js';
import currencyCodes from 'currency-codes';

// Money never becomes a JS number: rounding is an error here, not a convenience.
Big.strict = true;
Big.DP = 20;
Big.RM = Big.roundHalfEven;

export { Big };

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
/** Digits before the point an amount may have (NUMERIC has room; this bounds nonsense). */
export const MAX_INTEGER_DIGITS = 15;

/**
 * Codes that ISO 4217 lists but that are not money a customer pays in: testing and "no
 * currency", precious metals, bond-market units, and the fund codes (units of account such
 * as USN, CLF or UYI that exist beside a country's currency).
 */
const TESTING = ['XXX', 'XTS'];
const METALS = ['XAU', 'XAG', 'XPD', 'XPT'];
const SETTLEMENT_UNITS = ['XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XSU', 'XUA'];
const FUNDS = ['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW'];
const NOT_MONEY = new Set([...TESTING, ...METALS, ...SETTLEMENT_UNITS, ...FUNDS]);

/** Number of decimals of an ISO 4217 currency, or undefined when the code is not money. */
export function minorUnits(currency: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(currency) || NOT_MONEY.has(currency)) return undefined;
  const entry = currencyCodes.code(currency);
  return entry ? entry.digits : undefined;
}

export type AmountProblem = 'bad_amount' | 'negative_amount' | 'too_many_decimals';

/**
 * Parses a non-negative decimal string in a currency's minor units. Returns the canonical
 * string (the currency's number of decimals) or the reason it is not an amount.
 */
export function parseAmount(
  text: string,
  currency: string,
): { ok: true; value: string } | { ok: false; reason: AmountProblem } {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) {
    return DECIMAL.test(trimmed.slice(1))
      ? { ok: false, reason: 'negative_amount' }
      : { ok: false, reason: 'bad_amount' };
  }
  const match = DECIMAL.exec(trimmed);
  if (!match || match[1]!.length > MAX_INTEGER_DIGITS) return { ok: false, reason: 'bad_amount' };
  const digits = minorUnits(currency) ?? 0;
  const fraction = (match[2] ?? '.').slice(1).replace(/0+$/, '');
  if (fraction.length > digits) return { ok: false, reason: 'too_many_decimals' };
  return { ok: true, value: formatMoney(new Big(trimmed), currency) };
}

/**
 * A Big as a decimal string with exactly the currency's number of decimals. A value finer
 * than the currency allows is a bug upstream, so it throws instead of rounding.
 */
export function formatMoney(value: Big, currency: string): string {
  const text = value.toFixed(minorUnits(currency) ?? 0);
  if (!value.eq(text)) throw new RangeError(`${value.toString()} is finer than ${currency} allows`);
  return text;
}

/** Sum of decimal strings, as a Big. */
export function sum(values: Iterable<string>): Big {
  let total = new Big('0');
  for (const value of values) total = total.plus(value);
  return total;
}
