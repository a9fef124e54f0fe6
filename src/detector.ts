import { Piscina } from 'piscina';
import { accountKey, type AccountState } from './account.ts';
import {
  emptyResult,
  type DetectionEvent,
  type DetectionResult,
  type DetectionTask,
} from './detection.ts';
import { FROM_SOURCE, workerFile } from './paths.ts';
import type { Policy } from './policy.ts';

/** Events per pool task: large enough that messaging costs little against the rules. */
const EVENTS_PER_TASK = 2_000;

/** The detection pool: batches are split by account so slices run in parallel. */
export class Detector {
  readonly #pool: Piscina;

  constructor(threads: number) {
    this.#pool = new Piscina({
      filename: workerFile('detect'),
      minThreads: threads,
      maxThreads: threads,
      // Sources need tsx inside the worker threads too (tests and `tsx` runs).
      execArgv: FROM_SOURCE ? ['--import', 'tsx'] : [],
    });
  }

  /** Runs detection for `events` (stream order) over the given account states. */
  async run(
    accounts: AccountState[],
    events: DetectionEvent[],
    policies: Map<string, Policy>,
  ): Promise<DetectionResult> {
    const tasks = split(accounts, events, Object.fromEntries(policies));
    const results = await Promise.all(tasks.map((task) => this.#pool.run(task)));
    return merge(results as DetectionResult[]);
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** Slices keep each account whole, and its events in order, within one task. */
function split(
  accounts: AccountState[],
  events: DetectionEvent[],
  policies: Record<string, Policy>,
): DetectionTask[] {
  const byAccount = new Map(accounts.map((a) => [accountKey(a), a]));
  const tasks: DetectionTask[] = [];
  const sliceOf = new Map<string, DetectionTask>();
  let current: DetectionTask | undefined;
  for (const event of events) {
    let task = sliceOf.get(event.accountKey);
    if (!task) {
      if (!current || current.events.length >= EVENTS_PER_TASK) {
        current = { accounts: [], events: [], policies };
        tasks.push(current);
      }
      task = current;
      task.accounts.push(byAccount.get(event.accountKey)!);
      sliceOf.set(event.accountKey, task);
    }
    task.events.push(event);
  }
  return tasks;
}

function merge(results: DetectionResult[]): DetectionResult {
  const merged = emptyResult();
  for (const result of results) {
    for (const field of Object.keys(merged) as (keyof DetectionResult)[]) {
      (merged[field] as unknown[]).push(...(result[field] as unknown[]));
    }
  }
  return merged;
}
