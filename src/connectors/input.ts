import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline, Transform, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import type { RawRecord, Rejection } from '../event.ts';

/**
 * An input that cannot be used as a whole (a file without the columns it must have, a file
 * that is not the format it was given as, a path of the wrong kind): the user's to fix, so
 * nothing of it is stored.
 */
export class InputError extends Error {
  readonly code = 'input_invalid';
}

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

/**
 * A file's bytes, gunzipped when its name ends in .gz. Joined with pipeline, not pipe, so a
 * read error reaches the reader and a failed reader closes the file.
 */
export function openInput(path: string): Readable {
  const file = createReadStream(path);
  return path.endsWith('.gz') ? pipeline(file, createGunzip(), ignore) : file;
}

/** pipeline's callback: the error, if any, reaches whoever reads the last stream. */
function ignore(): void {}

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

/** One CSV record: its first line number, raw text, values by column, and whether it is even. */
export interface CsvRow {
  line: number;
  raw: string;
  values: Record<string, string>;
  /** False when the record has another number of fields than the header row. */
  ok: boolean;
}

/**
 * CSV rows of a file whose header row names at least the `required` columns. A file without
 * them, or one that csv-parse cannot read to its end, is refused as a whole (InputError).
 */
export async function* csvRows(path: string, required: readonly string[]): AsyncGenerator<CsvRow> {
  let header = null as string[] | null; // set by the parser, from its columns callback
  const columns = (names: string[]) => (header = checkHeader(path, names, required));
  const parser = pipeline(openInput(path), toLf(), parse({ ...CSV_OPTIONS, columns }), ignore);
  try {
    yield* rows(parser);
  } catch (error) {
    throw error instanceof CsvError ? unparseable(path, error) : error;
  }
  if (header === null) checkHeader(path, [], required, 'the file is empty');
}

const CSV_OPTIONS = {
  bom: true,
  raw: true,
  info: true,
  relax_column_count: true,
  // A quote inside an unquoted field (5" screen) is data, not a broken file.
  relax_quotes: true,
  skip_empty_lines: true,
} as const;

/** The header's names, when they include every required column. */
function checkHeader(
  path: string,
  names: string[],
  required: readonly string[],
  why?: string,
): string[] {
  const missing = required.filter((name) => !names.includes(name));
  if (missing.length === 0) return names;
  throw new InputError(
    `${path}: the header row must name the columns ${required.join(', ')}; ` +
      (why ?? `missing: ${missing.join(', ')}`),
  );
}

async function* rows(parser: AsyncIterable<unknown>): AsyncGenerator<CsvRow> {
  let uneven = 0;
  for await (const item of parser) {
    const row = item as {
      record: Record<string, string>;
      raw: string;
      info: { lines: number; invalid_field_length: number };
    };
    // invalid_field_length counts uneven rows so far: a rise means this row is uneven.
    const ok = row.info.invalid_field_length === uneven;
    uneven = row.info.invalid_field_length;
    const raw = recordText(row.raw);
    yield { line: firstLine(row.info.lines, raw), raw, values: row.record, ok };
  }
}

/**
 * The text of one record: csv-parse's raw holds the blank lines skipped before it and its
 * own line break.
 */
function recordText(raw: string): string {
  return raw.replace(/^\n+/, '').replace(/\n$/, '');
}

/** The line a record starts on, from the line it ends on (csv-parse's info.lines). */
function firstLine(lastLine: number, text: string): number {
  return lastLine - (text.match(/\n/g)?.length ?? 0);
}

/** The whole file refused, at the line where the record csv-parse could not read starts. */
function unparseable(path: string, error: CsvError): InputError {
  const lastLine = Number(error.lines ?? 0);
  const line =
    typeof error.raw === 'string' ? firstLine(lastLine, recordText(error.raw)) : lastLine;
  return new InputError(`${path}: not parseable as CSV at line ${line} (${error.message})`);
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
