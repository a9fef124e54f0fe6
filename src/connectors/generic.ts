import { basename } from 'node:path';
import { EVENT_FIELDS } from '../vocabulary.ts';
import { csvRows, InputError, textLines, type ConnectorOutput } from './input.ts';

/** Columns a CSV header must name; ref and kind may be left out (empty for every row). */
const REQUIRED_COLUMNS = EVENT_FIELDS.filter((name) => name !== 'ref' && name !== 'kind');

/** Reads the generic event format from CSV (with a header row) or NDJSON. */
/** The name rejections are kept under: a gzipped copy of a file counts as that file. */
function sourceName(path: string): string {
  return basename(path).replace(/\.gz$/, '');
}

export async function readGeneric(
  path: string,
  format: 'csv' | 'ndjson',
): Promise<ConnectorOutput> {
  return format === 'csv' ? readCsv(path) : readNdjson(path);
}

async function readCsv(path: string): Promise<ConnectorOutput> {
  const source = sourceName(path);
  const out: ConnectorOutput = { records: [], rejections: [] };
  for await (const row of csvRows(path, REQUIRED_COLUMNS)) {
    if (!row.ok) {
      const message = 'another number of fields than the header row has columns';
      const rejection = { reason: 'malformed_record' as const, field: 'record', message };
      out.rejections.push({ source, line: row.line, raw: row.raw, rejection });
      continue;
    }
    out.records.push({ source, line: row.line, raw: row.raw, fields: row.values });
  }
  return out;
}

async function readNdjson(path: string): Promise<ConnectorOutput> {
  const source = sourceName(path);
  const out: ConnectorOutput = { records: [], rejections: [] };
  let lines = 0;
  let json = 0;
  for await (const { line, raw } of textLines(path)) {
    lines += 1;
    const problem = (message: string) =>
      out.rejections.push({
        source,
        line,
        raw,
        rejection: { reason: 'malformed_record', field: 'record', message },
      });
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      problem('not valid JSON');
      continue;
    }
    json += 1;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem('not a JSON object');
      continue;
    }
    const fields = value as Record<string, unknown>;
    // A JSON number cannot carry an exact decimal: money must arrive as a string.
    if (typeof fields.amount === 'number') {
      out.rejections.push({
        source,
        line,
        raw,
        rejection: { reason: 'bad_amount', field: 'amount', message: 'amount must be a string' },
      });
      continue;
    }
    out.records.push({ source, line, raw, fields });
  }
  // Every line refused as malformed says less than one message about the whole file.
  if (lines > 0 && json === 0) {
    throw new InputError(`${path}: no line is JSON; is it CSV? use --format csv`);
  }
  return out;
}
