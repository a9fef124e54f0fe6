// Independent reference computation of the overpayment figures on the Olist dataset.
// Deliberately imports NOTHING from src/: it is the check of that code.
// Money is BigInt cents throughout; times are absolute epoch milliseconds.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';

export interface Summary {
  payments: number;
  obligations: number;
  accounts: number;
  overpaid_accounts: number;
  detected_excess: Record<string, string>;
  cases: Record<CaseState, number>;
  credited: Record<string, string>;
  rejected: { total: number; by_reason: Record<string, number> };
  dead_letters: 0;
  unmatched_payments: number;
  suspected_duplicates: number;
}

const CASE_STATES = [
  'detected',
  'auto_credit_pending',
  'review_pending',
  'on_hold',
  'approved',
  'rejected',
  'credited',
  'refunded',
  'manually_adjusted',
  'closed',
] as const;
type CaseState = (typeof CASE_STATES)[number];

// Default policy, in cents.
const TOLERANCE = 1n; // 0.01
const AUTO_CREDIT_CEILING = 2500n; // 25.00
const HOLD_THRESHOLD = 100000n; // 1000.00
const DAY_MS = 24 * 60 * 60 * 1000;
const CURRENCY = 'BRL';
const CAMPAIGN = 'olist';

type Row = Record<string, string>;

interface Ev {
  kind: 'obligation' | 'payment';
  seq: number; // position in its own file (orders file / payments file)
  key: string; // idempotency key
  customer: string;
  ref: string; // order_id
  channel: string; // payment_type ('' for obligations)
  externalId: string; // order_id/payment_sequential ('' for obligations)
  cents: bigint;
  at: number; // epoch ms
}

class Reject extends Error {}

function readTable(dir: string, name: string): Row[] {
  const plain = join(dir, `${name}.csv`);
  const gz = join(dir, `${name}.csv.gz`);
  let buf: Buffer;
  if (existsSync(plain)) buf = readFileSync(plain);
  else if (existsSync(gz)) buf = gunzipSync(readFileSync(gz));
  else throw new Error(`missing ${name}.csv(.gz) in ${dir}`);
  return parse(buf, { columns: true, bom: true }) as Row[];
}

function field(row: Row, col: string): string {
  const v = row[col];
  if (v === undefined) throw new Error(`column ${col} missing`);
  return v.trim();
}

/** "123.45" -> 12345n. Trailing zeros beyond 2 decimals are allowed; a sign is refused. */
function cents(s: string): bigint {
  const m = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/.exec(s);
  if (!m) throw new Reject('bad_amount');
  if (m[1] === '-') throw new Reject('negative_amount');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > 2) throw new Reject('too_many_decimals');
  return BigInt(m[2] ?? '0') * 100n + BigInt(frac.padEnd(2, '0'));
}

function instant(s: string): number {
  const dt = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm:ss', { zone: 'America/Sao_Paulo' });
  if (!dt.isValid) throw new Reject('bad_timestamp');
  return dt.toMillis();
}

function money(c: bigint): string {
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${(a % 100n).toString().padStart(2, '0')}`;
}

export async function olistReference(dir: string): Promise<Summary> {
  const orders = readTable(dir, 'olist_orders_dataset');
  const customers = readTable(dir, 'olist_customers_dataset');
  const items = readTable(dir, 'olist_order_items_dataset');
  const payments = readTable(dir, 'olist_order_payments_dataset');

  const byReason: Record<string, number> = {};
  const reject = (reason: string): void => {
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  };
  /** Runs fn; a Reject thrown inside counts as a rejection with its reason. */
  const guard = (fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (e instanceof Reject) reject(e.message);
      else throw e;
    }
  };

  const customerOf = new Map<string, string>(); // customer_id -> customer_unique_id
  for (const c of customers)
    customerOf.set(field(c, 'customer_id'), field(c, 'customer_unique_id'));

  // Orders whose customer is known (first row per order_id wins for lookups).
  const orderRows = new Map<string, Row>();
  const allOrders = new Set(orders.map((o) => field(o, 'order_id')));
  const missing = (id: string) => (allOrders.has(id) ? 'unknown_customer' : 'unknown_order');
  for (const o of orders) {
    const id = field(o, 'order_id');
    if (customerOf.has(field(o, 'customer_id')) && !orderRows.has(id)) orderRows.set(id, o);
  }

  // Items: owed cents per known order. Items of an order not in the file -> unknown_order;
  // of an order refused for its customer -> unknown_customer.
  const owed = new Map<string, bigint>();
  for (const it of items) {
    const id = field(it, 'order_id');
    if (!orderRows.has(id)) {
      reject(missing(id));
      continue;
    }
    guard(() => {
      const c = cents(field(it, 'price')) + cents(field(it, 'freight_value'));
      owed.set(id, (owed.get(id) ?? 0n) + c);
    });
  }

  const events: Ev[] = [];
  const seen = new Map<string, string>(); // idempotency key -> content fingerprint
  const accept = (ev: Ev): void => {
    const content = JSON.stringify([
      ev.customer,
      ev.ref,
      ev.channel,
      ev.externalId,
      ev.cents.toString(),
      ev.at,
    ]);
    const prev = seen.get(ev.key);
    if (prev === undefined) {
      seen.set(ev.key, content);
      events.push(ev);
    } else if (prev !== content) reject('conflicting_duplicate');
    // identical content: a plain duplicate, not an event
  };

  orders.forEach((o, seq) => {
    const id = field(o, 'order_id');
    const customer = customerOf.get(field(o, 'customer_id'));
    if (customer === undefined) {
      reject('unknown_customer');
      return;
    }
    const status = field(o, 'order_status');
    guard(() => {
      const amount = status === 'canceled' || status === 'unavailable' ? 0n : (owed.get(id) ?? 0n);
      const at = instant(field(o, 'order_purchase_timestamp'));
      accept({
        kind: 'obligation',
        seq,
        key: JSON.stringify(['obligation', 'olist-order', id]),
        customer,
        ref: id,
        channel: '',
        externalId: '',
        cents: amount,
        at,
      });
    });
  });

  payments.forEach((p, seq) => {
    const id = field(p, 'order_id');
    const o = orderRows.get(id);
    if (o === undefined) {
      reject(missing(id));
      return;
    }
    const customer = customerOf.get(field(o, 'customer_id')) as string;
    const channel = field(p, 'payment_type');
    const externalId = `${id}/${field(p, 'payment_sequential')}`;
    guard(() => {
      const amount = cents(field(p, 'payment_value'));
      const approved = field(o, 'order_approved_at');
      const at = instant(approved !== '' ? approved : field(o, 'order_purchase_timestamp'));
      accept({
        kind: 'payment',
        seq,
        key: JSON.stringify(['payment', channel, externalId]),
        customer,
        ref: id,
        channel,
        externalId,
        cents: amount,
        at,
      });
    });
  });

  events.sort(
    (a, b) =>
      a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'obligation' ? -1 : 1) || a.seq - b.seq,
  );

  interface Case {
    amount: bigint;
    max: bigint;
    state: CaseState;
  }
  // flags = suspected-duplicate flags raised while the account had no limit
  interface Account {
    obligation: bigint | null;
    netPaid: bigint;
    settled: bigint;
    waiting: Case | null;
    cases: Case[];
    payments: number;
    flags: number;
  }
  const accounts = new Map<string, Account>();
  const priorPayments = new Map<string, Ev[]>(); // customer -> earlier payment events
  let creditedCents = 0n;

  for (const ev of events) {
    const acctKey = JSON.stringify([ev.customer, CAMPAIGN, ev.ref]);
    let acct = accounts.get(acctKey);
    if (acct === undefined) {
      acct = {
        obligation: null,
        netPaid: 0n,
        settled: 0n,
        waiting: null,
        cases: [],
        payments: 0,
        flags: 0,
      };
      accounts.set(acctKey, acct);
    }

    if (ev.kind === 'obligation') {
      acct.obligation = ev.cents; // later by occurred_at replaces (events are in time order)
      acct.flags = 0; // the account now has a limit: its flags are cleared
    } else {
      acct.netPaid += ev.cents;
      acct.payments += 1;
      const prior = priorPayments.get(ev.customer) ?? [];
      if (ev.cents > 0n) {
        const dup = prior.some(
          (q) =>
            q.cents === ev.cents &&
            Math.abs(ev.at - q.at) <= DAY_MS &&
            (q.channel !== ev.channel || q.externalId !== ev.externalId),
        );
        if (dup && acct.obligation === null) acct.flags += 1;
      }
      prior.push(ev);
      priorPayments.set(ev.customer, prior);
    }

    if (acct.obligation === null) continue; // no limit yet: payment stays unmatched
    const uncovered = acct.netPaid - acct.obligation - acct.settled;
    if (acct.waiting !== null) {
      const c = acct.waiting;
      if (uncovered > TOLERANCE) {
        c.amount = uncovered;
        if (uncovered > c.max) c.max = uncovered;
        c.state = uncovered > HOLD_THRESHOLD ? 'on_hold' : 'review_pending';
      } else {
        c.amount = 0n; // settled += 0
        c.state = 'closed';
        acct.waiting = null;
      }
    } else if (uncovered > TOLERANCE) {
      const c: Case = { amount: uncovered, max: uncovered, state: 'detected' };
      acct.cases.push(c);
      if (uncovered <= AUTO_CREDIT_CEILING) {
        c.state = 'credited';
        acct.settled += uncovered;
        creditedCents += uncovered;
      } else {
        c.state = uncovered <= HOLD_THRESHOLD ? 'review_pending' : 'on_hold';
        acct.waiting = c;
      }
    }
  }

  const caseCounts = Object.fromEntries(CASE_STATES.map((s) => [s, 0])) as Record<
    CaseState,
    number
  >;
  let excess = 0n,
    overpaid = 0,
    unmatched = 0,
    flags = 0;
  for (const a of accounts.values()) {
    if (a.cases.length > 0) overpaid += 1;
    for (const c of a.cases) {
      caseCounts[c.state] += 1;
      excess += c.max;
    }
    if (a.obligation === null) {
      unmatched += a.payments;
      flags += a.flags;
    }
  }

  return {
    payments: events.filter((e) => e.kind === 'payment').length,
    obligations: events.filter((e) => e.kind === 'obligation').length,
    accounts: accounts.size,
    overpaid_accounts: overpaid,
    detected_excess: accounts.size > 0 ? { [CURRENCY]: money(excess) } : {},
    cases: caseCounts,
    credited: accounts.size > 0 ? { [CURRENCY]: money(creditedCents) } : {},
    rejected: { total: Object.values(byReason).reduce((s, n) => s + n, 0), by_reason: byReason },
    dead_letters: 0,
    unmatched_payments: unmatched,
    suspected_duplicates: flags,
  };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const dir = process.argv[2];
  if (dir === undefined) {
    console.error('usage: npx tsx test/helpers/olist-reference.ts DIR');
    process.exit(2);
  }
  const t0 = Date.now();
  console.log(JSON.stringify(await olistReference(dir), null, 2));
  console.error(`olist-reference: ${Date.now() - t0} ms`);
}
