import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { sql, withTransaction, type Pool, type Queryable } from './db.ts';
import { Big, minorUnits, parseAmount } from './money.ts';

/** How a campaign's overpayments are judged and resolved; money in the campaign's currency. */
export interface Policy {
  campaignId: string;
  currency: string;
  perCustomerCap: string | null;
  tolerance: string;
  autoCreditCeiling: string;
  autoCreditPercent: string | null;
  holdThreshold: string;
  resolution: 'credit' | 'refund';
  source: 'default' | 'loaded';
}

/**
 * The policy of a campaign first seen on an event: no per-customer cap (so campaign-level
 * payments wait as unmatched), tolerance 0.01, auto credit up to 25.00, review above that,
 * hold above 1000.00, resolved by credit.
 */
export const DEFAULT_POLICY = {
  perCustomerCap: null,
  tolerance: '0.01',
  autoCreditCeiling: '25.00',
  autoCreditPercent: null,
  holdThreshold: '1000.00',
  resolution: 'credit',
} as const;

export class PolicyError extends Error {
  readonly code = 'policy_invalid';
}

const decimal = z
  .string()
  .regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'expected a decimal string like "25.00"');

/** Money fields of a policy must fit the campaign's currency (tolerance may be finer). */
const MONEY_FIELDS = ['per_customer_cap', 'auto_credit_ceiling', 'hold_threshold'] as const;

const fileSchema = z.object({
  campaigns: z
    .array(
      z
        .object({
          campaign_id: z.string().trim().min(1).max(200),
          currency: z.string().refine((c) => minorUnits(c) !== undefined, 'not ISO 4217 money'),
          per_customer_cap: decimal.nullable().default(null),
          tolerance: decimal.default(DEFAULT_POLICY.tolerance),
          auto_credit_ceiling: decimal.default(DEFAULT_POLICY.autoCreditCeiling),
          auto_credit_percent: decimal
            .refine(
              (p) => new Big(p).gt('0') && new Big(p).lte('100'),
              'expected more than 0, at most 100',
            )
            .nullable()
            .default(null),
          hold_threshold: decimal.default(DEFAULT_POLICY.holdThreshold),
          resolution: z.enum(['credit', 'refund']).default('credit'),
        })
        .strict()
        .superRefine((c, ctx) => {
          for (const field of MONEY_FIELDS) {
            const value = c[field];
            if (value !== null && !parseAmount(value, c.currency).ok) {
              const message = `has more decimals than ${c.currency} allows`;
              ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field], message });
            }
          }
        })
        .refine((c) => new Big(c.hold_threshold).gte(c.auto_credit_ceiling), {
          message: 'hold_threshold must be at least auto_credit_ceiling',
          path: ['hold_threshold'],
        })
        .refine((c) => c.resolution === 'credit', {
          // Refunds go back through the payment provider; that connector is not built yet.
          message: 'resolution "refund" needs the payment-provider connector, not available yet',
          path: ['resolution'],
        }),
    )
    .min(1)
    .superRefine((campaigns, ctx) => {
      const seen = new Set<string>();
      campaigns.forEach((c, i) => {
        if (seen.has(c.campaign_id)) {
          const message = `campaign ${c.campaign_id} appears more than once`;
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'campaign_id'], message });
        }
        seen.add(c.campaign_id);
      });
    }),
});

/** The JSON that `overpay campaigns load` reads, as written (defaults not yet filled in). */
export type PolicyFile = z.input<typeof fileSchema>;

/** Reads and validates a policy file; an error names the campaign entry and field. */
export function readPolicyFile(path: string): Policy[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PolicyError(`${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data.campaigns.map((c) => ({
    campaignId: c.campaign_id,
    currency: c.currency,
    perCustomerCap: c.per_customer_cap,
    tolerance: c.tolerance,
    autoCreditCeiling: c.auto_credit_ceiling,
    autoCreditPercent: c.auto_credit_percent,
    holdThreshold: c.hold_threshold,
    resolution: c.resolution,
    source: 'loaded',
  }));
}

/** Stores policies; a campaign's currency cannot change once it has accounts. */
export async function savePolicies(pool: Pool, policies: Policy[]): Promise<void> {
  await withTransaction(pool, async (client) => {
    for (const p of policies) {
      const { rows } = await client.query(sql('campaign_currency_in_use'), [p.campaignId]);
      const inUse = rows[0] as { currency: string } | undefined;
      if (inUse && inUse.currency.trim() !== p.currency) {
        throw new PolicyError(
          `campaign ${p.campaignId} already has accounts in ${inUse.currency}; ` +
            `its currency cannot become ${p.currency}`,
        );
      }
      await client.query(sql('upsert_campaign'), [
        p.campaignId,
        p.currency,
        p.perCustomerCap,
        p.tolerance,
        p.autoCreditCeiling,
        p.autoCreditPercent,
        p.holdThreshold,
        p.resolution,
        p.source,
      ]);
    }
  });
}

interface CampaignRow {
  campaign_id: string;
  currency: string;
  per_customer_cap: string | null;
  tolerance: string;
  auto_credit_ceiling: string;
  auto_credit_percent: string | null;
  hold_threshold: string;
  resolution: 'credit' | 'refund';
  policy_source: 'default' | 'loaded';
}

function fromRow(row: CampaignRow): Policy {
  return {
    campaignId: row.campaign_id,
    currency: row.currency.trim(),
    perCustomerCap: row.per_customer_cap,
    tolerance: row.tolerance,
    autoCreditCeiling: row.auto_credit_ceiling,
    autoCreditPercent: row.auto_credit_percent,
    holdThreshold: row.hold_threshold,
    resolution: row.resolution,
    source: row.policy_source,
  };
}

/**
 * Policies of the given campaigns; a campaign never seen before gets the default policy in
 * the currency of its first event (`firstCurrency`).
 */
export async function policiesFor(
  db: Queryable,
  firstCurrency: Map<string, string>,
): Promise<Map<string, Policy>> {
  const ids = [...firstCurrency.keys()];
  await db.query(sql('insert_default_campaigns'), [
    ids,
    ids.map((id) => firstCurrency.get(id)!),
    DEFAULT_POLICY.tolerance,
    DEFAULT_POLICY.autoCreditCeiling,
    DEFAULT_POLICY.holdThreshold,
  ]);
  const { rows } = await db.query<CampaignRow>(sql('select_campaigns'), [ids]);
  return new Map(rows.map((row) => [row.campaign_id, fromRow(row)]));
}
