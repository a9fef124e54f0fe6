import { DateTime } from 'luxon';
import { z } from 'zod';
import { MAX_INTEGER_DIGITS, minorUnits, parseAmount } from './money.ts';
import {
  EVENT_FIELDS,
  EVENT_TYPES,
  PAYMENT_KINDS,
  type EventType,
  type PaymentKind,
  type Reason,
} from './vocabulary.ts';

/**
 * One obligation or payment, as it travels on the streams and is stored in the ledger.
 * `amount` is canonical (the currency's decimals), `occurred_at` is UTC ISO 8601 with
 * milliseconds, `ref` is '' when the event belongs to the campaign-level account.
 */
export interface OverpayEvent {
  type: EventType;
  channel: string;
  external_id: string;
  customer_id: string;
  campaign_id: string;
  ref: string;
  kind: PaymentKind | '';
  amount: string;
  currency: string;
  occurred_at: string;
}

export interface Rejection {
  reason: Reason;
  field: string;
  message: string;
}

export type Validated = { ok: true; event: OverpayEvent } | { ok: false; rejection: Rejection };

const MAX_ID_LENGTH = 200;
/** Date, optional time, optional offset; a date alone or a time without offset is refused. */
const ISO_8601 =
  /^\d{4}-\d{2}-\d{2}(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Raw fields as they come from a file, a stream entry or an HTTP body. */
export type RawRecord = Partial<Record<string, unknown>>;

/** Adds an issue carrying our reason code; `path` is null inside a field's own transform. */
function fail(
  ctx: z.RefinementCtx,
  reason: Reason,
  path: string | null,
  message: string,
): typeof z.NEVER {
  const at = path === null ? [] : [path];
  ctx.addIssue({ code: z.ZodIssueCode.custom, path: at, message, params: { reason } });
  return z.NEVER;
}

const identifier = (field: string, required: boolean) =>
  z.unknown().transform((value, ctx) => {
    if (value !== undefined && value !== null && !['string', 'number'].includes(typeof value)) {
      return fail(ctx, 'malformed_record', null, `${field} must be a string`);
    }
    const text = value === undefined || value === null ? '' : String(value).trim();
    if (required && text === '') return fail(ctx, 'missing_field', null, `${field} is required`);
    if (text.length > MAX_ID_LENGTH) {
      return fail(ctx, 'field_too_long', null, `${field} exceeds ${MAX_ID_LENGTH} characters`);
    }
    return text;
  });

function parseTimestamp(text: string, ctx: z.RefinementCtx): string {
  if (text === '') return fail(ctx, 'missing_field', 'occurred_at', 'occurred_at is required');
  const shape = ISO_8601.exec(text);
  if (!shape) {
    return fail(ctx, 'bad_timestamp', 'occurred_at', `occurred_at '${text}' is not ISO 8601`);
  }
  if (shape[1] === undefined && shape[2] !== undefined) {
    return fail(ctx, 'bad_timestamp', 'occurred_at', `occurred_at '${text}' has no time of day`);
  }
  if (shape[1] === undefined || shape[2] === undefined) {
    return fail(
      ctx,
      'timestamp_without_offset',
      'occurred_at',
      `occurred_at '${text}' has no UTC offset or Z`,
    );
  }
  const parsed = DateTime.fromISO(text.replace(' ', 'T'), { setZone: true });
  if (!parsed.isValid) {
    return fail(ctx, 'bad_timestamp', 'occurred_at', `occurred_at '${text}' is not a real time`);
  }
  return parsed.toUTC().toISO()!;
}

/** Why a field is refused, before it becomes a zod issue. */
interface Problem {
  reason: Reason;
  message: string;
}

/** A payment names its kind; an obligation takes none ('obligation' is allowed as none). */
function eventKind(type: EventType, kind: string): PaymentKind | '' | Problem {
  if (type === 'obligation') {
    if (kind === '' || kind === 'obligation') return '';
    return { reason: 'bad_kind', message: `an obligation takes no kind, got '${kind}'` };
  }
  const kinds = PAYMENT_KINDS.join(', ');
  if (kind === '') {
    return { reason: 'missing_field', message: `kind is required for a payment: ${kinds}` };
  }
  if (!(PAYMENT_KINDS as readonly string[]).includes(kind)) {
    return { reason: 'bad_kind', message: `kind '${kind}' is not ${kinds}` };
  }
  return kind as PaymentKind;
}

/** The whole part of a decimal, to say why a too-long amount is refused. */
const WHOLE_PART = /^(0|[1-9]\d*)(?:\.\d+)?$/;

/** The canonical amount in `currency`, or why the text is not one. */
function eventAmount(text: string, currency: string): string | Problem {
  if (text === '') return { reason: 'missing_field', message: 'amount is required' };
  const whole = WHOLE_PART.exec(text)?.[1] ?? '';
  if (whole.length > MAX_INTEGER_DIGITS) {
    const digits = MAX_INTEGER_DIGITS;
    const message = `amount '${text}' has more than ${digits} digits before the point`;
    return { reason: 'bad_amount', message };
  }
  const amount = parseAmount(text, currency);
  if (amount.ok) return amount.value;
  const why = {
    bad_amount: 'is not a decimal number',
    negative_amount: 'is negative; use kind refund, chargeback or reversal',
    too_many_decimals: `has more decimals than ${currency} allows (${minorUnits(currency)})`,
  }[amount.reason];
  return { reason: amount.reason, message: `amount '${text}' ${why}` };
}

const eventSchema = z
  .object({
    type: z.unknown(),
    channel: identifier('channel', true),
    external_id: identifier('external_id', true),
    customer_id: identifier('customer_id', true),
    campaign_id: identifier('campaign_id', true),
    ref: identifier('ref', false),
    kind: z.unknown(),
    amount: z.unknown(),
    currency: z.unknown(),
    occurred_at: z.unknown(),
  })
  .transform((raw, ctx): OverpayEvent => {
    const text = (value: unknown) =>
      value === undefined || value === null ? '' : String(value).trim();
    const type = text(raw.type);
    if (type === '') return fail(ctx, 'missing_field', 'type', 'type is required');
    if (!(EVENT_TYPES as readonly string[]).includes(type)) {
      return fail(ctx, 'bad_type', 'type', `type '${type}' is not obligation or payment`);
    }
    const kind = eventKind(type as EventType, text(raw.kind));
    if (typeof kind !== 'string') return fail(ctx, kind.reason, 'kind', kind.message);
    const currency = text(raw.currency).toUpperCase();
    if (currency === '') return fail(ctx, 'missing_field', 'currency', 'currency is required');
    if (minorUnits(currency) === undefined) {
      return fail(
        ctx,
        'unknown_currency',
        'currency',
        `'${currency}' is not an ISO 4217 money code`,
      );
    }
    const amount = eventAmount(text(raw.amount), currency);
    if (typeof amount !== 'string') return fail(ctx, amount.reason, 'amount', amount.message);
    return {
      type: type as EventType,
      channel: raw.channel,
      external_id: raw.external_id,
      customer_id: raw.customer_id,
      campaign_id: raw.campaign_id,
      ref: raw.ref,
      kind,
      amount,
      currency,
      occurred_at: parseTimestamp(text(raw.occurred_at), ctx),
    };
  });

/** Validates one record from any entrance; the first problem found is the one reported. */
export function validateEvent(raw: RawRecord): Validated {
  const result = eventSchema.safeParse(raw);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0]!;
  const params = (issue as { params?: { reason?: Reason } }).params;
  return {
    ok: false,
    rejection: {
      reason: params?.reason ?? 'malformed_record',
      field: issue.path.join('.') || 'record',
      message: issue.message,
    },
  };
}

/** The idempotency key of an event: (type, channel, external_id). */
export function idempotencyKey(event: Pick<OverpayEvent, 'type' | 'channel' | 'external_id'>) {
  return `${event.type}\u0000${event.channel}\u0000${event.external_id}`;
}

/** An event's idempotency key as people read it: `payment web/p-17`. */
export function describeKey(event: Pick<OverpayEvent, 'type' | 'channel' | 'external_id'>) {
  return `${event.type} ${event.channel}/${event.external_id}`;
}

/** Flat field list for XADD, in the vocabulary's order. */
export function toStreamFields(event: OverpayEvent): string[] {
  const fields: string[] = [];
  for (const name of EVENT_FIELDS) fields.push(name, event[name]);
  return fields;
}

/** Signed effect of a payment on net paid: refunds, chargebacks and reversals subtract. */
export function isOutflow(kind: PaymentKind | ''): boolean {
  return kind === 'refund' || kind === 'chargeback' || kind === 'reversal';
}
