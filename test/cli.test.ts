// The real command line as a child process: exit codes, stdout and stderr as an operator sees them.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../src/paths.ts';
import { formatSummary, type Summary } from '../src/report.ts';
import { DEFAULT_SAMPLE, generateSample } from '../src/sample.ts';
import { streamKey } from '../src/vocabulary.ts';
import { cliEnv, runCli, startCli } from './helpers/cli.ts';
import { ingestEvents, report } from './helpers/env.ts';
import { HEADER, withDir } from './helpers/files.ts';
import { testEnv, ZERO_CASES, type TestEnv } from './helpers/env.ts';

/** Nothing listens on port 1 (tcpmux, never served here): connecting is refused at once. */
const DEAD_PORT = 1;
const USAGE_HINT = '(add --help for usage)\n';

test('report summary --json prints exactly one JSON object, all zeros on an empty database', async () => {
  const env = await testEnv();
  try {
    const result = await runCli(['report', 'summary', '--json'], cliEnv(env.config));
    assert.is(result.code, 0, result.stderr);
    assert.is(result.stderr, '');
    assert.is(result.stdout.endsWith('\n'), true);
    assert.is(result.stdout.trimEnd().split('\n').length, 1, 'one line');
    assert.equal(JSON.parse(result.stdout), {
      payments: 0,
      obligations: 0,
      accounts: 0,
      overpaid_accounts: 0,
      detected_excess: {},
      cases: ZERO_CASES,
      credited: {},
      rejected: { total: 0, by_reason: {} },
      dead_letters: 0,
      unmatched_payments: 0,
      suspected_duplicates: 0,
    });
  } finally {
    await env.cleanup();
  }
});

test('a bad environment value exits 2 naming the variable, before touching anything', async () => {
  const vars = { ...process.env, OVERPAY_PARTITIONS: 'abc', METRICS_PORT: '0' };
  const result = await runCli(['report', 'summary', '--json'], vars);
  assert.is(result.code, 2);
  assert.is(result.stdout, '');
  assert.is(
    result.stderr,
    "overpay: OVERPAY_PARTITIONS='abc' is invalid: expected a whole number from 1 to 1024\n",
  );
});

test('a partition count other than the recorded one exits 2 with the fix in the message', async () => {
  const env = await testEnv();
  try {
    const first = await runCli(['report', 'summary', '--json'], cliEnv(env.config));
    assert.is(first.code, 0, first.stderr);
    const vars = { ...cliEnv(env.config), OVERPAY_PARTITIONS: '8' };
    const result = await runCli(['report', 'summary', '--json'], vars);
    assert.is(result.code, 2);
    assert.is(result.stdout, '');
    assert.is(
      result.stderr,
      'overpay: OVERPAY_PARTITIONS=8 but this database was set up with 4 partitions; ' +
        'the count is fixed per deployment (set OVERPAY_PARTITIONS=4)\n',
    );
  } finally {
    await env.cleanup();
  }
});

test('ingest of a missing file exits 2 naming the file', async () => {
  const env = await testEnv();
  try {
    const missing = join(tmpdir(), 'overpay-cli-no-such-file.csv');
    const result = await runCli(['ingest', missing, '--format', 'csv'], cliEnv(env.config));
    assert.is(result.code, 2);
    assert.is(result.stdout, '');
    assert.is(result.stderr, `overpay: ${missing}: no such file or directory\n`);
  } finally {
    await env.cleanup();
  }
});

test('ingest --format olist of a file, or --format csv of a directory, exits 2 saying why', async () => {
  const env = await testEnv();
  try {
    await withDir({ 'events.csv': HEADER + '\n' }, async (dir) => {
      const vars = cliEnv(env.config);
      const file = join(dir, 'events.csv');
      const olist = await runCli(['ingest', file, '--format', 'olist'], vars);
      assert.is(olist.code, 2);
      assert.is(olist.stderr, 'overpay: --format olist takes a directory\n');
      const csv = await runCli(['ingest', dir, '--format', 'csv'], vars);
      assert.is(csv.code, 2);
      assert.is(csv.stderr, 'overpay: --format csv takes a file\n');
    });
  } finally {
    await env.cleanup();
  }
});

test('campaigns load of a bad file exits 2 naming the entry and field; nothing is stored', async () => {
  const env = await testEnv();
  try {
    const file = {
      campaigns: [
        { campaign_id: 'spring', currency: 'BRL' },
        { campaign_id: 'summer', currency: 'BRL', hold_threshold: '10.00' },
      ],
    };
    await withDir({ 'campaigns.json': JSON.stringify(file) }, async (dir) => {
      const path = join(dir, 'campaigns.json');
      const result = await runCli(['campaigns', 'load', path], cliEnv(env.config));
      assert.is(result.code, 2);
      assert.is(result.stdout, '');
      assert.is(
        result.stderr,
        `overpay: ${path}: campaigns.1.hold_threshold: ` +
          'hold_threshold must be at least auto_credit_ceiling\n',
      );
    });
    const { rows } = await env.pool.query('SELECT campaign_id FROM campaigns');
    assert.equal(rows, []);
  } finally {
    await env.cleanup();
  }
});

test('rejected list --json lists a record refused by an earlier ingest', async () => {
  const env = await testEnv();
  try {
    const good = 'payment,web,p1,cust-1,camp,o1,payment,10.00,BRL,2026-01-01T10:00:00Z';
    const bad = 'payment,web,p2,cust-1,camp,o1,payment,10.001,BRL,2026-01-01T10:00:00Z';
    const csv = [HEADER, good, bad].join('\n') + '\n';
    await withDir({ 'events.csv': csv }, async (dir) => {
      const vars = cliEnv(env.config);
      const ingested = await runCli(
        ['ingest', join(dir, 'events.csv'), '--format', 'csv', '--json'],
        vars,
      );
      assert.is(ingested.code, 0, ingested.stderr);
      const counts = JSON.parse(ingested.stdout);
      assert.equal([counts.accepted, counts.duplicates, counts.rejected], [1, 0, 1]);

      const listed = await runCli(['rejected', 'list', '--json'], vars);
      assert.is(listed.code, 0, listed.stderr);
      const lines = listed.stdout.trimEnd().split('\n');
      assert.is(lines.length, 1, listed.stdout);
      const record = JSON.parse(lines[0]!);
      assert.match(record.first_seen_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
      delete record.first_seen_at;
      assert.equal(record, {
        source: 'events.csv',
        format: 'csv',
        line: 3,
        reason: 'too_many_decimals',
        field: 'amount',
        message: "amount '10.001' has more decimals than BRL allows (2)",
        raw: bad,
        times_seen: 1,
      });
      const other = await runCli(['rejected', 'list', '--json', '--reason', 'bad_kind'], vars);
      assert.is(other.code, 0, other.stderr);
      assert.is(other.stdout, '', 'no bad_kind record');
    });
  } finally {
    await env.cleanup();
  }
});

/** Sends `signal` to a running worker; it must log it, finish, and exit 0. */
async function assertStopsOn(worker: ReturnType<typeof startCli>, signal: NodeJS.Signals) {
  worker.child.kill(signal);
  const result = await worker.done;
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stderr, `"signal":"${signal}"`);
  assert.match(result.stderr, '"msg":"worker stopped"');
}

test('a worker stops cleanly on SIGINT too', async () => {
  const env = await testEnv();
  try {
    const worker = startCli(['worker', '--threads', '1'], {
      ...cliEnv(env.config),
      LOG_LEVEL: 'info',
    });
    const deadline = Date.now() + 20_000;
    while (!worker.output.stderr.includes('partitions taken') && Date.now() < deadline) {
      await sleep(50);
    }
    await assertStopsOn(worker, 'SIGINT');
  } finally {
    await env.cleanup();
  }
});

test('a running worker serves /metrics and stops cleanly on SIGTERM after its work', async () => {
  const env = await testEnv();
  try {
    await ingestEvents(env, [
      { external_id: 'p1', amount: '5.00', occurred_at: '2026-06-01T10:00:00Z' },
    ]);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const vars = { ...cliEnv(env.config), METRICS_PORT: String(port), LOG_LEVEL: 'info' };
    const worker = startCli(['worker', '--threads', '1'], vars);
    const deadline = Date.now() + 20_000;
    while ((await report(env)).payments === 0 && Date.now() < deadline) await sleep(100);
    assert.is((await report(env)).payments, 1, 'the worker recorded the payment');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, 'overpay_events_processed_total{type="payment"} 1');
    await assertStopsOn(worker, 'SIGTERM');
  } finally {
    await env.cleanup();
  }
});

test('sample generate writes the seeded sample, and refuses a place it cannot write', async () => {
  await withDir({}, async (dir) => {
    const out = join(dir, 'nested', 'sample');
    const made = await runCli(['sample', 'generate', '--out', out], process.env);
    assert.is(made.code, 0, made.stderr);
    const { csv } = generateSample(DEFAULT_SAMPLE);
    assert.is(await readFile(join(out, 'events.csv'), 'utf8'), csv);
  });
  // Under /proc the kernel answers ENOENT for a missing directory; it must not spin.
  const refused = await runCli(['sample', 'generate', '--out', '/proc/overpay-nope'], process.env);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /^overpay: ENOENT/);
});

test('usage errors exit 2 with `overpay: ` and the usage hint, and no stack', async () => {
  const invalid = (option: string, value: string, form: string) =>
    `overpay: option '${option}' argument '${value}' is invalid. ${form}\n${USAGE_HINT}`;
  const positive = 'expected a positive whole number';
  const cases: [string[], string][] = [
    [
      ['ingest', 'x.csv', '--format', 'xml'],
      invalid('--format <format>', 'xml', 'Allowed choices are csv, ndjson, olist.'),
    ],
    [
      ['ingest', 'x.csv'],
      `overpay: required option '--format <format>' not specified\n${USAGE_HINT}`,
    ],
    [['rejected', 'list', '--limit', 'abc'], invalid('--limit <n>', 'abc', positive)],
    [['rejected', 'list', '--limit', '0'], invalid('--limit <n>', '0', positive)],
    [['worker', '--threads', '0'], invalid('--threads <n>', '0', positive)],
    [
      ['sample', 'generate', '--out', 'x', '--customers', '0'],
      invalid('--customers <n>', '0', positive),
    ],
    [['sample', 'generate', '--out', 'x', '--days', '1.5'], invalid('--days <n>', '1.5', positive)],
    [
      ['sample', 'generate', '--out', 'x', '--seed', '-1'],
      invalid('--seed <n>', '-1', 'expected a whole number'),
    ],
    [['nosuch'], `overpay: unknown command 'nosuch'\n${USAGE_HINT}`],
  ];
  const results = await Promise.all(cases.map(([args]) => runCli(args, process.env)));
  results.forEach((result, i) => {
    const [args, stderr] = cases[i]!;
    assert.is(result.code, 2, args.join(' '));
    assert.is(result.stdout, '', args.join(' '));
    assert.is(result.stderr, stderr, args.join(' '));
  });
});

test('--version prints the package version; --help exits 0', async () => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
  const [shown, help] = await Promise.all([
    runCli(['--version'], process.env),
    runCli(['ingest', '--help'], process.env),
  ]);
  assert.equal(shown, { code: 0, stdout: `${version}\n`, stderr: '' });
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: overpay ingest \[options\] <path>/);
});

test('a path through a file or a table that is a directory (EISDIR) exits 2', async () => {
  await withDir({ 'events.csv': HEADER + '\n' }, async (dir) => {
    const through = join(dir, 'events.csv', 'more.csv');
    const notDir = await runCli(['ingest', through, '--format', 'csv'], process.env);
    assert.equal(notDir, {
      code: 2,
      stdout: '',
      stderr: `overpay: ${through}: no such file or directory\n`,
    });
    for (const table of ['customers', 'orders', 'order_items', 'order_payments']) {
      await writeFile(join(dir, `olist_${table}_dataset.csv`), 'order_id\n');
    }
    await rm(join(dir, 'olist_customers_dataset.csv'));
    await mkdir(join(dir, 'olist_customers_dataset.csv'));
    const isDir = await runCli(['ingest', dir, '--format', 'olist'], process.env);
    assert.equal(isDir, {
      code: 2,
      stdout: '',
      stderr: 'overpay: EISDIR: illegal operation on a directory, read\n',
    });
  });
});

/** Entries on the test's partition streams. */
async function streamEntries(env: TestEnv): Promise<number> {
  let total = 0;
  for (let p = 0; p < env.config.partitions; p += 1) {
    total += await env.redis.xlen(streamKey(env.config.redisPrefix, p));
  }
  return total;
}

test('ingest of a CSV without a required column exits 2; nothing is stored or appended', async () => {
  const env = await testEnv();
  try {
    const header = 'type,channel,external_id,customer_id,campaign_id,amount,occurred_at';
    const row = 'payment,web,p1,cust-1,camp,10.00,2026-01-01T10:00:00Z';
    await withDir({ 'events.csv': `${header}\n${row}\nbad\n` }, async (dir) => {
      const path = join(dir, 'events.csv');
      const result = await runCli(['ingest', path, '--format', 'csv'], cliEnv(env.config));
      assert.equal(result, {
        code: 2,
        stdout: '',
        stderr:
          `overpay: ${path}: the header row must name the columns type, channel, ` +
          'external_id, customer_id, campaign_id, amount, currency, occurred_at; ' +
          'missing: currency\n',
      });
    });
    const { rows } = await env.pool.query('SELECT count(*)::int AS n FROM rejected_records');
    assert.equal(rows, [{ n: 0 }]);
    assert.is(await streamEntries(env), 0);
  } finally {
    await env.cleanup();
  }
});

test('worker, ingest and report exit 2 at once, naming the variable, when Redis or PostgreSQL is unreachable', async () => {
  const env = await testEnv();
  try {
    const started = Date.now();
    const redisUrl = `redis://127.0.0.1:${DEAD_PORT}/0`;
    const worker = await runCli(['worker', '--until-idle'], {
      ...cliEnv(env.config),
      REDIS_URL: redisUrl,
    });
    assert.equal(worker, {
      code: 2,
      stdout: '',
      stderr:
        `overpay: cannot reach Redis at ${redisUrl} ` +
        `(connect ECONNREFUSED 127.0.0.1:${DEAD_PORT}); check REDIS_URL\n`,
    });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    // ingest checks both services before it stores anything.
    const fixture = `${HEADER}\npayment,web,p1,c1,camp,,payment,1.001,EUR,2026-01-01T10:00:00Z\n`;
    await withDir({ 'bad.csv': fixture }, async (dir) => {
      const ingest = await runCli(['ingest', join(dir, 'bad.csv'), '--format', 'csv'], {
        ...cliEnv(env.config),
        REDIS_URL: redisUrl,
      });
      assert.is(ingest.code, 2);
      assert.match(ingest.stderr, 'check REDIS_URL');
    });
    const stored = await env.pool.query('SELECT count(*)::int AS n FROM rejected_records');
    assert.equal(stored.rows, [{ n: 0 }]);
    const databaseUrl = `postgres://bob:secret@127.0.0.1:${DEAD_PORT}/overpay`;
    const summary = await runCli(['report', 'summary'], {
      ...cliEnv(env.config),
      DATABASE_URL: databaseUrl,
    });
    assert.equal(summary, {
      code: 2,
      stdout: '',
      stderr:
        `overpay: cannot reach PostgreSQL at postgres://bob@127.0.0.1:${DEAD_PORT}/overpay ` +
        `(connect ECONNREFUSED 127.0.0.1:${DEAD_PORT}); check DATABASE_URL\n`,
    });
  } finally {
    await env.cleanup();
  }
});

test('rejected list prints one line per record with its raw content, line breaks escaped', async () => {
  const env = await testEnv();
  try {
    const bad = 'payment,web,p2,cust-1,camp,o1,payment,10.001,BRL,2026-01-01T10:00:00Z';
    const split = ['payment,web,"p3', 'x",cust-1,camp,o1,gift,1.00,BRL,2026-01-01T10:00:00Z'];
    const csv = [HEADER, bad, ...split].join('\n') + '\n';
    await withDir({ 'events.csv': csv }, async (dir) => {
      const vars = cliEnv(env.config);
      const ingested = await runCli(['ingest', join(dir, 'events.csv'), '--format', 'csv'], vars);
      assert.is(ingested.code, 0, ingested.stderr);
      const listed = await runCli(['rejected', 'list'], vars);
      assert.equal(listed, {
        code: 0,
        stderr: '',
        stdout: [
          'events.csv:2\ttoo_many_decimals\tamount\t' +
            `amount '10.001' has more decimals than BRL allows (2)\t${bad}`,
          'events.csv:3\tbad_kind\tkind\t' +
            `kind 'gift' is not payment, refund, chargeback, reversal\t${split.join('\\n')}`,
          '2 record(s)',
          '',
        ].join('\n'),
      });
    });
  } finally {
    await env.cleanup();
  }
});

test('report summary without --json prints a table: counts, money, nonzero cases and reasons', async () => {
  const env = await testEnv();
  try {
    const empty = await runCli(['report', 'summary'], cliEnv(env.config));
    assert.equal(empty, {
      code: 0,
      stderr: '',
      stdout: [
        'payments                                   0',
        'obligations                                0',
        'accounts                                   0',
        'overpaid accounts                          0',
        'unmatched payments                         0',
        'suspected duplicates                       0',
        'dead letters                               0',
        '',
        'money                                   none',
        '',
        'cases                                      0',
        '',
        'rejected                                   0',
        '',
      ].join('\n'),
    });
  } finally {
    await env.cleanup();
  }
});

test('the summary table lists each currency and only the nonzero cases and reasons', () => {
  const summary: Summary = {
    payments: 12,
    obligations: 4,
    accounts: 5,
    overpaid_accounts: 2,
    detected_excess: { EUR: '3.00', BRL: '1049.21' },
    cases: { ...ZERO_CASES, credited: 1, review_pending: 2 },
    credited: { BRL: '10.00' },
    rejected: {
      total: 4,
      by_reason: { bad_kind: 1, missing_field: 2, timestamp_without_offset: 1 },
    },
    dead_letters: 0,
    unmatched_payments: 1,
    suspected_duplicates: 0,
  };
  assert.is(
    formatSummary(summary),
    [
      'payments                                  12',
      'obligations                                4',
      'accounts                                   5',
      'overpaid accounts                          2',
      'unmatched payments                         1',
      'suspected duplicates                       0',
      'dead letters                               0',
      '',
      'money                        detected excess        credited',
      '  BRL                                1049.21           10.00',
      '  EUR                                   3.00            0.00',
      '',
      'cases                                      3',
      '  review_pending                           2',
      '  credited                                 1',
      '',
      'rejected                                   4',
      '  bad_kind                                 1',
      '  missing_field                            2',
      '  timestamp_without_offset                 1',
    ].join('\n'),
  );
});

test('a taken METRICS_PORT, an unknown reason code and too many threads are user errors', async () => {
  const env = await testEnv();
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = blocker.address() as { port: number };
    const vars = { ...cliEnv(env.config), METRICS_PORT: String(port) };
    const taken = await runCli(['worker', '--until-idle'], vars);
    assert.equal(taken, {
      code: 2,
      stdout: '',
      stderr: `overpay: METRICS_PORT=${port} cannot be used (EADDRINUSE); pick another, or 0 for none\n`,
    });
    const reason = await runCli(['rejected', 'list', '--reason', 'nope'], cliEnv(env.config));
    assert.is(reason.code, 2);
    assert.match(reason.stderr, "overpay: option '--reason <code>' argument 'nope' is invalid");
    const threads = await runCli(['worker', '--threads', '65'], cliEnv(env.config));
    assert.is(threads.code, 2);
    assert.match(threads.stderr, 'expected at most 64');
  } finally {
    blocker.close();
    await env.cleanup();
  }
});

test('a gzipped copy of a file keeps its rejections under the same name, counted once', async () => {
  const env = await testEnv();
  try {
    const csv = `${HEADER}\npayment,web,p1,c1,camp,,payment,1.001,EUR,2026-01-01T10:00:00Z\n`;
    await withDir({ 'events.csv': csv }, async (dir) => {
      await writeFile(join(dir, 'events.csv.gz'), gzipSync(csv));
      for (const file of ['events.csv', 'events.csv.gz']) {
        const result = await runCli(
          ['ingest', join(dir, file), '--format', 'csv'],
          cliEnv(env.config),
        );
        assert.is(result.code, 0, result.stderr);
      }
    });
    const { rows } = await env.pool.query('SELECT source, line, times_seen FROM rejected_records');
    assert.equal(rows, [{ source: 'events.csv', line: 2, times_seen: 2 }]);
  } finally {
    await env.cleanup();
  }
});

test.run();
