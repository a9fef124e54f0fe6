import { StaleOwnershipError } from './ledger.ts';

/**
 * What an error means for the loop that met it:
 * - transient: the entries stay pending; back off and read them again;
 * - stale: another worker owns a partition now; stop, never commit its work;
 * - poison: the input itself fails; dead-letter the entry that does it and acknowledge;
 * - systemic: every entry fails alone, so the fault is the code's or the schema's; stop with
 *   the entries still pending rather than dead-letter everything.
 */
export type ErrorKind = 'transient' | 'stale' | 'poison' | 'systemic';

export class SystemicError extends Error {
  readonly code = 'systemic';
  constructor(readonly cause: unknown) {
    super(`every entry of a batch failed on its own: ${String((cause as Error)?.message)}`);
  }
}

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

export function classifyError(error: unknown): ErrorKind {
  if (error instanceof StaleOwnershipError) return 'stale';
  if (error instanceof SystemicError) return 'systemic';
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = String((error as { message?: unknown })?.message ?? '');
  if (TRANSIENT_NODE_CODES.has(code)) return 'transient';
  // PostgreSQL: connection (08), resources (53), operator intervention (57), serialisation (40).
  if (/^(08|53|57|40)[0-9A-Z]{3}$/.test(code)) return 'transient';
  if (/Connection terminated|Connection is closed|timeout|MaxRetriesPerRequest/i.test(message)) {
    return 'transient';
  }
  return 'poison';
}
