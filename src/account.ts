import { Big, formatMoney } from './money.ts';
import type { Rule } from './vocabulary.ts';

/** A case still waiting for a person; its amount follows the account's uncovered excess. */
export interface WaitingCase {
  caseId: string;
  state: 'review_pending' | 'on_hold';
  amount: string;
  maxAmount: string;
  causes: Rule[];
}

/**
 * Running totals of one account (customer, campaign, ref). Plain data with money as decimal
 * strings, so it crosses the thread boundary to the detection pool unchanged.
 */
export interface AccountState {
  customerId: string;
  campaignId: string;
  ref: string;
  partition: number;
  currency: string;
  obligation: string | null;
  obligationAt: string | null;
  obligationKey: string | null;
  /** The limit the last evaluation used: the obligation, else the campaign cap, else null. */
  limit: string | null;
  netPaid: string;
  settled: string;
  paymentCount: number;
  /** Suspected-duplicate flags raised while the account had no limit. */
  openFlags: number;
  waiting: WaitingCase | null;
}

/** Map key of an account; NUL cannot occur in validated ids. */
export function accountKey(a: { customerId: string; campaignId: string; ref: string }): string {
  return `${a.customerId}\u0000${a.campaignId}\u0000${a.ref}`;
}

export function newAccount(
  customerId: string,
  campaignId: string,
  ref: string,
  partition: number,
  currency: string,
): AccountState {
  return {
    customerId,
    campaignId,
    ref,
    partition,
    currency,
    obligation: null,
    obligationAt: null,
    obligationKey: null,
    limit: null,
    netPaid: formatMoney(new Big('0'), currency),
    settled: formatMoney(new Big('0'), currency),
    paymentCount: 0,
    openFlags: 0,
    waiting: null,
  };
}
