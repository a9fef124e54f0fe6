import { sql, type Queryable } from './db.ts';

/** One audit row: a case transition or an adjustment, by whom, why, with what evidence. */
export interface AuditRow {
  actor: string;
  action: string;
  caseId: string | null;
  customerId: string;
  reason: string;
  evidence: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const json = (value: unknown) => (value === null ? null : JSON.stringify(value));

/** Appends audit rows in one statement, inside the caller's transaction. */
export async function insertAudit(db: Queryable, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(sql('insert_audit'), [
    rows.map((row) => row.actor),
    rows.map((row) => row.action),
    rows.map((row) => row.caseId),
    rows.map((row) => row.customerId),
    rows.map((row) => row.reason),
    rows.map((row) => JSON.stringify(row.evidence)),
    rows.map((row) => json(row.before)),
    rows.map((row) => json(row.after)),
  ]);
}
