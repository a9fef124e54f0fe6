/**
 * Seeded demo input: repeat customers of four campaigns paying through five channels, in
 * our generic CSV event format, plus the campaign policy file that goes with it. The same
 * options always give byte-identical output, so a demo run or a test can be replayed.
 */
import { DateTime } from 'luxon';
import type { PolicyFile } from './policy.ts';
import { EVENT_FIELDS, type EventField } from './vocabulary.ts';
import {
  Scene,
  chance,
  instalmentPlan,
  int,
  minor,
  money,
  mulberry32,
  orderStory,
  paidTwice,
  pick,
  walletStory,
  type Draft,
  type Order,
  type SampleCampaign,
} from './sample-patterns.ts';

export interface SampleOptions {
  seed: number;
  customers: number;
  /** ISO 8601 date or time; a date without offset is read as UTC. */
  start: string;
  days: number;
}

export const DEFAULT_SAMPLE: Readonly<SampleOptions> = {
  seed: 42,
  customers: 500,
  start: '2026-01-05T00:00:00Z',
  days: 28,
};

interface CampaignSpec extends SampleCampaign {
  toleranceMinor: bigint;
}

/**
 * Amounts are drawn in minor units on one scale for every campaign: 2500 is 25.00 BRL or
 * EUR and 2500 JPY (about 15 EUR), so JPY amounts read 100 times larger, as real prices do.
 * One pair of bands then fits all: up to 25 units auto-credit, up to 1000 review, then hold.
 */
const AUTO_CREDIT_CEILING_MINOR = 2_500n;
const HOLD_THRESHOLD_MINOR = 100_000n;

/** A channel listed twice in `orderChannels` takes twice the share of that campaign's orders. */
const CAMPAIGNS: readonly CampaignSpec[] = [
  {
    id: 'spring-voucher',
    currency: 'BRL',
    offsetMinutes: -180,
    orderChannels: ['web', 'app', 'email-landing'],
    capMinor: 15_000n,
    vouchers: true,
    toleranceMinor: 100n,
  },
  {
    id: 'loyalty-plan',
    currency: 'EUR',
    offsetMinutes: 60,
    orderChannels: ['web', 'app'],
    capMinor: 30_000n,
    instalments: true,
    toleranceMinor: 50n,
  },
  {
    id: 'app-launch',
    currency: 'JPY',
    offsetMinutes: 540,
    orderChannels: ['app', 'app', 'web'],
    capMinor: 20_000n,
    toleranceMinor: 50n,
  },
  {
    id: 'partner-bundle',
    currency: 'EUR',
    offsetMinutes: 60,
    orderChannels: ['partner', 'partner', 'web'],
    capMinor: null,
    toleranceMinor: 50n,
  },
];

const DAY_MS = 86_400_000;
/** Share of a customer's orders that go to their home campaign. */
const HOME_CAMPAIGN = 0.8;
const INSTALMENT_SHARE = 0.6;
const WALLET_CUSTOMERS = 0.25;

/** Demo events as CSV (header first) and the campaign policies they were drawn against. */
export function generateSample(options: SampleOptions = DEFAULT_SAMPLE): {
  csv: string;
  campaigns: PolicyFile;
} {
  const startMs = checkOptions(options);
  const windowMs = options.days * DAY_MS;
  // Eight steps per window: an instalment plan started in the first half still ends inside.
  const scene = new Scene(mulberry32(options.seed), Math.floor(windowMs / 8 / 1000) * 1000);
  const customers = customerIds(options.customers);
  for (const customer of customers) customerStory(scene, customer, startMs, windowMs);
  whaleOrders(scene, customers, startMs, windowMs);
  malformedRows(scene, customers, startMs, startMs + windowMs - 1000);
  redeliverOne(scene);
  return { csv: toCsv(scene.drafts), campaigns: policyFile() };
}

/** Refuses options that would give an empty or endless sample; returns the start in epoch ms. */
function checkOptions(options: SampleOptions): number {
  const { seed, customers, days, start } = options;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(customers) || customers < 1) {
    throw new RangeError(`customers must be a positive integer, got ${customers}`);
  }
  if (!Number.isSafeInteger(days) || days < 1) {
    throw new RangeError(`days must be a positive integer, got ${days}`);
  }
  const parsed = DateTime.fromISO(start, { zone: 'utc' });
  if (!parsed.isValid) throw new RangeError(`start must be an ISO 8601 date, got '${start}'`);
  return parsed.toMillis();
}

function customerIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `cust-${String(i + 1).padStart(5, '0')}`);
}

/** A repeat customer: one to eight orders, mostly in a home campaign, maybe wallet top-ups. */
function customerStory(scene: Scene, customer: string, startMs: number, windowMs: number): void {
  const { rng } = scene;
  const home = pick(rng, CAMPAIGNS);
  const count = 1 + int(rng, 0, 2) + (chance(rng, 0.4) ? int(rng, 1, 5) : 0);
  for (let k = 0; k < count; k++) {
    const campaign = chance(rng, HOME_CAMPAIGN) ? home : pick(rng, CAMPAIGNS);
    const plan = campaign.instalments && chance(rng, INSTALMENT_SHARE);
    // Plans need four steps after the order; other stories at most one.
    const latestMs = plan ? windowMs / 2 : windowMs - scene.stepMs;
    const order: Order = {
      customer,
      campaign,
      ref: scene.orderId(),
      channel: pick(rng, campaign.orderChannels),
      amount: plan ? minor(rng, 400n, 1_200n) * 3n : price(scene),
      atMs: startMs + int(rng, 0, Math.floor(latestMs / 1000) - 1) * 1000,
    };
    if (plan) instalmentPlan(scene, order);
    else orderStory(scene, order);
  }
  if (!chance(rng, WALLET_CUSTOMERS)) return;
  const capped = home.capMinor === null ? pick(rng, CAMPAIGNS.filter(hasCap)) : home;
  walletStory(scene, { customer, campaign: capped, ref: '' }, startMs, startMs + windowMs / 2);
}

function hasCap(campaign: CampaignSpec): boolean {
  return campaign.capMinor !== null;
}

function campaignById(id: string): CampaignSpec {
  const found = CAMPAIGNS.find((campaign) => campaign.id === id);
  if (found === undefined) throw new RangeError(`no sample campaign ${id}`);
  return found;
}

/** Most orders fall in auto-credit territory, some in the review band, none above it. */
function price(scene: Scene): bigint {
  const roll = scene.rng();
  if (roll < 0.88) return minor(scene.rng, 300n, 2_500n);
  if (roll < 0.99) return minor(scene.rng, 2_501n, 60_000n);
  return minor(scene.rng, 60_001n, 100_000n);
}

/** Two large orders above the hold threshold; the first is paid twice and never refunded. */
function whaleOrders(scene: Scene, customers: string[], startMs: number, windowMs: number): void {
  const { rng } = scene;
  const campaigns = [campaignById('partner-bundle'), campaignById('spring-voucher')];
  campaigns.forEach((campaign, index) => {
    const order: Order = {
      customer: pick(rng, customers),
      campaign,
      ref: scene.orderId(),
      channel: campaign.orderChannels[0]!,
      amount: minor(rng, 120_000n, 250_000n),
      atMs: startMs + int(rng, 0, Math.floor((windowMs - scene.stepMs) / 1000)) * 1000,
    };
    scene.obligation(order, order.amount, order.atMs, 1);
    const paidAt = scene.after(order.atMs, 0, 0.01);
    scene.payment(order, order.channel, 'payment', order.amount, paidAt);
    if (index === 0) paidTwice(scene, order, order.channel, paidAt, 0);
  });
}

/** One row per rejection the demo should show, each breaking a single field. */
const MALFORMED: readonly {
  id: string;
  campaign: string;
  patch: (row: Record<EventField, string>) => void;
}[] = [
  { id: 'decimal-comma', campaign: 'spring-voucher', patch: (row) => (row.amount = '12,50') },
  { id: 'eur-3-decimals', campaign: 'loyalty-plan', patch: (row) => (row.amount = '12.345') },
  { id: 'no-customer', campaign: 'app-launch', patch: (row) => (row.customer_id = '') },
  {
    id: 'no-offset',
    campaign: 'partner-bundle',
    patch: (row) => (row.occurred_at = row.occurred_at.slice(0, 19)),
  },
  { id: 'bitcoin', campaign: 'partner-bundle', patch: (row) => (row.currency = 'BTC') },
  { id: 'bad-kind', campaign: 'spring-voucher', patch: (row) => (row.kind = 'capture') },
];

/**
 * Valid campaign-level payments of random customers, each then broken in one field; the
 * external_id 'malformed-...' names the problem in the demo's rejection report.
 */
function malformedRows(
  scene: Scene,
  customers: readonly string[],
  fromMs: number,
  toMs: number,
): void {
  const { rng } = scene;
  for (const bad of MALFORMED) {
    const account = {
      customer: pick(rng, customers),
      campaign: campaignById(bad.campaign),
      ref: '',
    };
    const atMs = int(rng, fromMs, toMs);
    const draft = scene.payment(account, 'web', 'payment', minor(rng, 500n, 2000n), atMs);
    draft.row.external_id = `malformed-${bad.id}`;
    bad.patch(draft.row);
  }
}

/** A card webhook delivered twice with the same content: the ingest must count it once. */
function redeliverOne(scene: Scene): void {
  const webhooks = scene.drafts.filter(
    (draft) => draft.row.channel === 'card-webhook' && !/^[0.]+$/.test(draft.row.amount),
  );
  if (webhooks.length > 0) scene.drafts.push(pick(scene.rng, webhooks));
}

/** Rows by time, then by their text, so equal times still come out in one fixed order. */
function toCsv(drafts: readonly Draft[]): string {
  const lines = drafts.map((draft) => ({ atMs: draft.atMs, line: csvLine(draft.row) }));
  lines.sort((a, b) => a.atMs - b.atMs || (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
  return [EVENT_FIELDS.join(','), ...lines.map(({ line }) => line)].join('\n') + '\n';
}

function csvLine(row: Draft['row']): string {
  return EVENT_FIELDS.map((field) => csvField(row[field])).join(',');
}

/** RFC 4180 quoting, needed by the decimal-comma row among the malformed ones. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function policyFile(): PolicyFile {
  return {
    campaigns: CAMPAIGNS.map((spec) => ({
      campaign_id: spec.id,
      currency: spec.currency,
      per_customer_cap: spec.capMinor === null ? null : money(spec.capMinor, spec.currency),
      tolerance: money(spec.toleranceMinor, spec.currency),
      auto_credit_ceiling: money(AUTO_CREDIT_CEILING_MINOR, spec.currency),
      hold_threshold: money(HOLD_THRESHOLD_MINOR, spec.currency),
      resolution: 'credit',
    })),
  };
}
