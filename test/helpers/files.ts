// Scratch input files for a test, removed afterwards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The header row of the generic CSV format, every column. */
export const HEADER =
  'type,channel,external_id,customer_id,campaign_id,ref,kind,amount,currency,occurred_at';

/** Writes `files` into a new temporary directory, runs `work` on it, then removes it. */
export async function withDir<T>(
  files: Record<string, string>,
  work: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'overpay-test-'));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
