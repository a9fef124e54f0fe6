import { accountKey, type AccountState, type WaitingCase } from './account.ts';
import type { AuditRow } from './audit.ts';
import { Big, formatMoney } from './money.ts';
import type { Policy } from './policy.ts';
import {
  AUDIT_ACTIONS,
  SYSTEM_ACTOR,
  type CaseState,
  type EventType,
  type PaymentKind,
  type Rule,
} from './vocabulary.ts';

/** A new ledger row as detection sees it, in stream order. */
export interface DetectionEvent {
  seq: number;
  accountKey: string;
  type: EventType;
  kind: PaymentKind | '';
  amount: string;
  occurredAt: string;
  /** channel + external_id of an obligation, to order amendments with equal times. */
  sourceKey: string;
  /** Ledger seq of an earlier payment this one duplicates (same customer and amount). */
  duplicateOf: number | null;
}

export interface DetectionTask {
  accounts: AccountState[];
  events: DetectionEvent[];
  policies: Record<string, Policy>;
}

/** Final values of a case touched by a batch; written as one upsert. */
export interface CaseWrite {
  caseId: string;
  customerId: string;
  campaignId: string;
  ref: string;
  partition: number;
  currency: string;
  state: CaseState;
  amount: string;
  maxAmount: string;
  causes: Rule[];
  firstEvent: number;
  settled: boolean;
}

export interface FlagWrite {
  ledgerSeq: number;
  duplicateOf: number;
  customerId: string;
  campaignId: string;
  ref: string;
}

export interface DetectionResult {
  accounts: AccountState[];
  cases: CaseWrite[];
  audits: AuditRow[];
  flags: FlagWrite[];
  /** Accounts that gained a limit: their suspected-duplicate flags are cleared. */
  clearedFlagAccounts: string[];
  /** Cases that settled as auto credits and need a credit job. */
  credits: string[];
  casesOpened: { state: CaseState; rule: Rule }[];
}

export function emptyResult(): DetectionResult {
  return {
    accounts: [],
    cases: [],
    audits: [],
    flags: [],
    clearedFlagAccounts: [],
    credits: [],
    casesOpened: [],
  };
}

/** Runs every rule over a batch, event by event, so the outcome never depends on batching. */
export function detect(task: DetectionTask): DetectionResult {
  const accounts = new Map(task.accounts.map((a) => [accountKey(a), structuredClone(a)]));
  const out = emptyResult();
  const cases = new Map<string, CaseWrite>();
  for (const event of task.events) {
    const account = accounts.get(event.accountKey);
    if (!account) throw new Error(`detection: no state for account of event ${event.seq}`);
    const policy = task.policies[account.campaignId];
    if (!policy) throw new Error(`detection: no policy for campaign ${account.campaignId}`);
    handle(account, event, policy, cases, out);
  }
  out.accounts = [...accounts.values()];
  out.cases = [...cases.values()];
  return out;
}

function applyEvent(account: AccountState, event: DetectionEvent): void {
  if (event.type === 'payment') {
    const outflow = event.kind !== 'payment';
    const paid = new Big(account.netPaid);
    const net = outflow ? paid.minus(event.amount) : paid.plus(event.amount);
    account.netPaid = formatMoney(net, account.currency);
    account.paymentCount += 1;
  } else if (isNewerObligation(account, event)) {
    account.obligation = event.amount;
    account.obligationAt = event.occurredAt;
    account.obligationKey = event.sourceKey;
  }
}

/** A later obligation (by occurred_at, then by source key) replaces the amount owed. */
function isNewerObligation(account: AccountState, event: DetectionEvent): boolean {
  if (account.obligationAt === null) return true;
  const [then, now] = [Date.parse(account.obligationAt), Date.parse(event.occurredAt)];
  if (now !== then) return now > then;
  return event.sourceKey >= (account.obligationKey ?? '');
}

function handle(
  account: AccountState,
  event: DetectionEvent,
  policy: Policy,
  cases: Map<string, CaseWrite>,
  out: DetectionResult,
): void {
  applyEvent(account, event);
  const hadLimit = account.limit !== null;
  // TODO(cap-rejudge): a cap loaded or changed later reaches an account only with its next
  // event; unmatched payments under a newly capped campaign wait until then.
  account.limit = account.obligation ?? policy.perCustomerCap;
  if (account.limit === null) {
    if (event.duplicateOf !== null) {
      account.openFlags += 1;
      out.flags.push({
        ledgerSeq: event.seq,
        duplicateOf: event.duplicateOf,
        customerId: account.customerId,
        campaignId: account.campaignId,
        ref: account.ref,
      });
    }
    return;
  }
  // Flags raised while no limit was known name the cause of the case the limit reveals.
  const flagged = !hadLimit && account.openFlags > 0;
  if (flagged) {
    out.clearedFlagAccounts.push(accountKey(account));
    account.openFlags = 0;
  }
  const duplicate = flagged || event.duplicateOf !== null;
  evaluate(account, { event, policy, duplicate, cases, out });
}

/** What one evaluation needs besides the account it changes. */
interface Step {
  event: DetectionEvent;
  policy: Policy;
  /** The event, or a flag the new limit revealed, duplicates an earlier payment. */
  duplicate: boolean;
  cases: Map<string, CaseWrite>;
  out: DetectionResult;
}

function evaluate(account: AccountState, step: Step): void {
  const uncovered = new Big(account.netPaid).minus(account.limit!).minus(account.settled);
  const evidence = {
    event_seq: step.event.seq,
    net_paid: account.netPaid,
    limit: account.limit,
    settled: account.settled,
    uncovered: formatMoney(uncovered, account.currency),
    duplicate_of: step.event.duplicateOf,
  };
  const over = uncovered.gt(step.policy.tolerance);
  if (account.waiting && over) return grow(account, step, uncovered, evidence);
  if (account.waiting) return close(account, step, evidence);
  if (over) open(account, step, uncovered, evidence);
}

type Evidence = Record<string, unknown>;

function waitingState(amount: Big, policy: Policy): WaitingCase['state'] {
  return amount.gt(policy.holdThreshold) ? 'on_hold' : 'review_pending';
}

function isAutoCredit(amount: Big, limit: string, policy: Policy): boolean {
  if (amount.gt(policy.autoCreditCeiling)) return false;
  if (policy.autoCreditPercent === null) return true;
  return amount.lte(new Big(limit).times(policy.autoCreditPercent).div('100'));
}

/**
 * A case's id follows from the ledger row that opened it (an event opens one case at most),
 * so detection stays a pure function and a re-run would name the same case.
 */
export function caseIdFor(seq: number): string {
  return `00000000-0000-4000-8000-${seq.toString(16).padStart(12, '0')}`;
}

function open(account: AccountState, step: Step, uncovered: Big, evidence: Evidence): void {
  const { event, policy, cases, out } = step;
  const amount = formatMoney(uncovered, account.currency);
  const causes: Rule[] = ['limit_exceeded'];
  if (step.duplicate) causes.push('duplicate_payment');
  const auto = isAutoCredit(uncovered, account.limit!, policy);
  const state: CaseState = auto ? 'auto_credit_pending' : waitingState(uncovered, policy);
  const write: CaseWrite = {
    caseId: caseIdFor(event.seq),
    customerId: account.customerId,
    campaignId: account.campaignId,
    ref: account.ref,
    partition: account.partition,
    currency: account.currency,
    state,
    amount,
    maxAmount: amount,
    causes,
    firstEvent: event.seq,
    settled: auto,
  };
  cases.set(write.caseId, write);
  if (auto) {
    account.settled = formatMoney(new Big(account.settled).plus(amount), account.currency);
    out.credits.push(write.caseId);
  } else {
    const waiting = state as WaitingCase['state'];
    account.waiting = { caseId: write.caseId, state: waiting, amount, maxAmount: amount, causes };
  }
  out.casesOpened.push({ state, rule: 'limit_exceeded' });
  const reason = auto ? 'within auto-credit ceiling' : `above auto-credit ceiling: ${state}`;
  out.audits.push(
    audit(account, write.caseId, AUDIT_ACTIONS.caseOpened, reason, evidence, null, {
      state,
      amount,
      causes,
    }),
  );
}

function grow(account: AccountState, step: Step, uncovered: Big, evidence: Evidence): void {
  const { policy, cases, out } = step;
  const waiting = account.waiting!;
  const amount = formatMoney(uncovered, account.currency);
  const state = waitingState(uncovered, policy);
  const causes = [...waiting.causes];
  if (step.duplicate && !causes.includes('duplicate_payment')) {
    causes.push('duplicate_payment');
  }
  if (
    amount === waiting.amount &&
    state === waiting.state &&
    causes.length === waiting.causes.length
  ) {
    return;
  }
  const before = { state: waiting.state, amount: waiting.amount };
  const maxAmount = uncovered.gt(waiting.maxAmount) ? amount : waiting.maxAmount;
  account.waiting = { ...waiting, state, amount, maxAmount, causes };
  cases.set(waiting.caseId, waitingWrite(account, account.waiting, cases));
  const action =
    state === waiting.state ? AUDIT_ACTIONS.caseAmountChanged : AUDIT_ACTIONS.caseStateChanged;
  out.audits.push(
    audit(account, waiting.caseId, action, 'uncovered excess changed', evidence, before, {
      state,
      amount,
    }),
  );
}

function close(account: AccountState, step: Step, evidence: Evidence): void {
  const { cases, out } = step;
  const waiting = account.waiting!;
  // Closed with amount 0: the excess it stood for is gone, so it covers nothing.
  const closed = { ...waiting, amount: formatMoney(new Big('0'), account.currency) };
  const write = {
    ...waitingWrite(account, closed, cases),
    state: 'closed' as const,
    settled: true,
  };
  cases.set(waiting.caseId, write);
  account.waiting = null;
  const before = { state: waiting.state, amount: waiting.amount };
  out.audits.push(
    audit(account, waiting.caseId, AUDIT_ACTIONS.caseClosed, 'excess withdrawn', evidence, before, {
      state: 'closed',
      amount: closed.amount,
    }),
  );
}

function waitingWrite(
  account: AccountState,
  waiting: WaitingCase,
  cases: Map<string, CaseWrite>,
): CaseWrite {
  const known = cases.get(waiting.caseId);
  return {
    caseId: waiting.caseId,
    customerId: account.customerId,
    campaignId: account.campaignId,
    ref: account.ref,
    partition: account.partition,
    currency: account.currency,
    state: waiting.state,
    amount: waiting.amount,
    maxAmount: waiting.maxAmount,
    causes: waiting.causes,
    // -1: the case was opened by an earlier batch; the upsert keeps its stored first event.
    firstEvent: known?.firstEvent ?? -1,
    settled: false,
  };
}

function audit(
  account: AccountState,
  caseId: string,
  action: string,
  reason: string,
  evidence: Evidence,
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): AuditRow {
  return {
    actor: SYSTEM_ACTOR,
    action,
    caseId,
    customerId: account.customerId,
    reason,
    evidence,
    before,
    after,
  };
}
