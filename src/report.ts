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
