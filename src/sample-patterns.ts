/**
 * Building blocks of the demo sample (src/sample.ts): a seeded PRNG, an event sink that
 * stamps ids and times, and the stories an order or a campaign account can go through,
 * including the overpayment patterns the detector is meant to catch.
 */
import { minorUnits } from './money.ts';
import type { EventField } from './vocabulary.ts';

export type Rng = () => number;

/**
 * mulberry32: 32-bit integer operations only, so the same seed yields the same stream on
 * every platform and Node release (Math.random gives neither a seed nor that promise).
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [min, max]. */
export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function chance(rng: Rng, probability: number): boolean {
  return rng() < probability;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[int(rng, 0, items.length - 1)];
  if (item === undefined) throw new RangeError('pick from an empty list');
  return item;
}

/**
 * Amount in minor units, uniform in [min, max]. The draw is an integer offset, so no
 * fraction of money ever lives in a float.
 */
export function minor(rng: Rng, min: bigint, max: bigint): bigint {
  return min + BigInt(Math.floor(rng() * Number(max - min + 1n)));
}

/** Minor units as the decimal string the CSV carries, with the currency's decimals. */
export function money(amount: bigint, currency: string): string {
  const digits = minorUnits(currency) ?? 0;
  if (amount < 0n) throw new RangeError('sample amounts are never negative');
  if (digits === 0) return amount.toString();
  const text = amount.toString().padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

export const CHANNELS = ['web', 'app', 'email-landing', 'partner', 'card-webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Each connector numbers its records its own way; the prefixes make that visible. */
const ID_PREFIX: Record<Channel, string> = {
  web: 'web',
  app: 'app',
  'email-landing': 'eml',
  partner: 'ptn',
  'card-webhook': 'ch',
};

export interface SampleCampaign {
  id: string;
  currency: string;
  /** Local offset of the campaign's market; machine channels stamp in UTC instead. */
  offsetMinutes: number;
  orderChannels: readonly Channel[];
  capMinor: bigint | null;
  /** Orders may be paid by scheduled card charges. */
  instalments?: true;
  /** Orders may have a landing-page voucher redeemed on them. */
  vouchers?: true;
}

/** An account: (customer, campaign, ref); ref '' is the campaign-level account. */
export interface Account {
  customer: string;
  campaign: SampleCampaign;
  ref: string;
}

export interface Order extends Account {
  channel: Channel;
  amount: bigint;
  atMs: number;
}

export interface Draft {
  atMs: number;
  row: Record<EventField, string>;
}

type Kind = 'payment' | 'refund';

/** Collects the events of one sample; every id and time it hands out is deterministic. */
export class Scene {
  readonly drafts: Draft[] = [];
  private counter = 0;
  private orders = 0;

  /** `stepMs` is the unit of follow-up delays, sized so every story ends inside the window. */
  constructor(
    readonly rng: Rng,
    readonly stepMs: number,
  ) {}

  /** The next order id of this sample. */
  orderId(): string {
    this.orders += 1;
    return `ord-${String(this.orders).padStart(6, '0')}`;
  }

  /** A moment between `min` and `max` steps after `atMs`, in whole seconds. */
  after(atMs: number, min: number, max: number): number {
    const delayMs = this.stepMs * (min + (max - min) * this.rng());
    return Math.floor((atMs + delayMs) / 1000) * 1000 + 1000;
  }

  /** Version 1 opens the order; a later version amends it (0 cancels). */
  obligation(order: Order, amount: bigint, atMs: number, version: number): void {
    const suffix = version === 1 ? '' : `-v${version}`;
    this.emit(order, order.channel, 'obligation', '', `ob-${order.ref}${suffix}`, amount, atMs);
  }

  payment(account: Account, channel: Channel, kind: Kind, amount: bigint, atMs: number): Draft {
    this.counter += 1;
    const id = `${ID_PREFIX[channel]}_${String(this.counter).padStart(7, '0')}`;
    return this.emit(account, channel, 'payment', kind, id, amount, atMs);
  }

  private emit(
    account: Account,
    channel: Channel,
    type: 'obligation' | 'payment',
    kind: string,
    externalId: string,
    amount: bigint,
    atMs: number,
  ): Draft {
    const { campaign } = account;
    atMs = Math.floor(atMs / 1000) * 1000;
    const utc = channel === 'card-webhook' || channel === 'partner';
    const draft: Draft = {
      atMs,
      row: {
        type,
        channel,
        external_id: externalId,
        customer_id: account.customer,
        campaign_id: campaign.id,
        ref: account.ref,
        kind,
        amount: money(amount, campaign.currency),
        currency: campaign.currency,
        occurred_at: stamp(atMs, utc ? 0 : campaign.offsetMinutes),
      },
    };
    this.drafts.push(draft);
    return draft;
  }
}

/** ISO 8601 to the second, with Z or the given offset. */
export function stamp(atMs: number, offsetMinutes: number): string {
  const local = new Date(atMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const minutes = String(abs % 60).padStart(2, '0');
  return `${local}${offsetMinutes < 0 ? '-' : '+'}${hours}:${minutes}`;
}

/** Cumulative odds of each order story; the rest of the orders are simply paid once. */
const PAID_TWICE = 0.03;
const VOUCHER_STACKED = 0.06;
const CANCELLED = 0.085;
const AMENDED = 0.12;
/** Card checks that authorise 0 before the real charge. */
const ZERO_CHECK = 0.004;

/** Obligation, payment and, now and then, one of the overpayment stories. */
export function orderStory(scene: Scene, order: Order): void {
  const { rng } = scene;
  scene.obligation(order, order.amount, order.atMs, 1);
  if (chance(rng, ZERO_CHECK)) scene.payment(order, 'card-webhook', 'payment', 0n, order.atMs);
  const channel: Channel = chance(rng, 0.3) ? 'card-webhook' : order.channel;
  const paidAt = scene.after(order.atMs, 0, 0.01);
  scene.payment(order, channel, 'payment', order.amount, paidAt);
  const roll = rng();
  if (roll < PAID_TWICE) paidTwice(scene, order, channel, paidAt, 0.4);
  else if (roll < VOUCHER_STACKED) {
    if (order.campaign.vouchers) voucherStacked(scene, order, paidAt);
  } else if (roll < CANCELLED) cancelled(scene, order, paidAt);
  else if (roll < AMENDED) amended(scene, order, paidAt);
}

/** The same order paid again through a second channel; sometimes refunded by that channel. */
export function paidTwice(
  scene: Scene,
  order: Order,
  first: Channel,
  paidAt: number,
  refundRate: number,
): void {
  const { rng } = scene;
  const others = CHANNELS.filter((channel) => channel !== first);
  const second = pick(rng, others);
  const againAt = scene.after(paidAt, 0, 0.02);
  scene.payment(order, second, 'payment', order.amount, againAt);
  if (!chance(rng, refundRate)) return;
  scene.payment(order, second, 'refund', order.amount, scene.after(againAt, 0.2, 0.8));
}

/** A landing-page voucher redeemed on top of a card payment that already covered the order. */
function voucherStacked(scene: Scene, order: Order, paidAt: number): void {
  const voucher = pick(scene.rng, [500n, 1000n, 2000n]);
  scene.payment(order, 'email-landing', 'payment', voucher, paidAt + 1000);
}

/** Cancelled after payment: amended to 0, usually refunded, sometimes forgotten. */
function cancelled(scene: Scene, order: Order, paidAt: number): void {
  const cancelAt = scene.after(paidAt, 0.1, 0.5);
  scene.obligation(order, 0n, cancelAt, 2);
  if (!chance(scene.rng, 0.75)) return;
  scene.payment(order, order.channel, 'refund', order.amount, scene.after(cancelAt, 0.05, 0.4));
}

/** Price changed after payment: up with a top-up, or down with or without a refund. */
function amended(scene: Scene, order: Order, paidAt: number): void {
  const { rng } = scene;
  const amendAt = scene.after(paidAt, 0.1, 0.5);
  const up = chance(rng, 0.35);
  const percent = BigInt(up ? int(rng, 105, 130) : int(rng, 70, 90));
  const amount = (order.amount * percent) / 100n;
  scene.obligation(order, amount, amendAt, 2);
  const difference = up ? amount - order.amount : order.amount - amount;
  const followAt = scene.after(amendAt, 0.05, 0.4);
  if (up) scene.payment(order, order.channel, 'payment', difference, followAt);
  else if (chance(rng, 0.5)) scene.payment(order, order.channel, 'refund', difference, followAt);
}

const INSTALMENTS = 3;
const OVERRUN = 0.08;

/** An order paid by scheduled card charges; some schedules forget to stop when settled. */
export function instalmentPlan(scene: Scene, order: Order): void {
  const { rng } = scene;
  scene.obligation(order, order.amount, order.atMs, 1);
  const share = order.amount / BigInt(INSTALMENTS);
  const first = order.amount - share * BigInt(INSTALMENTS - 1);
  for (let k = 0; k < INSTALMENTS; k++) {
    const atMs = order.atMs + k * scene.stepMs + 60_000;
    scene.payment(order, 'card-webhook', 'payment', k === 0 ? first : share, atMs);
  }
  if (!chance(rng, OVERRUN)) return;
  const extra = int(rng, 1, 2);
  for (let k = 0; k < extra; k++) {
    const atMs = order.atMs + (INSTALMENTS + k * 0.5) * scene.stepMs + 60_000;
    scene.payment(order, 'card-webhook', 'payment', share, atMs);
  }
  if (!chance(rng, 0.4)) return;
  const refundAt = order.atMs + (INSTALMENTS + 0.8) * scene.stepMs;
  scene.payment(order, 'card-webhook', 'refund', share * BigInt(extra), refundAt);
}

const CAP_EXCEEDED = 0.2;

/**
 * Campaign-level top-ups (ref '') that stay under the per-customer cap, except for some
 * customers whose last top-up goes over it; a few of those get the excess refunded.
 */
export function walletStory(scene: Scene, account: Account, fromMs: number, toMs: number): void {
  const { rng } = scene;
  const cap = account.campaign.capMinor;
  if (cap === null) return;
  const times = Array.from({ length: int(rng, 1, 4) }, () => int(rng, fromMs, toMs));
  times.sort((a, b) => a - b);
  let total = 0n;
  let lastAt = fromMs;
  for (const atMs of times) {
    // Top-ups come in whole units (100 minor on the sample's one scale), as shops sell them.
    const amount = (minor(rng, cap / 30n, cap / 10n) / 100n) * 100n;
    if (total + amount > cap) break;
    lastAt = atMs;
    scene.payment(account, pick(rng, account.campaign.orderChannels), 'payment', amount, atMs);
    total += amount;
  }
  if (!chance(rng, CAP_EXCEEDED)) return;
  const excess = minor(rng, 100n, cap / 5n);
  const overAt = scene.after(lastAt, 0.05, 0.3);
  scene.payment(account, 'web', 'payment', cap - total + excess, overAt);
  if (!chance(rng, 0.3)) return;
  scene.payment(account, 'web', 'refund', excess, scene.after(overAt, 0.3, 0.6));
}
