#!/usr/bin/env node
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from './config.ts';
import { readGeneric } from './connectors/generic.ts';
import { InputError } from './connectors/input.ts';
import { readOlist } from './connectors/olist.ts';
import { createPool } from './db.ts';
import { ingest, type IngestReport } from './ingest.ts';
import { createLogger, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { checkReady, migrate, SetupError } from './migrate.ts';
import { readPolicyFile, savePolicies } from './policy.ts';
import { ROOT } from './paths.ts';
import { listRejected, type RejectedRow } from './rejected.ts';
import { formatSummary, summary } from './report.ts';
import { DEFAULT_SAMPLE, generateSample } from './sample.ts';
import { REASONS } from './vocabulary.ts';
import { Worker } from './worker.ts';

/** Errors that are the user's to fix: message only, exit code 2. */
const USER_ERRORS = new Set([
  'config_invalid',
  'setup_invalid',
  'policy_invalid',
  'olist_input',
  'input_invalid',
  // A path that does not exist, runs through a file, is a directory, or may not be read.
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EACCES',
]);

function setup(): { config: Config; log: Logger } {
  const config = loadConfig();
  return { config, log: createLogger(config.logLevel) };
}

/** A commander parser of whole numbers from `min` up ('1.5', '-1', '1e3', 'abc' are refused). */
function wholeNumberFrom(min: number, form: string) {
  return (text: string): number => {
    const value = Number(text);
    if (/^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min) return value;
    throw new InvalidArgumentError(`expected ${form}`);
  };
}

const wholeNumber = wholeNumberFrom(0, 'a whole number');
const positiveWholeNumber = wholeNumberFrom(1, 'a positive whole number');

/** More detection threads than this only adds start-up time on any machine we run on. */
const MAX_THREADS = 64;
function threadCount(text: string): number {
  const threads = positiveWholeNumber(text);
  if (threads > MAX_THREADS) throw new InvalidArgumentError(`expected at most ${MAX_THREADS}`);
  return threads;
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  return String(manifest.version);
}

async function withPool<T>(
  config: Config,
  work: (pool: ReturnType<typeof createPool>) => Promise<T>,
) {
  const pool = createPool(config.databaseUrl, 2);
  try {
    await checkReady(pool, config.partitions);
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdir spins forever where the kernel
 * answers ENOENT under a parent that exists (seen under /proc).
 */
function ensureDirectory(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new InputError(`${dir} is not a directory`);
    return;
  }
  const parent = dirname(dir);
  if (parent !== dir) ensureDirectory(parent);
  mkdirSync(dir);
}

/** /metrics, or a user error naming METRICS_PORT when the port is taken. */
async function serveMetrics(metrics: Metrics, port: number) {
  try {
    return await metrics.serve(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    throw new SetupError(
      `METRICS_PORT=${port} cannot be used (${code}); pick another, or 0 for none`,
    );
  }
}

function printIngest(report: IngestReport): void {
  console.log(`ingested ${report.source} (${report.format})`);
  console.log(`  accepted:   ${report.accepted}`);
  console.log(`  duplicates: ${report.duplicates} (same key and content within the input)`);
  console.log(`  rejected:   ${report.rejected}`);
  for (const [reason, { count, lines }] of Object.entries(report.byReason)) {
    const more = count > lines.length ? ` and ${count - lines.length} more` : '';
    console.log(`    ${reason}: ${count} (${lines.join(', ')}${more})`);
  }
}

/** A value on one line of tab-separated output: backslashes, tabs and line breaks escaped. */
function oneLine(text: string): string {
  const escapes: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
  return text.replace(/[\\\t\n\r]/g, (c) => escapes[c]!);
}

function printRejected(row: RejectedRow): void {
  const fields = [row.reason, row.field, row.message, row.raw].map(oneLine);
  console.log([`${row.source}:${row.line}`, ...fields].join('\t'));
}

// Set before any command is added: subcommands copy these settings when they are created.
const program = new Command('overpay')
  .description('Catches overpayments of repeat customers across channels and resolves them.')
  .version(packageVersion())
  // Usage errors reach the catch at the end, like every other error, instead of process.exit.
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'overpay: ')) })
  .showHelpAfterError('(add --help for usage)');

program
  .command('migrate')
  .description('create the database if missing and apply every migration (safe to repeat)')
  .action(async () => {
    const { config, log } = setup();
    const applied = await migrate(config, log);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  });

program
  .command('ingest')
  .description('append the events of a file (csv, ndjson) or an Olist dataset directory')
  .argument('<path>', 'input file, or directory for --format olist')
  .addOption(
    new Option('--format <format>', 'input format')
      .choices(['csv', 'ndjson', 'olist'])
      .makeOptionMandatory(),
  )
  .option('--json', 'print the counts as one JSON object')
  .option('--no-progress', 'no progress bar, even on a terminal')
  .action(
    async (
      path: string,
      options: { format: 'csv' | 'ndjson' | 'olist'; json?: boolean; progress: boolean },
    ) => {
      const { config } = setup();
      if (!existsSync(path)) throw new InputError(`${path}: no such file or directory`);
      const isDir = statSync(path).isDirectory();
      if ((options.format === 'olist') !== isDir) {
        throw new InputError(`--format ${options.format} takes a ${isDir ? 'file' : 'directory'}`);
      }
      const output =
        options.format === 'olist'
          ? await readOlist(path)
          : await readGeneric(path, options.format);
      const progress = options.progress && process.stderr.isTTY === true;
      const report = await ingest(config, output, {
        source: path,
        format: options.format,
        progress,
      });
      if (options.json) console.log(JSON.stringify(report));
      else printIngest(report);
    },
  );

const campaigns = program.command('campaigns').description('campaign policies');
campaigns
  .command('load')
  .description('load or replace campaign policies from a JSON file')
  .argument('<file>', 'policy file: { "campaigns": [ ... ] }')
  .action(async (file: string) => {
    const { config } = setup();
    const policies = readPolicyFile(file);
    await withPool(config, (pool) => savePolicies(pool, policies));
    const names = policies.map((p) => p.campaignId).join(', ');
    const noun = policies.length === 1 ? 'policy' : 'policies';
    console.log(`loaded ${policies.length} campaign ${noun}: ${names}`);
  });

program
  .command('worker')
  .description('detect overpayments on every partition and run resolution jobs')
  .option('--until-idle', 'exit once the streams are drained and the queued jobs are done')
  .option('--threads <n>', 'detection threads (1-64)', threadCount, 2)
  .action(async (options: { untilIdle?: boolean; threads: number }) => {
    const { config, log } = setup();
    const metrics = new Metrics(true);
    const server = config.metricsPort > 0 ? await serveMetrics(metrics, config.metricsPort) : null;
    const abort = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        log.info({ signal }, 'stopping after the batch in hand');
        abort.abort();
      });
    }
    const worker = await Worker.start(config, log, metrics, {
      untilIdle: options.untilIdle === true,
      threads: options.threads,
      signal: abort.signal,
    });
    try {
      await worker.run();
    } finally {
      await worker.close();
      server?.close();
    }
    log.info({}, 'worker stopped');
  });

const report = program.command('report').description('reports');
report
  .command('summary')
  .description('what was taken in, detected and resolved')
  .option('--json', 'print exactly one JSON object')
  .action(async (options: { json?: boolean }) => {
    const { config } = setup();
    const result = await withPool(config, (pool) => summary(pool));
    console.log(options.json ? JSON.stringify(result) : formatSummary(result));
  });

const rejected = program.command('rejected').description('input records refused at ingest');
rejected
  .command('list')
  .addOption(new Option('--reason <code>', 'only this reason code').choices(REASONS))
  .option('--limit <n>', 'at most this many', positiveWholeNumber, 100)
  .option('--json', 'one JSON object per line')
  .action(async (options: { reason?: string; limit: number; json?: boolean }) => {
    const { config } = setup();
    const rows = await withPool(config, (pool) =>
      listRejected(pool, options.reason ?? null, options.limit),
    );
    for (const row of rows) {
      if (options.json) console.log(JSON.stringify(row));
      else printRejected(row);
    }
    if (!options.json) console.log(`${rows.length} record(s)`);
  });

const sample = program.command('sample').description('the bundled demo input');
sample
  .command('generate')
  .description('write a seeded sample (events.csv, campaigns.json) into a directory')
  .option('--seed <n>', 'random seed', wholeNumber, DEFAULT_SAMPLE.seed)
  .option('--customers <n>', 'number of customers', positiveWholeNumber, DEFAULT_SAMPLE.customers)
  .option('--days <n>', 'days covered', positiveWholeNumber, DEFAULT_SAMPLE.days)
  .requiredOption('--out <dir>', 'output directory')
  .action((options: { seed: number; customers: number; days: number; out: string }) => {
    const { csv, campaigns: policies } = generateSample({ ...DEFAULT_SAMPLE, ...options });
    ensureDirectory(options.out);
    writeFileSync(join(options.out, 'events.csv'), csv);
    writeFileSync(join(options.out, 'campaigns.json'), JSON.stringify(policies, null, 2) + '\n');
    console.log(`wrote ${join(options.out, 'events.csv')} and campaigns.json`);
  });

/** The exit code for an error that ended a command, and the text still to print for it. */
function failure(error: unknown): { exitCode: number; text: string } {
  // Commander has printed its message already, or the help or version (exit code 0).
  if (error instanceof CommanderError) return { exitCode: error.exitCode === 0 ? 0 : 2, text: '' };
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: USER_ERRORS.has(code) ? 2 : 1, text: `overpay: ${message}\n` };
}

try {
  await program.parseAsync();
} catch (error) {
  const { exitCode, text } = failure(error);
  process.exitCode = exitCode;
  // Exit once the message is out: a connection or thread that a failed step left open must
  // not keep the process alive (it did, for minutes).
  process.stderr.write(text, () => process.exit(exitCode));
}
