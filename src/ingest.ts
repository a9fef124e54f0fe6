import cliProgress from 'cli-progress';
import type { Config } from './config.ts';
import type { ConnectorOutput, InputRecord, InputRejection } from './connectors/input.ts';
import { createPool, sql, type Pool } from './db.ts';
import {
  describeKey,
  idempotencyKey,
  toStreamFields,
  validateEvent,
  type OverpayEvent,
} from './event.ts';
import { checkReady } from './migrate.ts';
import { partitionOf } from './partition.ts';
import { storeRejections } from './rejected.ts';
import type { Redis } from 'ioredis';
import { openRedis, Streams } from './streams.ts';

/** Entries per pipelined XADD round trip (measured: 500 is near the client's ceiling). */
const APPEND_BATCH = 500;
/** Line numbers listed per reason in the report; the count is always complete. */
const LINES_SHOWN = 20;

export interface IngestReport {
  source: string;
  format: string;
  accepted: number;
  duplicates: number;
  rejected: number;
  byReason: Record<string, { count: number; lines: string[] }>;
}

interface Candidate {
  event: OverpayEvent;
  record: InputRecord;
  order: number;
  content: string;
}

/** Validates, de-duplicates and orders a connector's output; nothing touches Redis yet. */
export function prepare(output: ConnectorOutput) {
  const rejections: InputRejection[] = [...output.rejections];
  const byKey = new Map<string, Candidate>();
  let duplicates = 0;
  output.records.forEach((record, order) => {
    const checked = validateEvent(record.fields);
    if (!checked.ok) {
      rejections.push({ ...record, rejection: checked.rejection });
      return;
    }
    const key = idempotencyKey(checked.event);
    const content = JSON.stringify(checked.event);
    const earlier = byKey.get(key);
    if (!earlier) byKey.set(key, { event: checked.event, record, order, content });
    else if (earlier.content === content) duplicates += 1;
    else {
      const message = `${describeKey(checked.event)} appears earlier with other content`;
      rejections.push({
        ...record,
        rejection: { reason: 'conflicting_duplicate', field: 'external_id', message },
      });
    }
  });
  const candidates = [...byKey.values()].sort(streamOrder);
  return { candidates, rejections, duplicates };
}

/**
 * Refuses events in another currency than their campaign's: the one stored for a known
 * campaign, else the currency of the campaign's first event in stream order (as the worker
 * will set it). Money in two currencies is never summed.
 */
export function checkCurrencies(candidates: Candidate[], known: Map<string, string>) {
  const currencyOf = new Map(known);
  const kept: Candidate[] = [];
  const rejections: InputRejection[] = [];
  for (const candidate of candidates) {
    const { campaign_id: campaign, currency } = candidate.event;
    const expected = currencyOf.get(campaign) ?? currency;
    currencyOf.set(campaign, expected);
    if (expected === currency) {
      kept.push(candidate);
      continue;
    }
    const message = `currency ${currency} differs from campaign ${campaign}'s ${expected}`;
    const rejection = { reason: 'currency_mismatch' as const, field: 'currency', message };
    rejections.push({ ...candidate.record, rejection });
  }
  return { kept, rejections };
}

/** Time order; on equal times obligations first, so a payment meets its limit; then input order. */
function streamOrder(a: Candidate, b: Candidate): number {
  const time = Date.parse(a.event.occurred_at) - Date.parse(b.event.occurred_at);
  if (time !== 0) return time;
  if (a.event.type !== b.event.type) return a.event.type === 'obligation' ? -1 : 1;
  return a.order - b.order;
}

/**
 * Appends a connector's events to the partition streams in pipelined batches, keeps its
 * refused records, and reports counts. Re-ingesting the same input is harmless: the ledger's
 * idempotency key drops the repeats, and refused records are stored once.
 */
export async function ingest(
  config: Config,
  output: ConnectorOutput,
  meta: { source: string; format: string; progress: boolean },
): Promise<IngestReport> {
  const prepared = prepare(output);
  const pool = createPool(config.databaseUrl, 2);
  let redis: Redis | undefined;
  let events: OverpayEvent[];
  let rejections: InputRejection[];
  try {
    // Both services must answer before anything is stored, so a failed run leaves no trace.
    await checkReady(pool, config.partitions);
    redis = await openRedis(config.redisUrl);
    const known = await campaignCurrencies(pool, prepared.candidates);
    const checked = checkCurrencies(prepared.candidates, known);
    events = checked.kept.map((c) => c.event);
    rejections = [...prepared.rejections, ...checked.rejections];
    await storeRejections(pool, meta.format, rejections);
    const streams = new Streams(redis, config.redisPrefix, config.partitions);
    await streams.ensureGroups(Array.from({ length: config.partitions }, (_, p) => p));
    await appendAll(streams, events, config.partitions, meta.progress);
  } finally {
    redis?.disconnect();
    await pool.end();
  }
  const duplicates = prepared.duplicates;
  return {
    source: meta.source,
    format: meta.format,
    accepted: events.length,
    duplicates,
    rejected: rejections.length,
    byReason: summariseRejections(rejections),
  };
}

async function campaignCurrencies(pool: Pool, candidates: Candidate[]) {
  const ids = [...new Set(candidates.map((c) => c.event.campaign_id))];
  const { rows } = await pool.query<{ campaign_id: string; currency: string }>(
    sql('campaign_currencies'),
    [ids],
  );
  return new Map(rows.map((row) => [row.campaign_id, row.currency.trim()]));
}

async function appendAll(
  streams: Streams,
  events: OverpayEvent[],
  partitions: number,
  progress: boolean,
) {
  const bar = progress
    ? new cliProgress.SingleBar(
        { format: 'ingest [{bar}] {percentage}% {value}/{total} events', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(events.length, 0);
  for (let start = 0; start < events.length; start += APPEND_BATCH) {
    const slice = events.slice(start, start + APPEND_BATCH);
    await streams.append(
      slice.map((event) => ({
        partition: partitionOf(event.customer_id, partitions),
        fields: toStreamFields(event),
      })),
    );
    bar?.update(start + slice.length);
  }
  bar?.stop();
}

function summariseRejections(rejections: InputRejection[]): IngestReport['byReason'] {
  const byReason: IngestReport['byReason'] = {};
  for (const r of rejections) {
    const entry = (byReason[r.rejection.reason] ??= { count: 0, lines: [] });
    entry.count += 1;
    if (entry.lines.length < LINES_SHOWN) entry.lines.push(`${r.source}:${r.line}`);
  }
  return byReason;
}
