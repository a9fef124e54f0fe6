import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { accountKey, newAccount, type AccountState } from './account.ts';
import { insertAudit } from './audit.ts';
import { withTransaction, type Client, type Pool } from './db.ts';
import type { DetectionEvent } from './detection.ts';
import type { Detector } from './detector.ts';
import {
  describeKey,
  idempotencyKey,
  validateEvent,
  type OverpayEvent,
  type Rejection,
} from './event.ts';
import { enqueueCredits } from './jobs.ts';
import {
  checkEpochs,
  conflictingRepeats,
  writeDetection,
  insertDeadLetters,
  insertLedger,
  probeDuplicates,
} from './ledger.ts';
import type { Metrics } from './metrics.ts';
import { partitionOf } from './partition.ts';
import { policiesFor, type Policy } from './policy.ts';

/** One entry read from a partition stream. */
export interface StreamEntry {
  partition: number;
  id: string;
  fields: Record<string, string>;
}

export interface DeadLetter {
  entry: StreamEntry;
  rejection: Rejection;
}

interface Accepted {
  entry: StreamEntry;
  event: OverpayEvent;
}

/** Fault injection for the crash tests: throw here to simulate a process dying. */
export interface BatchHooks {
  beforeCommit?: () => void | Promise<void>;
  afterCommit?: () => void | Promise<void>;
}

export interface BatchContext {
  pool: Pool;
  boss: PgBoss;
  detector: Detector;
  /** In-memory totals of the owned partitions; equal to the stored totals between batches. */
  accounts: Map<string, AccountState>;
  epochs: Map<number, number>;
  partitions: number;
  log: Logger;
  metrics: Metrics;
  hooks?: BatchHooks;
}

export interface BatchOutcome {
  entries: number;
  recorded: number;
  alreadyRecorded: number;
  deadLettered: number;
  casesOpened: number;
}

/**
 * Processes one batch with exactly-once effect: validate, then in one transaction check the
 * fencing epochs, append to the ledger, run detection over the new rows only, and write
 * totals, cases, flags, audit rows and jobs; only after commit does memory change. The caller
 * acknowledges the entries afterwards, so a crash anywhere re-delivers a batch whose re-run
 * inserts nothing.
 */
export async function processBatch(
  ctx: BatchContext,
  entries: StreamEntry[],
): Promise<BatchOutcome> {
  const { accepted, dead, repeated } = sortEntries(entries, ctx.partitions);
  const partitions = new Set(entries.map((entry) => entry.partition));
  const outcome = await withTransaction(ctx.pool, (client) =>
    writeBatch(ctx, client, partitions, accepted, dead),
  );
  for (const account of outcome.result?.accounts ?? []) {
    ctx.accounts.set(accountKey(account), account);
  }
  await ctx.hooks?.afterCommit?.();
  return record(ctx, entries, outcome.recorded, repeated, dead, outcome.result);
}

/** The body of the batch transaction; `dead` gains the entries refused on the way. */
async function writeBatch(
  ctx: BatchContext,
  client: Client,
  partitions: Set<number>,
  accepted: Accepted[],
  dead: DeadLetter[],
) {
  await checkEpochs(client, ctx.epochs, partitions);
  const policies = await policiesFor(client, firstCurrencies(accepted));
  const usable = dropCurrencyMismatches(accepted, policies, dead);
  const recorded = await insertLedger(client, usable);
  const fresh = new Set(recorded.map((r) => r.entry));
  const repeats = usable.filter((a) => !fresh.has(a.entry));
  dead.push(...(await conflictingRepeats(client, repeats)));
  const result = await detectNew(ctx, client, recorded, policies);
  await insertDeadLetters(client, dead);
  await ctx.hooks?.beforeCommit?.();
  return { recorded, result };
}

function sortEntries(entries: StreamEntry[], partitions: number) {
  const accepted: Accepted[] = [];
  const dead: DeadLetter[] = [];
  const seen = new Map<string, string>();
  let repeated = 0;
  for (const entry of entries) {
    const checked = validateEvent(entry.fields);
    if (!checked.ok) {
      dead.push({ entry, rejection: checked.rejection });
      continue;
    }
    const event = checked.event;
    if (partitionOf(event.customer_id, partitions) !== entry.partition) {
      const message = `customer ${event.customer_id} belongs to another partition`;
      dead.push({ entry, rejection: { reason: 'wrong_partition', field: 'customer_id', message } });
      continue;
    }
    const key = idempotencyKey(event);
    const content = JSON.stringify(event);
    const earlier = seen.get(key);
    if (earlier === undefined) accepted.push({ entry, event });
    else if (earlier === content) repeated += 1;
    else {
      const message = `${describeKey(event)} appears earlier in the batch with other content`;
      dead.push({
        entry,
        rejection: { reason: 'conflicting_duplicate', field: 'external_id', message },
      });
    }
    if (earlier === undefined) seen.set(key, content);
  }
  return { accepted, dead, repeated };
}

function firstCurrencies(accepted: Accepted[]): Map<string, string> {
  const first = new Map<string, string>();
  for (const { event } of accepted) {
    if (!first.has(event.campaign_id)) first.set(event.campaign_id, event.currency);
  }
  return first;
}

// TODO(currency-mismatch-case): DESIGN.md wants a mismatch to open a case, not a dead letter;
// that needs a case kind without an amount in the account's currency. Until then the event is
// kept, with its fields, where operators list dead letters.
function dropCurrencyMismatches(
  accepted: Accepted[],
  policies: Map<string, Policy>,
  dead: DeadLetter[],
): Accepted[] {
  return accepted.filter(({ entry, event }) => {
    const currency = policies.get(event.campaign_id)!.currency;
    if (currency === event.currency) return true;
    const campaign = event.campaign_id;
    const message = `currency ${event.currency} differs from campaign ${campaign}'s ${currency}`;
    dead.push({ entry, rejection: { reason: 'currency_mismatch', field: 'currency', message } });
    return false;
  });
}

export interface Recorded extends Accepted {
  seq: number;
}

async function detectNew(
  ctx: BatchContext,
  client: Client,
  recorded: Recorded[],
  policies: Map<string, Policy>,
) {
  if (recorded.length === 0) return null;
  const duplicates = await probeDuplicates(client, recorded);
  const accounts = new Map<string, AccountState>();
  const events: DetectionEvent[] = recorded.map(({ entry, event, seq }) => {
    const account = {
      customerId: event.customer_id,
      campaignId: event.campaign_id,
      ref: event.ref,
    };
    const key = accountKey(account);
    if (!accounts.has(key)) {
      const known = ctx.accounts.get(key);
      accounts.set(
        key,
        known ??
          newAccount(
            account.customerId,
            account.campaignId,
            account.ref,
            entry.partition,
            event.currency,
          ),
      );
    }
    return {
      seq,
      accountKey: key,
      type: event.type,
      kind: event.kind,
      amount: event.amount,
      occurredAt: event.occurred_at,
      sourceKey: JSON.stringify([event.channel, event.external_id]),
      duplicateOf: duplicates.get(seq) ?? null,
    };
  });
  const result = await ctx.detector.run([...accounts.values()], events, policies);
  await writeDetection(client, result);
  await insertAudit(client, result.audits);
  await enqueueCredits(ctx.boss, client, result.credits);
  return result;
}

function record(
  ctx: BatchContext,
  entries: StreamEntry[],
  recorded: Recorded[],
  repeated: number,
  dead: DeadLetter[],
  result: Awaited<ReturnType<typeof detectNew>>,
): BatchOutcome {
  for (const { rejection } of dead) ctx.metrics.deadLetters.inc({ reason: rejection.reason });
  for (const opened of result?.casesOpened ?? []) {
    ctx.metrics.casesOpened.inc({ rule: opened.rule, state: opened.state });
  }
  const alreadyRecorded = entries.length - dead.length - recorded.length;
  ctx.metrics.eventsDuplicate.inc(alreadyRecorded);
  for (const { event } of recorded) ctx.metrics.eventsProcessed.inc({ type: event.type });
  const now = Date.now();
  for (const entry of entries) {
    const appendedMs = Number(entry.id.split('-')[0]);
    ctx.metrics.detectionLatency.observe(Math.max(0, now - appendedMs) / 1000);
  }
  if (repeated > 0) ctx.log.debug({ repeated }, 'batch held repeated keys');
  return {
    entries: entries.length,
    recorded: recorded.length,
    alreadyRecorded,
    deadLettered: dead.length,
    casesOpened: result?.casesOpened.length ?? 0,
  };
}
