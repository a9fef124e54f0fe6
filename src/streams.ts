import { Redis } from 'ioredis';
import type { StreamEntry } from './batch.ts';
import { withoutPassword } from './config.ts';
import { SetupError } from './migrate.ts';
import { CONSUMER_GROUP, streamKey } from './vocabulary.ts';

/** Connection attempts openRedis makes, this far apart, before it gives up. */
const OPEN_ATTEMPTS = 4;
const OPEN_RETRY_MS = 250;
/** Bound on the whole opening, for a server that accepts the connection and never answers. */
const OPEN_TIMEOUT_MS = 15_000;
/** Once open, a lost connection is retried for as long as it takes, at most this far apart. */
const RECONNECT_MAX_MS = 2_000;

/** A Redis connection speaking RESP2 (measured faster here) with the URL's db index. */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, { protocol: 2, maxRetriesPerRequest: 3, lazyConnect: false });
  // Without a listener ioredis prints every connection error as unhandled, again and again;
  // the commands that fail carry the error to their callers.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A ready Redis connection, or a SetupError naming REDIS_URL after a few attempts: a command
 * must not retry for minutes against a Redis that is not there.
 */
export async function openRedis(url: string): Promise<Redis> {
  let open = false;
  // Set in a callback: the cast keeps TypeScript from narrowing it to null for good.
  let lastError = null as Error | null;
  const redis = new Redis(url, {
    protocol: 2,
    maxRetriesPerRequest: 3,
    lazyConnect: true,
    retryStrategy: (attempt) =>
      open
        ? Math.min(attempt * 50, RECONNECT_MAX_MS)
        : attempt < OPEN_ATTEMPTS
          ? OPEN_RETRY_MS
          : null,
  });
  redis.on('error', (error: Error) => (lastError = error));
  if (!(await whenReady(redis))) {
    redis.disconnect();
    const why = lastError?.message ?? `no answer within ${OPEN_TIMEOUT_MS} ms`;
    throw new SetupError(`cannot reach Redis at ${withoutPassword(url)} (${why}); check REDIS_URL`);
  }
  open = true;
  return redis;
}

/** Connects; true once ready, false when the retries gave up or OPEN_TIMEOUT_MS passed. */
function whenReady(redis: Redis): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), OPEN_TIMEOUT_MS);
    const settle = (ready: boolean) => {
      clearTimeout(timer);
      resolve(ready);
    };
    redis.once('ready', () => settle(true));
    redis.once('end', () => settle(false));
    // connect() rejects at the first failed attempt while the retries go on: 'end' is the
    // answer to wait for.
    redis.connect().catch(() => undefined);
  });
}

type RawEntries = [key: string, items: [id: string, fields: string[] | null][]][] | null;

function toRecord(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  return record;
}

/**
 * The partition streams of one deployment: append, read through the group, acknowledge.
 * TODO(stream-trim): entries stay in the streams after acknowledgement; trim below the
 * group's last-delivered id (XTRIM MINID) once volumes make memory matter.
 */
export class Streams {
  readonly #keys: string[];
  readonly #partitionOf: Map<string, number>;

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly partitions: number,
  ) {
    this.#keys = Array.from({ length: partitions }, (_, p) => streamKey(prefix, p));
    this.#partitionOf = new Map(this.#keys.map((key, p) => [key, p]));
  }

  key(partition: number): string {
    return this.#keys[partition]!;
  }

  /** Creates the consumer group on each stream (and the stream) where missing. */
  async ensureGroups(partitions: number[]): Promise<void> {
    for (const p of partitions) {
      try {
        await this.redis.xgroup('CREATE', this.key(p), CONSUMER_GROUP, '0', 'MKSTREAM');
      } catch (error) {
        if (!String((error as Error).message).startsWith('BUSYGROUP')) throw error;
      }
    }
  }

  /** Appends entries in one pipeline; `fields` are flat name/value lists. */
  async append(items: { partition: number; fields: string[] }[]): Promise<void> {
    if (items.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const item of items) pipeline.xadd(this.key(item.partition), '*', ...item.fields);
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }

  /**
   * Reads through the group on a blocking connection of its own. `pending` re-reads this
   * consumer's delivered-but-unacknowledged entries instead of new ones.
   */
  async read(
    connection: Redis,
    consumer: string,
    partitions: number[],
    options: { count: number; blockMs: number; pending: boolean },
  ): Promise<StreamEntry[]> {
    const keys = partitions.map((p) => this.key(p));
    const ids = keys.map(() => (options.pending ? '0' : '>'));
    const block = options.pending ? [] : ['BLOCK', options.blockMs];
    const args = ['GROUP', CONSUMER_GROUP, consumer, 'COUNT', options.count, ...block];
    const reply = (await connection.call(
      'XREADGROUP',
      ...args,
      'STREAMS',
      ...keys,
      ...ids,
    )) as RawEntries;
    const entries: StreamEntry[] = [];
    for (const [key, items] of reply ?? []) {
      const partition = this.#partitionOf.get(key)!;
      // A pending entry trimmed from the stream comes back without fields: it stays an entry
      // (and becomes a dead letter) so it is acknowledged instead of re-read forever.
      for (const [id, fields] of items)
        entries.push({ partition, id, fields: toRecord(fields ?? []) });
    }
    return entries;
  }

  async ack(entries: StreamEntry[]): Promise<void> {
    const byPartition = new Map<number, string[]>();
    for (const entry of entries) {
      const ids = byPartition.get(entry.partition) ?? [];
      ids.push(entry.id);
      byPartition.set(entry.partition, ids);
    }
    const pipeline = this.redis.pipeline();
    for (const [p, ids] of byPartition) pipeline.xack(this.key(p), CONSUMER_GROUP, ...ids);
    await pipeline.exec();
  }

  /** Moves every pending entry of the partitions to `consumer`, whoever held it before. */
  async claimAll(consumer: string, partitions: number[]): Promise<number> {
    let claimed = 0;
    for (const p of partitions) {
      let cursor = '0-0';
      do {
        const reply = (await this.redis.xautoclaim(
          this.key(p),
          CONSUMER_GROUP,
          consumer,
          0,
          cursor,
          'COUNT',
          1000,
          'JUSTID',
        )) as [string, string[]];
        cursor = reply[0];
        claimed += reply[1].length;
      } while (cursor !== '0-0');
    }
    return claimed;
  }

  /** Entries not yet delivered (lag) and delivered but not acknowledged (pending). */
  async backlog(partitions: number[]): Promise<{ lag: number; pending: number }> {
    const pipeline = this.redis.pipeline();
    for (const p of partitions) pipeline.xinfo('GROUPS', this.key(p));
    const results = (await pipeline.exec()) ?? [];
    let lag = 0;
    let pending = 0;
    for (const [error, groups] of results) {
      if (error) throw error;
      for (const group of groups as unknown[][]) {
        const info = toRecord(group.map(String));
        if (info.name !== CONSUMER_GROUP) continue;
        // lag is null when Redis cannot tell (after XDEL/XTRIM); count the stream as behind.
        const unknown = info.lag === undefined || info.lag === '' || info.lag === 'null';
        lag += unknown ? 1 : Number(info.lag);
        pending += Number(info.pending);
      }
    }
    return { lag, pending };
  }
}
