import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse';
import type { RawRecord, Rejection } from '../event.ts';

/** One record of an input file, before validation, with where it came from. */
export interface InputRecord {
  source: string;
  line: number;
  raw: string;
  fields: RawRecord;
}

/** A record a connector refused before it became an event. */
export interface InputRejection {
  source: string;
  line: number;
  raw: string;
  rejection: Rejection;
}

export interface ConnectorOutput {
  records: InputRecord[];
  rejections: InputRejection[];
}

/** A file's bytes, gunzipped when its name ends in .gz. */
export function openInput(path: string): Readable {
  const file = createReadStream(path);
  return path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
}

/** CSV rows with a header, each with its first line number and raw text. */
export async function* csvRows(
  path: string,
): AsyncGenerator<{ line: number; raw: string; values: Record<string, string>; ok: boolean }> {
  const parser = openInput(path).pipe(
    parse({
      columns: true,
      bom: true,
      raw: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }),
  );
  let uneven = 0;
  for await (const row of parser as AsyncIterable<{
    record: Record<string, string>;
    raw: string;
    info: { lines: number; invalid_field_length: number };
  }>) {
    // invalid_field_length counts uneven rows so far: a rise means this row is uneven.
    const ok = row.info.invalid_field_length === uneven;
    uneven = row.info.invalid_field_length;
    const raw = row.raw.replace(/\r?\n$/, '');
    const line = row.info.lines - (raw.match(/\n/g)?.length ?? 0);
    yield { line, raw, values: row.record, ok };
  }
}

/** Lines of a text file, numbered from 1, blank ones skipped. */
export async function* textLines(path: string): AsyncGenerator<{ line: number; raw: string }> {
  const lines = createInterface({ input: openInput(path), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    if (raw.trim() !== '') yield { line, raw };
  }
}
