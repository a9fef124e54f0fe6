import { PgBoss, type Job } from 'pg-boss';
import type { Logger } from 'pino';
import { insertAudit } from './audit.ts';
import { sql, withTransaction, type Client, type Pool } from './db.ts';
import { AUDIT_ACTIONS, CREDIT_ACTOR, QUEUES } from './vocabulary.ts';

export const BOSS_SCHEMA = 'pgboss';

/** Retries with back-off: a credit that fails for a passing reason is tried again. */
export const QUEUE_OPTIONS = {
  [QUEUES.credit]: { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: 300 },
} as const;

export interface CreditJob {
  caseId: string;
}

/** A pg-boss instance for the worker process; queues exist once `overpay migrate` ran. */
export function createBoss(databaseUrl: string, log: Logger): PgBoss {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: BOSS_SCHEMA,
    max: 4,
    schedule: false,
  });
  boss.on('error', (error: Error) => log.error({ err: error }, 'job queue error'));
  return boss;
}

/**
 * Enqueues jobs through the caller's open transaction (outbox): a job exists exactly when the
 * case that needs it was committed. The job id is the case id, so a case has one job at most.
 */
export async function enqueueCredits(boss: PgBoss, client: Client, caseIds: string[]) {
  if (caseIds.length === 0) return;
  const db = { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
  const jobs = caseIds.map((caseId) => ({ id: caseId, data: { caseId } satisfies CreditJob }));
  await boss.insert(QUEUES.credit, jobs, { db });
}

export type CreditOutcome = 'credited' | 'already_credited' | 'not_pending';

/** Writes the credit of an auto-credit case and moves it to credited; idempotent per case. */
export async function applyCredit(pool: Pool, caseId: string): Promise<CreditOutcome> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query(sql('case_for_credit'), [caseId]);
    const found = rows[0] as
      | {
          state: string;
          amount: string;
          currency: string;
          customer_id: string;
          campaign_id: string;
        }
      | undefined;
    if (found?.state === 'credited') return 'already_credited';
    if (!found || found.state !== 'auto_credit_pending') return 'not_pending';
    await client.query(sql('insert_adjustment'), [
      caseId,
      'credit',
      found.amount,
      found.currency,
      found.customer_id,
      found.campaign_id,
      CREDIT_ACTOR,
    ]);
    await client.query(sql('set_case_state'), [caseId, 'credited']);
    await insertAudit(client, [
      {
        actor: CREDIT_ACTOR,
        action: AUDIT_ACTIONS.creditApplied,
        caseId,
        customerId: found.customer_id,
        reason: 'auto credit within the campaign ceiling',
        evidence: { amount: found.amount, currency: found.currency },
        before: { state: found.state },
        after: { state: 'credited' },
      },
    ]);
    return 'credited';
  });
}

/** Starts the credit worker; each job settles one case. */
export async function workCredits(
  boss: PgBoss,
  pool: Pool,
  log: Logger,
  onCredited: (outcome: CreditOutcome) => void,
): Promise<void> {
  await boss.work<CreditJob>(
    QUEUES.credit,
    { batchSize: 20, pollingIntervalSeconds: 0.5 },
    async (jobs: Job<CreditJob>[]) => {
      for (const job of jobs) {
        const outcome = await applyCredit(pool, job.data.caseId);
        log.info({ case_id: job.data.caseId, outcome }, 'credit job done');
        onCredited(outcome);
      }
    },
  );
}

/** Jobs of our queues still queued, waiting to retry, or running. */
export async function openJobs(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ open: number }>(sql('open_jobs'), [Object.values(QUEUES)]);
  return rows[0]!.open;
}
