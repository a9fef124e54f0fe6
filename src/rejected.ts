import { createHash } from 'node:crypto';
import { sql, type Queryable } from './db.ts';
import type { InputRejection } from './connectors/input.ts';

/** Identity of a refused record: the same line of the same source with the same content. */
function recordKey(format: string, r: InputRejection): string {
  return createHash('sha256')
    .update(`${format}\u0000${r.source}\u0000${r.line}\u0000${r.raw}`)
    .digest('hex');
}

/** Stores refused records so operators can list them; each is counted once. */
export async function storeRejections(
  db: Queryable,
  format: string,
  rejections: InputRejection[],
): Promise<void> {
  const unique = new Map(rejections.map((r) => [recordKey(format, r), r]));
  const keys = [...unique.keys()];
  const rows = [...unique.values()];
  for (let start = 0; start < rows.length; start += 1000) {
    const slice = rows.slice(start, start + 1000);
    await db.query(sql('upsert_rejected'), [
      keys.slice(start, start + 1000),
      slice.map((r) => r.source),
      slice.map(() => format),
      slice.map((r) => r.line),
      slice.map((r) => r.rejection.reason),
      slice.map((r) => r.rejection.field),
      slice.map((r) => r.rejection.message),
      slice.map((r) => r.raw),
    ]);
  }
}

export interface RejectedRow {
  source: string;
  format: string;
  line: number;
  reason: string;
  field: string;
  message: string;
  raw: string;
  times_seen: number;
  first_seen_at: string;
}

export async function listRejected(db: Queryable, reason: string | null, limit: number) {
  const { rows } = await db.query<RejectedRow>(sql('list_rejected'), [reason, limit]);
  return rows;
}
