import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { accountKey, type AccountState } from './account.ts';
import { processBatch, type BatchContext, type BatchHooks, type StreamEntry } from './batch.ts';
import type { Config } from './config.ts';
import { createPool, sql, withTransaction, type Pool } from './db.ts';
import { Detector } from './detector.ts';
import { classifyError, SystemicError } from './errors.ts';
import { createBoss, openJobs, workCredits } from './jobs.ts';
import { insertDeadLetters } from './ledger.ts';
import { checkReady } from './migrate.ts';
import type { Metrics } from './metrics.ts';
import { openRedis, Streams } from './streams.ts';
import type { Rule } from './vocabulary.ts';

export interface WorkerOptions {
  untilIdle: boolean;
  consumer?: string;
  threads?: number;
  hooks?: BatchHooks;
  signal?: AbortSignal;
}

const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 30_000;
/** How often an idle --until-idle worker looks at the backlog and the job queue. */
const IDLE_CHECK_MS = 200;
/** How often a long-running worker looks for entries that a dead consumer left pending. */
const ORPHAN_CHECK_MS = 5_000;

/**
 * A detector process: owns partitions (all of them until leases exist), keeps their account
 * totals in memory, turns stream batches into ledger rows and decisions, and runs credit jobs.
 */
export class Worker {
  readonly consumer: string;
  readonly #owned: number[];
  #stopping = false;
  #lastOrphanCheck = 0;

  private readonly pool: Pool;
  private readonly boss: PgBoss;
  private readonly log: Logger;
  private readonly metrics: Metrics;

  private constructor(
    private readonly config: Config,
    private readonly options: WorkerOptions,
    /** The blocking reads have a connection of their own, so they never delay the acks. */
    private readonly reader: Redis,
    private readonly streams: Streams,
    private readonly ctx: BatchContext,
  ) {
    ({ pool: this.pool, boss: this.boss, log: this.log, metrics: this.metrics } = ctx);
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.#owned = Array.from({ length: config.partitions }, (_, p) => p);
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /**
   * Connects, takes every partition, loads its totals and claims its pending entries. When a
   * step fails, what the earlier steps opened is closed again, so that no connection or
   * thread keeps the process alive after the error.
   */
  static async start(config: Config, log: Logger, metrics: Metrics, options: WorkerOptions) {
    const closers: Closer[] = [];
    try {
      const { pool, redis, reader, boss, detector } = await open(config, log, options, closers);
      const streams = new Streams(redis, config.redisPrefix, config.partitions);
      const ctx: BatchContext = {
        pool,
        boss,
        detector,
        accounts: new Map(),
        epochs: new Map(),
        partitions: config.partitions,
        log,
        metrics,
        hooks: options.hooks,
      };
      const worker = new Worker(config, options, reader, streams, ctx);
      await worker.#takePartitions();
      await boss.start();
      await workCredits(boss, pool, log, (outcome) => metrics.creditsApplied.inc({ outcome }));
      return worker;
    } catch (error) {
      await closeAll(closers);
      throw error;
    }
  }

  async #takePartitions(): Promise<void> {
    await this.streams.ensureGroups(this.#owned);
    const { rows } = await this.pool.query<{ partition: number; epoch: number }>(
      sql('take_partitions'),
      [this.#owned, this.consumer],
    );
    for (const row of rows) this.ctx.epochs.set(row.partition, row.epoch);
    const loaded = await loadAccounts(this.pool, this.#owned);
    for (const account of loaded) this.ctx.accounts.set(accountKey(account), account);
    const claimed = await this.streams.claimAll(this.consumer, this.#owned);
    this.log.info(
      { consumer: this.consumer, partitions: this.#owned.length, accounts: loaded.length, claimed },
      'partitions taken',
    );
  }

  stop(): void {
    this.#stopping = true;
  }

  /** Runs until stopped, or with untilIdle until streams and jobs are drained. */
  async run(): Promise<void> {
    let pending = true;
    let backoffMs = 0;
    while (!this.#stopping) {
      if (backoffMs > 0) await sleep(backoffMs);
      try {
        const entries = await this.streams.read(this.reader, this.consumer, this.#owned, {
          count: this.config.batchSize,
          blockMs: this.options.untilIdle ? IDLE_CHECK_MS : this.config.blockMs,
          pending,
        });
        if (entries.length === 0 && pending) pending = false;
        else if (entries.length > 0) await this.#handle(entries);
        else if (await this.#claimOrphans()) pending = true;
        else if (this.options.untilIdle && (await this.#idle())) break;
        backoffMs = 0;
      } catch (error) {
        const kind = classifyError(error);
        if (kind === 'stale' || kind === 'systemic') {
          this.log.error({ err: error, kind }, 'worker cannot go on; stopping');
          throw error;
        }
        backoffMs = Math.min(Math.max(backoffMs * 2, BACKOFF_START_MS), BACKOFF_MAX_MS);
        pending = true;
        this.metrics.batchFailures.inc({ code: 'transient' });
        this.log.warn({ err: error, backoff_ms: backoffMs }, 'batch failed; will re-read pending');
      }
    }
  }

  async #handle(entries: StreamEntry[]): Promise<void> {
    const timer = this.metrics.batchSeconds.startTimer();
    try {
      const outcome = await processBatch(this.ctx, entries);
      this.log.debug({ ...outcome }, 'batch committed');
    } catch (error) {
      if (classifyError(error) !== 'poison') throw error;
      await this.#isolate(entries, error);
    }
    await this.streams.ack(entries);
    timer();
  }

  /**
   * A batch failed on its input: run its entries one at a time so that only the entries that
   * fail on their own are dead-lettered, and the rest are recorded as usual. When every entry
   * of a larger batch fails alone, the fault is ours, not the input's: stop instead of
   * dead-lettering a whole stream.
   */
  async #isolate(entries: StreamEntry[], cause: unknown): Promise<void> {
    this.log.warn({ err: cause, entries: entries.length }, 'batch refused; isolating entries');
    const failed: { entry: StreamEntry; error: unknown }[] = [];
    for (const entry of entries) {
      try {
        await processBatch(this.ctx, [entry]);
      } catch (error) {
        if (classifyError(error) !== 'poison') throw error;
        failed.push({ entry, error });
      }
    }
    if (entries.length > 1 && failed.length === entries.length) throw new SystemicError(cause);
    for (const { entry, error } of failed) await this.#deadLetter(entry, error);
  }

  async #deadLetter(entry: StreamEntry, error: unknown): Promise<void> {
    const message = String((error as Error).message).slice(0, 500);
    const rejection = { reason: 'processing_failed' as const, field: 'record', message };
    await withTransaction(this.pool, (client) => insertDeadLetters(client, [{ entry, rejection }]));
    this.metrics.deadLetters.inc({ reason: rejection.reason });
    this.log.error({ partition: entry.partition, entry_id: entry.id }, 'entry dead-lettered');
  }

  /**
   * Entries another consumer read and never acknowledged (it died, or lost its partitions)
   * are taken over; fencing makes that safe even if it is still alive. Checked at most every
   * ORPHAN_CHECK_MS while idle, and on every idle pass of an --until-idle run.
   */
  async #claimOrphans(): Promise<boolean> {
    const now = Date.now();
    if (!this.options.untilIdle && now - this.#lastOrphanCheck < ORPHAN_CHECK_MS) return false;
    this.#lastOrphanCheck = now;
    // TODO(partition-leases): with leases, claim only the partitions just taken, with a
    // minimum idle time, instead of every pending entry of every partition.
    const claimed = await this.streams.claimAll(this.consumer, this.#owned);
    if (claimed > 0) this.log.info({ claimed }, 'pending entries of other consumers claimed');
    return claimed > 0;
  }

  async #idle(): Promise<boolean> {
    const { lag, pending } = await this.streams.backlog(this.#owned);
    return lag === 0 && pending === 0 && (await openJobs(this.pool)) === 0;
  }

  /** Finishes the batch in hand (run has returned), then lets go of every connection. */
  async close(): Promise<void> {
    this.#stopping = true;
    await this.boss.stop({ graceful: true, timeout: 10_000 });
    await this.ctx.detector.close();
    this.reader.disconnect();
    await this.streams.redis.quit();
    await this.pool.end();
  }
}

type Closer = () => unknown;

/** Opens a worker's connections and threads, adding to `closers` how to close each one. */
async function open(config: Config, log: Logger, options: WorkerOptions, closers: Closer[]) {
  const pool = createPool(config.databaseUrl);
  closers.push(() => pool.end());
  await checkReady(pool, config.partitions);
  const redis = await openRedis(config.redisUrl);
  closers.push(() => redis.disconnect());
  const reader = await openRedis(config.redisUrl);
  closers.push(() => reader.disconnect());
  const boss = createBoss(config.databaseUrl, log);
  closers.push(() => boss.stop({ graceful: false }));
  const detector = new Detector(options.threads ?? 2);
  closers.push(() => detector.close());
  return { pool, redis, reader, boss, detector };
}

/** Runs the closers, last opened first; one that fails does not keep the others from running. */
async function closeAll(closers: Closer[]): Promise<void> {
  for (const close of closers.reverse()) {
    await Promise.resolve()
      .then(close)
      .catch(() => undefined);
  }
}

interface AccountRow {
  customer_id: string;
  campaign_id: string;
  ref: string;
  partition: number;
  currency: string;
  obligation: string | null;
  obligation_at: string | null;
  obligation_key: string | null;
  limit_amount: string | null;
  net_paid: string;
  settled: string;
  payment_count: number;
  open_flags: number;
  case_id: string | null;
  state: 'review_pending' | 'on_hold';
  amount: string;
  max_amount: string;
  causes: Rule[];
}

/** The stored totals of the given partitions, as the in-memory state a new owner starts from. */
export async function loadAccounts(pool: Pool, partitions: number[]): Promise<AccountState[]> {
  const { rows } = await pool.query<AccountRow>(sql('load_accounts'), [partitions]);
  return rows.map((row) => ({
    customerId: row.customer_id,
    campaignId: row.campaign_id,
    ref: row.ref,
    partition: row.partition,
    currency: row.currency.trim(),
    obligation: row.obligation,
    obligationAt: row.obligation_at,
    obligationKey: row.obligation_key,
    limit: row.limit_amount,
    netPaid: row.net_paid,
    settled: row.settled,
    paymentCount: row.payment_count,
    openFlags: row.open_flags,
    waiting: row.case_id
      ? {
          caseId: row.case_id,
          state: row.state,
          amount: row.amount,
          maxAmount: row.max_amount,
          causes: row.causes,
        }
      : null,
  }));
}
