import type { DeadLetter, Recorded, StreamEntry } from './batch.ts';
import { sql, type Client } from './db.ts';
import { Big } from './money.ts';
import type { DetectionResult } from './detection.ts';
import { describeKey, idempotencyKey, type OverpayEvent } from './event.ts';

/** A batch found that another worker took one of its partitions: its work must not commit. */
export class StaleOwnershipError extends Error {
  readonly code = 'stale_ownership';
  constructor(readonly partition: number) {
    super(`partition ${partition} has a newer owner; this batch is discarded`);
  }
}

/** Fencing: every partition of the batch must still carry the epoch this owner took. */
export async function checkEpochs(
  client: Client,
  epochs: Map<number, number>,
  partitions: Set<number>,
): Promise<void> {
  const { rows } = await client.query<{ partition: number; epoch: number }>(sql('check_epochs'), [
    [...partitions],
  ]);
  const stored = new Map(rows.map((row) => [row.partition, row.epoch]));
  for (const partition of partitions) {
    if (stored.get(partition) !== epochs.get(partition)) throw new StaleOwnershipError(partition);
  }
}

/** Appends the batch's events; returns those that were new, in stream order, with their seq. */
export async function insertLedger(
  client: Client,
  accepted: { entry: StreamEntry; event: OverpayEvent }[],
): Promise<Recorded[]> {
  if (accepted.length === 0) return [];
  const column = (pick: (e: OverpayEvent, entry: StreamEntry) => unknown) =>
    accepted.map(({ event, entry }) => pick(event, entry));
  const { rows } = await client.query<{
    seq: number;
    type: OverpayEvent['type'];
    channel: string;
    external_id: string;
  }>(sql('insert_ledger'), [
    column((e) => e.type),
    column((e) => e.channel),
    column((e) => e.external_id),
    column((_, entry) => entry.partition),
    column((e) => e.customer_id),
    column((e) => e.campaign_id),
    column((e) => e.ref),
    column((e) => e.kind),
    column((e) => e.amount),
    column((e) => e.currency),
    column((e) => e.occurred_at),
    column((_, entry) => entry.id),
  ]);
  const seqOf = new Map(rows.map((row) => [idempotencyKey(row), row.seq]));
  const recorded: Recorded[] = [];
  for (const item of accepted) {
    const seq = seqOf.get(idempotencyKey(item.event));
    if (seq !== undefined) recorded.push({ ...item, seq });
  }
  return recorded;
}

/** What makes two events with one idempotency key the same event. */
function sameEvent(a: OverpayEvent, b: OverpayEvent): boolean {
  return (
    a.customer_id === b.customer_id &&
    a.campaign_id === b.campaign_id &&
    a.ref === b.ref &&
    a.kind === b.kind &&
    a.currency === b.currency &&
    new Big(a.amount).eq(b.amount) &&
    Date.parse(a.occurred_at) === Date.parse(b.occurred_at)
  );
}

/**
 * Repeats of recorded events that say something else (another amount, customer, time…): the
 * ledger keeps the first, and the repeat is dead-lettered so that nobody's correction is lost
 * in silence.
 */
export async function conflictingRepeats(
  client: Client,
  repeats: { entry: StreamEntry; event: OverpayEvent }[],
): Promise<DeadLetter[]> {
  if (repeats.length === 0) return [];
  const { rows } = await client.query<OverpayEvent>(sql('ledger_by_keys'), [
    repeats.map(({ event }) => event.type),
    repeats.map(({ event }) => event.channel),
    repeats.map(({ event }) => event.external_id),
  ]);
  const stored = new Map(rows.map((row) => [idempotencyKey(row), row]));
  const conflicts: DeadLetter[] = [];
  for (const { entry, event } of repeats) {
    const first = stored.get(idempotencyKey(event));
    if (!first || sameEvent(first, event)) continue;
    const { amount, customer_id: customer, occurred_at: at } = first;
    const recorded = `amount ${amount}, customer ${customer}, at ${at}`;
    const message = `${describeKey(event)} is recorded with other content (${recorded})`;
    conflicts.push({
      entry,
      rejection: { reason: 'conflicting_duplicate', field: 'external_id', message },
    });
  }
  return conflicts;
}

/** Earlier payments that each new payment may duplicate, by the new payment's seq. */
export async function probeDuplicates(client: Client, recorded: Recorded[]) {
  const payments = recorded
    .filter(({ event }) => event.type === 'payment' && event.kind === 'payment')
    .filter(({ event }) => /[1-9]/.test(event.amount))
    .map(({ seq }) => seq);
  if (payments.length === 0) return new Map<number, number>();
  const { rows } = await client.query<{ seq: number; duplicate_of: number }>(
    sql('duplicate_probe'),
    [payments],
  );
  return new Map(rows.map((row) => [row.seq, row.duplicate_of]));
}

/** Stores what detection decided: account totals, cases and flags. */
export async function writeDetection(client: Client, result: DetectionResult): Promise<void> {
  const a = result.accounts;
  await client.query(sql('upsert_accounts'), [
    a.map((x) => x.customerId),
    a.map((x) => x.campaignId),
    a.map((x) => x.ref),
    a.map((x) => x.partition),
    a.map((x) => x.currency),
    a.map((x) => x.obligation),
    a.map((x) => x.obligationAt),
    a.map((x) => x.obligationKey),
    a.map((x) => x.limit),
    a.map((x) => x.netPaid),
    a.map((x) => x.settled),
    a.map((x) => x.paymentCount),
    a.map((x) => x.waiting?.caseId ?? null),
    a.map((x) => x.openFlags),
  ]);
  const c = result.cases;
  if (c.length > 0) {
    await client.query(sql('upsert_cases'), [
      c.map((x) => x.caseId),
      c.map((x) => x.partition),
      c.map((x) => x.customerId),
      c.map((x) => x.campaignId),
      c.map((x) => x.ref),
      c.map((x) => x.currency),
      c.map((x) => x.state),
      c.map((x) => x.amount),
      c.map((x) => x.maxAmount),
      c.map((x) => x.causes.join(',')),
      c.map((x) => x.firstEvent),
      c.map((x) => x.settled),
    ]);
  }
  await writeFlags(client, result);
}

async function writeFlags(client: Client, result: DetectionResult): Promise<void> {
  const f = result.flags;
  if (f.length > 0) {
    await client.query(sql('insert_flags'), [
      f.map((x) => x.ledgerSeq),
      f.map((x) => x.duplicateOf),
      f.map((x) => x.customerId),
      f.map((x) => x.campaignId),
      f.map((x) => x.ref),
    ]);
  }
  const cleared = result.clearedFlagAccounts.map((key) => key.split('\u0000'));
  if (cleared.length > 0) {
    await client.query(sql('clear_flags'), [
      cleared.map((k) => k[0]),
      cleared.map((k) => k[1]),
      cleared.map((k) => k[2]),
    ]);
  }
}

/**
 * Identity of a dead letter: its reason and the event's idempotency key when the entry names
 * one, so a re-sent bad event is one dead letter; else the entry itself.
 */
function deadLetterKey({ entry, rejection }: DeadLetter): string {
  const { type, channel, external_id: externalId } = entry.fields;
  if (type && channel && externalId) {
    return JSON.stringify([rejection.reason, type, channel, externalId]);
  }
  return JSON.stringify([rejection.reason, entry.partition, entry.id]);
}

/** Keeps refused stream entries, once each however often they are re-delivered or re-sent. */
export async function insertDeadLetters(client: Client, dead: DeadLetter[]): Promise<void> {
  // One row per key and statement: ON CONFLICT DO UPDATE cannot touch a row twice.
  const unique = [...new Map(dead.map((d) => [deadLetterKey(d), d])).entries()];
  if (unique.length === 0) return;
  await client.query(sql('insert_dead_letters'), [
    unique.map(([key]) => key),
    unique.map(([, d]) => d.entry.partition),
    unique.map(([, d]) => d.entry.id),
    unique.map(([, d]) => d.rejection.reason),
    unique.map(([, d]) => d.rejection.field),
    unique.map(([, d]) => d.rejection.message),
    unique.map(([, d]) => JSON.stringify(d.entry.fields)),
  ]);
}
