import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
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

/**
 * CRLF to LF, so that csv-parse counts lines right: with CRLF it counts a quoted line break
 * twice and leaves carriage returns in the raw text. A CR at a chunk's end waits for the next.
 */
function toLf(): Transform {
  // The decoder keeps a UTF-8 sequence cut by a chunk boundary for the next chunk.
  const decoder = new StringDecoder('utf8');
  let held = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let text = held + decoder.write(chunk);
      held = text.endsWith('\r') ? '\r' : '';
      if (held) text = text.slice(0, -1);
      done(null, text.replaceAll('\r\n', '\n'));
    },
    flush(done) {
      done(null, held + decoder.end());
    },
  });
}

/** CSV rows with a header, each with its first line number and raw text. */
export async function* csvRows(
  path: string,
): AsyncGenerator<{ line: number; raw: string; values: Record<string, string>; ok: boolean }> {
  const parser = openInput(path)
    .pipe(toLf())
    .pipe(
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
    // raw holds the blank lines skipped before the record and its own line break;
    // info.lines is the line the record ends on.
    const raw = row.raw.replace(/^\n+/, '').replace(/\n$/, '');
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
