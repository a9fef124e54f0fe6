/**
 * The one vocabulary of overpay: Redis key shapes, stream fields, reason codes, case states,
 * queue names and metric names. Code, logs, metrics and dashboards all take their names from
 * here so they cannot drift apart.
 */

/** Name of the consumer group that every partition stream carries. */
export const CONSUMER_GROUP = 'detectors';

/** Stream of partition `p`; the `{p7}` hash tag keeps one partition on one Cluster slot. */
export function streamKey(prefix: string, partition: number): string {
  return `${prefix}:{p${partition}}:events`;
}

/** Fields of a stream entry, in the order a producer writes them. */
export const EVENT_FIELDS = [
  'type',
  'channel',
  'external_id',
  'customer_id',
  'campaign_id',
  'ref',
  'kind',
  'amount',
  'currency',
  'occurred_at',
] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

export const EVENT_TYPES = ['obligation', 'payment'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const PAYMENT_KINDS = ['payment', 'refund', 'chargeback', 'reversal'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

/**
 * Why an input record or a stream entry was refused. Stable codes: operators filter on them
 * and the summary counts by them.
 */
export const REASONS = [
  'malformed_record', // the line is not parseable CSV / JSON at all
  'missing_field',
  'bad_type',
  'bad_kind',
  'bad_amount',
  'negative_amount',
  'too_many_decimals',
  'unknown_currency',
  'bad_timestamp',
  'timestamp_without_offset',
  'field_too_long',
  'conflicting_duplicate', // same idempotency key, different content, within one input
  'unknown_order', // olist: a payment or item whose order is not in the orders file
  'unknown_customer', // olist: an order whose customer is not in the customers file
  'currency_mismatch', // event currency differs from its campaign's currency
  'wrong_partition', // a producer wrote the event to another customer's partition stream
  'processing_failed', // the entry alone made its batch fail for a reason that is not passing
] as const;
export type Reason = (typeof REASONS)[number];

/** Every state a case can be in; see src/case.ts for which of them wait for a person. */
export const CASE_STATES = [
  'detected',
  'auto_credit_pending',
  'review_pending',
  'on_hold',
  'approved',
  'rejected',
  'credited',
  'refunded',
  'manually_adjusted',
  'closed',
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const WAITING_STATES: readonly CaseState[] = ['detected', 'review_pending', 'on_hold'];

export const RULES = ['limit_exceeded', 'duplicate_payment'] as const;
export type Rule = (typeof RULES)[number];

/** pg-boss queues. */
export const QUEUES = {
  credit: 'credit',
} as const;

/** Audit actions, one per case transition or adjustment. */
export const AUDIT_ACTIONS = {
  caseOpened: 'case_opened',
  caseAmountChanged: 'case_amount_changed',
  caseStateChanged: 'case_state_changed',
  caseClosed: 'case_closed',
  creditApplied: 'credit_applied',
} as const;

/** The actor name for decisions the detector takes without a person. */
export const SYSTEM_ACTOR = 'system:detector';
export const CREDIT_ACTOR = 'system:auto-credit';

export const METRICS = {
  eventsProcessed: 'overpay_events_processed_total',
  eventsDuplicate: 'overpay_events_duplicate_total',
  deadLetters: 'overpay_dead_letters_total',
  casesOpened: 'overpay_cases_opened_total',
  creditsApplied: 'overpay_credits_applied_total',
  batchSeconds: 'overpay_batch_duration_seconds',
  detectionLatency: 'overpay_detection_latency_seconds',
  batchFailures: 'overpay_batch_failures_total',
} as const;
