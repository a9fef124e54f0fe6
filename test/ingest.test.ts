import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readGeneric } from '../src/connectors/generic.ts';
import { InputError } from '../src/connectors/input.ts';
import { OlistError, readOlist } from '../src/connectors/olist.ts';
import { validateEvent } from '../src/event.ts';
import { ingest, prepare } from '../src/ingest.ts';
import { SetupError } from '../src/migrate.ts';
import { partitionOf } from '../src/partition.ts';
import { streamKey } from '../src/vocabulary.ts';
import { HEADER, withDir } from './helpers/files.ts';
import { drain, report, testEnv, type TestEnv } from './helpers/env.ts';

const run = (env: TestEnv, path: string, format: 'csv' | 'ndjson') =>
  readGeneric(path, format).then((out) =>
    ingest(env.config, out, { source: path, format, progress: false }),
  );

/** external_ids on each partition stream, in stream order. */
async function streams(env: TestEnv): Promise<string[][]> {
  const result: string[][] = [];
  for (let p = 0; p < env.config.partitions; p += 1) {
    const entries = await env.redis.xrange(streamKey(env.config.redisPrefix, p), '-', '+');
    result.push(entries.map(([, fields]) => fields[fields.indexOf('external_id') + 1]!));
  }
  return result;
}

// Line numbers: the header is line 1; the quoted record spans lines 12-13.
const EVENT_LINES = [
  HEADER,
  'payment,web,p-late,alice,camp,o1,payment,60.00,BRL,2026-01-01T12:00:00Z', // 2 accepted
  'payment,web,p-tie,alice,camp,o1,payment,40,BRL,2026-01-01T10:00:00Z', // 3 accepted
  'obligation,shop,o1,alice,camp,o1,,100.00,BRL,2026-01-01T10:00:00Z', // 4 accepted
  'payment,web,p-late,alice,camp,o1,payment,60.00,BRL,2026-01-01T12:00:00Z', // 5 duplicate
  'payment,web,p-late,alice,camp,o1,payment,61.00,BRL,2026-01-01T12:00:00Z', // 6 conflicting
  'payment,web,p-short,bob,camp', // 7 malformed_record
  'payment,app,p-b1,bob,camp,,payment,12.345,BRL,2026-01-01T09:00:00Z', // 8 too_many_decimals
  'payment,app,p-b2,bob,camp,,payment,5.00,BRL,2026-01-01T09:30:00-03:00', // 9 accepted
  'payment,app,p-b3,bob,camp,,gift,5.00,BRL,2026-01-01T09:00:00Z', // 10 bad_kind
  'obligation,shop,o2,bob,camp,o2,,10.00,BRL,2026-01-01T08:00:00Z', // 11 accepted
  '"payment",app,"p-multi', // 12 missing_field currency (record on lines 12-13)
  'line",bob,camp,,payment,1.00,,2026-01-01T08:00:00Z',
  'payment,web,p-b4,bob,camp,,payment,2.00,BRL,2026-01-01T10:00:00', // 14 without offset
];
const rawOf = (line: number) =>
  line === 12 ? `${EVENT_LINES[11]}\n${EVENT_LINES[12]}` : EVENT_LINES[line - 1]!;
const REFUSED: [line: number, reason: string, field: string][] = [
  [6, 'conflicting_duplicate', 'external_id'],
  [7, 'malformed_record', 'record'],
  [8, 'too_many_decimals', 'amount'],
  [10, 'bad_kind', 'kind'],
  [12, 'missing_field', 'currency'],
  [14, 'timestamp_without_offset', 'occurred_at'],
];
const storedRows = (timesSeen: number) =>
  REFUSED.map(([line, reason, field]) => ({
    line,
    reason,
    field,
    raw: rawOf(line),
    times_seen: timesSeen,
  }));

test('CSV ingest: exact counts, reasons with line numbers, stored refusals, stream order', async () => {
  const env = await testEnv();
  try {
    await withDir({ 'events.csv': EVENT_LINES.join('\n') + '\n' }, async (dir) => {
      const path = join(dir, 'events.csv');
      const first = await run(env, path, 'csv');
      const byReason = Object.fromEntries(
        REFUSED.map(([line, reason]) => [reason, { count: 1, lines: [`events.csv:${line}`] }]),
      );
      const counts = { accepted: 5, duplicates: 1, rejected: 6, byReason };
      assert.equal(first, { source: path, format: 'csv', ...counts });
      // Time order; the obligation o1 goes before the payment p-tie at the same instant.
      const order = ['bob:o2', 'alice:o1', 'alice:p-tie', 'alice:p-late', 'bob:p-b2'];
      const expected = [0, 1, 2, 3].map((p) =>
        order.filter((e) => partitionOf(e.split(':')[0]!, 4) === p).map((e) => e.split(':')[1]),
      );
      assert.equal(await streams(env), expected);

      const stored = () =>
        env.pool
          .query('SELECT line, reason, field, raw, times_seen FROM rejected_records ORDER BY line')
          .then((r) => r.rows);
      assert.equal(await stored(), storedRows(1));
      const { rows } = await env.pool.query('SELECT DISTINCT source, format FROM rejected_records');
      assert.equal(rows, [{ source: 'events.csv', format: 'csv' }]);

      assert.equal(await run(env, path, 'csv'), first, 'the same file gives the same report');
      assert.equal(await stored(), storedRows(2), 'each refused record kept once, seen twice');
      await drain(env);
      const summary = await report(env);
      assert.equal(summary.rejected, {
        total: 6,
        by_reason: Object.fromEntries(REFUSED.map(([, reason]) => [reason, 1])),
      });
      assert.is(summary.payments, 3, 'the ledger keeps each payment once');
      assert.is(summary.obligations, 2);
    });
  } finally {
    await env.cleanup();
  }
});

test('a blank line does not shift the line numbers or the raw text of later CSV records', async () => {
  const ok = 'payment,web,p1,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z';
  const csv = [HEADER, ok, '', 'payment,web,p2,c1'].join('\n') + '\n';
  await withDir({ 'blank.csv': csv }, async (dir) => {
    const out = await readGeneric(join(dir, 'blank.csv'), 'csv');
    const lines = out.rejections.map((r) => [r.line, r.raw, r.rejection.reason]);
    assert.equal(lines, [[4, 'payment,web,p2,c1', 'malformed_record']]);
  });
});

test('a CRLF CSV gives line numbers and raw text without carriage returns', async () => {
  const first = ['payment,web,"p1', 'x",c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z'];
  const lines = [HEADER, ...first, 'payment,web,p2,c1'];
  await withDir({ 'crlf.csv': lines.join('\r\n') + '\r\n' }, async (dir) => {
    const out = await readGeneric(join(dir, 'crlf.csv'), 'csv');
    assert.equal(
      [...out.records, ...out.rejections].map((r) => [r.line, r.raw]),
      [
        [2, first.join('\n')], // line breaks are kept as LF
        [4, 'payment,web,p2,c1'],
      ],
    );
  });
});

/** The InputError that reading `text` as `name` in `format` throws; fails the test if none. */
async function refusedFile(name: string, text: string, format: 'csv' | 'ndjson') {
  return withDir({ [name]: text }, async (dir) => {
    const path = join(dir, name);
    try {
      await readGeneric(path, format);
    } catch (error) {
      assert.instance(error, InputError, String(error));
      return { path, message: (error as InputError).message };
    }
    throw new Error(`${name} was read as ${format}`);
  });
}

const REQUIRED =
  'type, channel, external_id, customer_id, campaign_id, amount, currency, occurred_at';

test('a CSV whose header lacks required columns, or that is empty, is refused as a whole', async () => {
  const header = 'type,channel,external_id,customer_id,campaign_id,ref,kind,amount,occurred_at';
  const row = 'payment,web,p1,c1,camp,o1,payment,1.00,2026-01-01T10:00:00Z';
  const missing = await refusedFile('events.csv', `${header}\n${row}\n`, 'csv');
  assert.is(
    missing.message,
    `${missing.path}: the header row must name the columns ${REQUIRED}; missing: currency`,
  );
  const values = await refusedFile('values.csv', `${row}\n`, 'csv');
  assert.match(
    values.message,
    /; missing: type, channel, external_id, customer_id, campaign_id, amount, currency, occurred_at$/,
  );
  const empty = await refusedFile('empty.csv', '', 'csv');
  assert.is(
    empty.message,
    `${empty.path}: the header row must name the columns ${REQUIRED}; the file is empty`,
  );
});

test('a CSV without the ref and kind columns is read; its obligations are accepted', async () => {
  const csv = [
    'type,channel,external_id,customer_id,campaign_id,amount,currency,occurred_at',
    'obligation,shop,o1,c1,camp,10.00,BRL,2026-01-01T10:00:00Z',
  ];
  await withDir({ 'short.csv': csv.join('\n') + '\n' }, async (dir) => {
    const out = await readGeneric(join(dir, 'short.csv'), 'csv');
    assert.equal(out.rejections, []);
    const checked = out.records.map((r) => validateEvent(r.fields));
    assert.equal(
      checked.map((c) => (c.ok ? [c.event.external_id, c.event.ref, c.event.kind] : c.rejection)),
      [['o1', '', '']],
    );
  });
});

test('a CSV with an unclosed quote is refused at the line its record starts', async () => {
  const lines = [
    HEADER,
    'payment,web,p1,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z',
    '',
    'payment,web,"p2,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z', // 4: never closed
    'payment,web,p3,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z',
  ];
  const { path, message } = await refusedFile('events.csv', lines.join('\n') + '\n', 'csv');
  assert.is(
    message,
    `${path}: not parseable as CSV at line 4 ` +
      '(Quote Not Closed: the parsing is finished with an opening quote at line 5)',
  );
});

test('a stray quote inside an unquoted CSV field is data', async () => {
  const line = 'payment,web,p"1,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z';
  await withDir({ 'quote.csv': `${HEADER}\n${line}\n` }, async (dir) => {
    const out = await readGeneric(join(dir, 'quote.csv'), 'csv');
    assert.equal(out.rejections, []);
    assert.equal(
      out.records.map((r) => [r.line, r.raw, r.fields.external_id]),
      [[2, line, 'p"1']],
    );
  });
});

test('NDJSON in which no line is JSON (a CSV file) is refused as a whole', async () => {
  const csv = `${HEADER}\npayment,web,p1,c1,camp,o1,payment,1.00,BRL,2026-01-01T10:00:00Z\n`;
  const { path, message } = await refusedFile('events.csv', csv, 'ndjson');
  assert.is(message, `${path}: no line is JSON; is it CSV? use --format csv`);
  await withDir({ 'empty.ndjson': '\n' }, async (dir) => {
    const out = await readGeneric(join(dir, 'empty.ndjson'), 'ndjson');
    assert.equal(out, { records: [], rejections: [] }, 'an empty file is no events, not an error');
  });
});

/** The fields of a generic CSV line, by the header's column names. */
const fieldsOf = (line: string) => {
  const values = line.split(',');
  return Object.fromEntries(HEADER.split(',').map((name, i) => [name, values[i]!]));
};

test('NDJSON ingest: invalid JSON and non-objects are malformed, a numeric amount is bad_amount', async () => {
  const valid = fieldsOf('payment,web,n1,carol,camp,,payment,3.00,JPY,2026-01-02T00:00:00+09:00');
  const lines = [
    JSON.stringify(valid), // 1 accepted
    '{"type": "payment",', // 2 not JSON
    '', // 3 blank, skipped
    '[1,2]', // 4 not an object
    '42', // 5 not an object
    JSON.stringify({ ...valid, external_id: 'n2', amount: 3 }), // 6 bad_amount
    JSON.stringify({ ...valid, type: 'obligation', kind: '', external_id: 'ob1' }), // 7 accepted
  ];
  const env = await testEnv();
  try {
    await withDir({ 'in.ndjson': lines.join('\n') + '\n' }, async (dir) => {
      const result = await run(env, join(dir, 'in.ndjson'), 'ndjson');
      assert.equal([result.accepted, result.duplicates, result.rejected], [2, 0, 4]);
      assert.equal(result.byReason, {
        malformed_record: { count: 3, lines: ['in.ndjson:2', 'in.ndjson:4', 'in.ndjson:5'] },
        bad_amount: { count: 1, lines: ['in.ndjson:6'] },
      });
      const { rows } = await env.pool.query(
        'SELECT line, reason, field, raw FROM rejected_records ORDER BY line',
      );
      assert.equal(rows, [
        { line: 2, reason: 'malformed_record', field: 'record', raw: lines[1] },
        { line: 4, reason: 'malformed_record', field: 'record', raw: '[1,2]' },
        { line: 5, reason: 'malformed_record', field: 'record', raw: '42' },
        { line: 6, reason: 'bad_amount', field: 'amount', raw: lines[5] },
      ]);
      const p = partitionOf('carol', 4);
      const expected = [0, 1, 2, 3].map((n) => (n === p ? ['ob1', 'n1'] : []));
      assert.equal(await streams(env), expected, 'same instant: the obligation first');
      const entries = await env.redis.xrange(streamKey(env.config.redisPrefix, p), '-', '+');
      assert.is(
        entries[1]![1].join(','),
        'type,payment,channel,web,external_id,n1,customer_id,carol,campaign_id,camp,ref,,' +
          'kind,payment,amount,3,currency,JPY,occurred_at,2026-01-01T15:00:00.000Z',
      );
    });
  } finally {
    await env.cleanup();
  }
});

test('ingest into a database without migrations tells to run `overpay migrate`', async () => {
  const env = await testEnv();
  const empty = `overpay_bare_${randomBytes(4).toString('hex')}`;
  const fields = fieldsOf('payment,web,x1,c,k,,payment,1.00,BRL,2026-01-01T00:00:00Z');
  const output = { records: [{ source: 'x.csv', line: 2, raw: 'x', fields }], rejections: [] };
  try {
    await env.pool.query(`CREATE DATABASE ${empty}`);
    for (const name of [empty, `${empty}_absent`]) {
      const url = new URL(env.config.databaseUrl);
      url.pathname = `/${name}`;
      const config = { ...env.config, databaseUrl: url.toString() };
      try {
        await ingest(config, output, { source: 'x.csv', format: 'csv', progress: false });
        assert.unreachable(`ingest into ${name} succeeded`);
      } catch (error) {
        assert.instance(error, SetupError, String(error));
        const message = (error as Error).message;
        assert.is(message, 'the database is not set up: run `overpay migrate` first');
      }
    }
    assert.equal(await streams(env), [[], [], [], []], 'nothing was appended');
  } finally {
    await env.pool.query(`DROP DATABASE IF EXISTS ${empty} WITH (FORCE)`);
    await env.cleanup();
  }
});

const OLIST = {
  olist_customers_dataset: [
    '"customer_id","customer_unique_id","customer_zip_code_prefix","customer_city","customer_state"',
    '"cust-1","person-A","01310","sao paulo","SP"',
    '"cust-2","person-B","20040","rio de janeiro","RJ"',
    '"cust-3","person-A","01310","sao paulo","SP"',
  ],
  olist_orders_dataset: [
    'order_id,customer_id,order_status,order_purchase_timestamp,order_approved_at',
    'ord-two,cust-1,delivered,2017-10-02 10:56:33,2017-10-02 11:07:15', // 2
    'ord-cancel,cust-2,canceled,2018-01-15 12:00:00,2018-01-15 12:05:00', // 3
    'ord-empty,cust-3,invoiced,2017-06-10 08:00:00,', // 4: no items, no approval time
    'ord-ghost,cust-missing,delivered,2017-05-01 09:00:00,2017-05-01 09:10:00', // 5
  ],
  olist_order_items_dataset: [
    'order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value',
    'ord-two,1,prod-1,sell-1,2017-10-06 11:07:15,29.99,8.72',
    'ord-two,2,prod-2,sell-1,2017-10-06 11:07:15,10.00,0.50',
    'ord-cancel,1,prod-3,sell-2,2018-01-20 12:05:00,50.00,5.00',
    'ord-nowhere,1,prod-4,sell-2,2017-01-01 00:00:00,1.00,1.00', // 5: unknown_order
  ],
  olist_order_payments_dataset: [
    'order_id,payment_sequential,payment_type,payment_installments,payment_value',
    'ord-two,1,credit_card,3,30.00',
    'ord-two,2,voucher,1,19.21',
    'ord-cancel,1,boleto,1,55.00',
    'ord-empty,1,credit_card,1,20.00',
    'ord-nowhere,1,debit_card,1,2.00', // 6: unknown_order
  ],
};
const olistFiles = (omit = '') =>
  Object.fromEntries(
    Object.entries(OLIST)
      .filter(([name]) => name !== omit)
      .map(([name, rows]) => [`${name}.csv`, rows.join('\n') + '\n']),
  );

/** An expected Olist event from 'type channel external_id customer amount utc'. */
function ev(spec: string) {
  const [type, channel, id, customer, amount, at] = spec.split(' ') as string[];
  const kind = type === 'payment' ? 'payment' : '';
  const ref = id!.split('/')[0];
  return fieldsOf([type, channel, id, customer, 'olist', ref, kind, amount, 'BRL', at].join(','));
}

test('Olist: one obligation per order, one payment per row, São Paulo times with DST', async () => {
  await withDir(olistFiles(), async (dir) => {
    const out = await readOlist(dir);
    assert.equal(
      out.records.map((r) => [r.source, r.line, r.fields.occurred_at]),
      [
        ['olist_orders_dataset', 2, '2017-10-02T10:56:33-03:00'],
        ['olist_orders_dataset', 3, '2018-01-15T12:00:00-02:00'], // summer time
        ['olist_orders_dataset', 4, '2017-06-10T08:00:00-03:00'],
        ['olist_order_payments_dataset', 2, '2017-10-02T11:07:15-03:00'],
        ['olist_order_payments_dataset', 3, '2017-10-02T11:07:15-03:00'],
        ['olist_order_payments_dataset', 4, '2018-01-15T12:05:00-02:00'],
        ['olist_order_payments_dataset', 5, '2017-06-10T08:00:00-03:00'], // purchase time
      ],
    );
    const { candidates, rejections, duplicates } = prepare(out);
    const events = candidates.map((c) => c.event);
    assert.is(duplicates, 0);
    // Canceled: 0 whatever its items; no items: 0; ord-two: 29.99+8.72+10.00+0.50 = 49.21.
    assert.equal(events, [
      ev('obligation olist-order ord-empty person-A 0.00 2017-06-10T11:00:00.000Z'),
      ev('payment credit_card ord-empty/1 person-A 20.00 2017-06-10T11:00:00.000Z'),
      ev('obligation olist-order ord-two person-A 49.21 2017-10-02T13:56:33.000Z'),
      ev('payment credit_card ord-two/1 person-A 30.00 2017-10-02T14:07:15.000Z'),
      ev('payment voucher ord-two/2 person-A 19.21 2017-10-02T14:07:15.000Z'),
      ev('obligation olist-order ord-cancel person-B 0.00 2018-01-15T14:00:00.000Z'),
      ev('payment boleto ord-cancel/1 person-B 55.00 2018-01-15T14:05:00.000Z'),
    ]);
    assert.equal(
      rejections.map((r) => [r.source, r.line, r.rejection.reason, r.rejection.field]),
      [
        ['olist_orders_dataset', 5, 'unknown_customer', 'customer_id'],
        ['olist_order_items_dataset', 5, 'unknown_order', 'order_id'],
        ['olist_order_payments_dataset', 6, 'unknown_order', 'order_id'],
      ],
    );
  });
});

test('a repeated Olist order row is a duplicate when equal and refused when it differs', async () => {
  const rows = OLIST.olist_orders_dataset;
  const files = {
    ...OLIST,
    olist_orders_dataset: [
      ...rows,
      rows[1]!, // 6: the same row again
      rows[1]!.replace('10:56:33', '10:56:34'), // 7: same order, another purchase time
    ],
  };
  const text = Object.fromEntries(
    Object.entries(files).map(([name, lines]) => [`${name}.csv`, lines.join('\n') + '\n']),
  );
  await withDir(text, async (dir) => {
    const { duplicates, rejections } = prepare(await readOlist(dir));
    assert.is(duplicates, 1);
    const conflicts = rejections.filter((r) => r.rejection.reason === 'conflicting_duplicate');
    assert.equal(
      conflicts.map((r) => [r.source, r.line]),
      [['olist_orders_dataset', 7]],
    );
  });
});

test('Olist ingest counts, and a missing table file is an OlistError naming it', async () => {
  const env = await testEnv();
  try {
    await withDir(olistFiles(), async (dir) => {
      const output = await readOlist(dir);
      const result = await ingest(env.config, output, {
        source: dir,
        format: 'olist',
        progress: false,
      });
      assert.equal([result.accepted, result.duplicates, result.rejected], [7, 0, 3]);
      assert.equal(result.byReason, {
        unknown_customer: { count: 1, lines: ['olist_orders_dataset:5'] },
        unknown_order: {
          count: 2,
          lines: ['olist_order_items_dataset:5', 'olist_order_payments_dataset:6'],
        },
      });
    });
  } finally {
    await env.cleanup();
  }
  await withDir(olistFiles('olist_order_payments_dataset'), async (dir) => {
    try {
      await readOlist(dir);
      assert.unreachable('read without a payments file');
    } catch (error) {
      assert.instance(error, OlistError);
      const names = 'olist_order_payments_dataset.csv nor olist_order_payments_dataset.csv.gz';
      assert.is((error as Error).message, `${dir}: neither ${names} found`);
    }
  });
});

test('an Olist table whose header lacks a column that is read is refused naming it', async () => {
  const files = olistFiles();
  files['olist_order_items_dataset.csv'] = files['olist_order_items_dataset.csv']!.replace(
    'freight_value',
    'freight',
  );
  await withDir(files, async (dir) => {
    try {
      await readOlist(dir);
      assert.unreachable('read with an items table without freight_value');
    } catch (error) {
      assert.instance(error, InputError);
      assert.is(
        (error as Error).message,
        `${join(dir, 'olist_order_items_dataset.csv')}: the header row must name the columns ` +
          'order_id, price, freight_value; missing: freight_value',
      );
    }
  });
});

test.run();
