import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { Big, formatMoney, parseAmount } from '../money.ts';
import type { Reason } from '../vocabulary.ts';
import { csvRows, type ConnectorOutput, type InputRejection } from './input.ts';

/**
 * The Olist public e-commerce dataset as obligations and payments: one obligation per order
 * (what its items cost, 0 when cancelled or unavailable or without items) and one payment per
 * payments row, for the person behind the order (customer_unique_id), campaign `olist`.
 */
export const OLIST_CAMPAIGN = 'olist';
export const OLIST_CURRENCY = 'BRL';
const ORDER_CHANNEL = 'olist-order';
const ZONE = 'America/Sao_Paulo';
const NOTHING_OWED = new Set(['canceled', 'unavailable']);

const TABLES = {
  orders: 'olist_orders_dataset',
  customers: 'olist_customers_dataset',
  items: 'olist_order_items_dataset',
  payments: 'olist_order_payments_dataset',
} as const;

/** The columns read from each table; its header row must name them. */
const COLUMNS = {
  customers: ['customer_id', 'customer_unique_id'],
  orders: [
    'order_id',
    'customer_id',
    'order_status',
    'order_purchase_timestamp',
    'order_approved_at',
  ],
  items: ['order_id', 'price', 'freight_value'],
  payments: ['order_id', 'payment_sequential', 'payment_type', 'payment_value'],
} as const satisfies Record<keyof typeof TABLES, readonly string[]>;

export class OlistError extends Error {
  readonly code = 'olist_input';
}

interface Order {
  customer: string;
  status: string;
  purchased: string;
  approved: string;
}

function tablePath(dir: string, table: string): string {
  for (const name of [`${table}.csv`, `${table}.csv.gz`]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new OlistError(`${dir}: neither ${table}.csv nor ${table}.csv.gz found`);
}

function tableRows(dir: string, table: keyof typeof TABLES) {
  return csvRows(tablePath(dir, TABLES[table]), COLUMNS[table]);
}

/** Olist times are wall-clock times in São Paulo; events carry them with their offset. */
function localTime(text: string): string | null {
  const time = DateTime.fromFormat(text.trim(), 'yyyy-MM-dd HH:mm:ss', { zone: ZONE });
  return time.isValid ? time.toISO({ suppressMilliseconds: true }) : null;
}

/** Why an item or payment has no order to belong to: none in the file, or one refused. */
function missingOrder(id: string, customerless: Set<string>): { reason: Reason; message: string } {
  if (customerless.has(id)) {
    return {
      reason: 'unknown_customer',
      message: `order ${id} was refused: its customer is not in ${TABLES.customers}`,
    };
  }
  return { reason: 'unknown_order', message: `order ${id} is not in ${TABLES.orders}` };
}

export async function readOlist(dir: string): Promise<ConnectorOutput> {
  const out: ConnectorOutput = { records: [], rejections: [] };
  const reject = (
    source: string,
    line: number,
    raw: string,
    reason: Reason,
    field: string,
    message: string,
  ) =>
    out.rejections.push({
      source,
      line,
      raw,
      rejection: { reason, field, message },
    } as InputRejection);

  const customers = new Map<string, string>();
  for await (const row of tableRows(dir, 'customers')) {
    customers.set(row.values.customer_id ?? '', row.values.customer_unique_id ?? '');
  }

  const orders = new Map<string, Order>();
  const orderRows: { line: number; raw: string; id: string; order: Order }[] = [];
  const customerless = new Set<string>();
  const ordersFile = TABLES.orders;
  for await (const row of tableRows(dir, 'orders')) {
    const v = row.values;
    const id = v.order_id ?? '';
    const customer = customers.get(v.customer_id ?? '');
    if (customer === undefined) {
      customerless.add(id);
      reject(
        ordersFile,
        row.line,
        row.raw,
        'unknown_customer',
        'customer_id',
        `customer ${v.customer_id} is not in ${TABLES.customers}`,
      );
      continue;
    }
    const order = {
      customer,
      status: v.order_status ?? '',
      purchased: v.order_purchase_timestamp ?? '',
      approved: v.order_approved_at ?? '',
    };
    // Payments and items belong to an order's first row; a repeated row keeps its own content,
    // so that a repeat that differs is refused as a conflicting duplicate.
    if (!orders.has(id)) orders.set(id, order);
    orderRows.push({ line: row.line, raw: row.raw, id, order });
  }

  const owed = new Map<string, Big>();
  for await (const row of tableRows(dir, 'items')) {
    const id = row.values.order_id ?? '';
    if (!orders.has(id)) {
      const { reason, message } = missingOrder(id, customerless);
      reject(TABLES.items, row.line, row.raw, reason, 'order_id', message);
      continue;
    }
    const price = parseAmount(row.values.price ?? '', OLIST_CURRENCY);
    const freight = parseAmount(row.values.freight_value ?? '', OLIST_CURRENCY);
    const bad = !price.ok
      ? { p: price, f: 'price' }
      : !freight.ok
        ? { p: freight, f: 'freight_value' }
        : null;
    if (bad && !bad.p.ok) {
      reject(TABLES.items, row.line, row.raw, bad.p.reason, bad.f, `${bad.f} is not a BRL amount`);
      continue;
    }
    if (price.ok && freight.ok)
      owed.set(id, (owed.get(id) ?? new Big('0')).plus(price.value).plus(freight.value));
  }

  for (const { line, raw, id, order } of orderRows) {
    const amount = NOTHING_OWED.has(order.status) ? new Big('0') : (owed.get(id) ?? new Big('0'));
    out.records.push({
      source: ordersFile,
      line,
      raw,
      fields: {
        type: 'obligation',
        channel: ORDER_CHANNEL,
        external_id: id,
        customer_id: order.customer,
        campaign_id: OLIST_CAMPAIGN,
        ref: id,
        kind: '',
        amount: formatMoney(amount, OLIST_CURRENCY),
        currency: OLIST_CURRENCY,
        occurred_at: localTime(order.purchased) ?? `unreadable ${order.purchased}`,
      },
    });
  }

  for await (const row of tableRows(dir, 'payments')) {
    const v = row.values;
    const id = v.order_id ?? '';
    const order = orders.get(id);
    if (!order) {
      const { reason, message } = missingOrder(id, customerless);
      reject(TABLES.payments, row.line, row.raw, reason, 'order_id', message);
      continue;
    }
    const when = order.approved.trim() !== '' ? order.approved : order.purchased;
    out.records.push({
      source: TABLES.payments,
      line: row.line,
      raw: row.raw,
      fields: {
        type: 'payment',
        channel: v.payment_type ?? '',
        external_id: `${id}/${v.payment_sequential ?? ''}`,
        customer_id: order.customer,
        campaign_id: OLIST_CAMPAIGN,
        ref: id,
        kind: 'payment',
        amount: v.payment_value ?? '',
        currency: OLIST_CURRENCY,
        occurred_at: localTime(when) ?? `unreadable ${when}`,
      },
    });
  }
  return out;
}
