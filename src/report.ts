import { sql, type Queryable } from './db.ts';
import { Big, formatMoney } from './money.ts';
import { CASE_STATES, type CaseState } from './vocabulary.ts';

/** The summary report: what was taken in, what was found, what was resolved. */
export interface Summary {
  payments: number;
  obligations: number;
  accounts: number;
  overpaid_accounts: number;
  detected_excess: Record<string, string>;
  cases: Record<CaseState, number>;
  credited: Record<string, string>;
  rejected: { total: number; by_reason: Record<string, number> };
  dead_letters: number;
  unmatched_payments: number;
  suspected_duplicates: number;
}

export async function summary(db: Queryable): Promise<Summary> {
  const counts = (await db.query(sql('summary_counts'))).rows[0] as Omit<
    Summary,
    'detected_excess' | 'cases' | 'credited' | 'rejected'
  >;
  const money = await db.query<{ currency: string; detected_excess: string; credited: string }>(
    sql('summary_money'),
  );
  const detected: Record<string, string> = {};
  const credited: Record<string, string> = {};
  for (const row of money.rows) {
    const currency = row.currency.trim();
    detected[currency] = formatMoney(new Big(row.detected_excess), currency);
    credited[currency] = formatMoney(new Big(row.credited), currency);
  }
  const cases = Object.fromEntries(CASE_STATES.map((s) => [s, 0])) as Record<CaseState, number>;
  for (const row of (await db.query<{ state: CaseState; n: number }>(sql('summary_cases'))).rows) {
    cases[row.state] = row.n;
  }
  const byReason: Record<string, number> = {};
  for (const row of (await db.query<{ reason: string; n: number }>(sql('summary_rejected'))).rows) {
    byReason[row.reason] = row.n;
  }
  const total = Object.values(byReason).reduce((a, b) => a + b, 0);
  return {
    payments: counts.payments,
    obligations: counts.obligations,
    accounts: counts.accounts,
    overpaid_accounts: counts.overpaid_accounts,
    detected_excess: detected,
    cases,
    credited,
    rejected: { total, by_reason: byReason },
    dead_letters: counts.dead_letters,
    unmatched_payments: counts.unmatched_payments,
    suspected_duplicates: counts.suspected_duplicates,
  };
}

// Wide enough for the longest reason code, indented: "  timestamp_without_offset".
const LABEL_WIDTH = 28;
const VALUE_WIDTH = 16;

/** One line of the text summary: a label, then values right-aligned in columns. */
function line(label: string, ...values: (string | number)[]): string {
  const cells = values.map((value) => String(value).padStart(VALUE_WIDTH));
  return (label.padEnd(LABEL_WIDTH) + cells.join('')).trimEnd();
}

/** A total and, indented below it, its nonzero parts. */
function breakdown(label: string, parts: Record<string, number>): string[] {
  const nonzero = Object.entries(parts).filter(([, n]) => n > 0);
  const total = nonzero.reduce((sum, [, n]) => sum + n, 0);
  return [line(label, total), ...nonzero.map(([name, n]) => line(`  ${name}`, n))];
}

const zero = (currency: string) => formatMoney(new Big('0'), currency);

/** Detected excess and credits, one line per currency that has either. */
function moneyLines(s: Summary): string[] {
  const currencies = [...new Set([...Object.keys(s.detected_excess), ...Object.keys(s.credited)])];
  if (currencies.length === 0) return [line('money', 'none')];
  const rows = currencies
    .sort()
    .map((c) => line(`  ${c}`, s.detected_excess[c] ?? zero(c), s.credited[c] ?? zero(c)));
  return [line('money', 'detected excess', 'credited'), ...rows];
}

/** The summary as a short table for a person; `report summary --json` gives the object. */
export function formatSummary(s: Summary): string {
  const counts = [
    line('payments', s.payments),
    line('obligations', s.obligations),
    line('accounts', s.accounts),
    line('overpaid accounts', s.overpaid_accounts),
    line('unmatched payments', s.unmatched_payments),
    line('suspected duplicates', s.suspected_duplicates),
    line('dead letters', s.dead_letters),
  ];
  const sections = [counts, moneyLines(s), breakdown('cases', s.cases)];
  sections.push(breakdown('rejected', s.rejected.by_reason));
  return sections.map((lines) => lines.join('\n')).join('\n\n');
}
