-- Stores a loaded policy, replacing the previous one of the campaign.
-- $1 campaign_id, $2 currency, $3 per_customer_cap, $4 tolerance, $5 auto_credit_ceiling,
-- $6 auto_credit_percent, $7 hold_threshold, $8 resolution, $9 policy_source
INSERT INTO campaigns (campaign_id, currency, per_customer_cap, tolerance, auto_credit_ceiling,
                       auto_credit_percent, hold_threshold, resolution, policy_source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (campaign_id) DO UPDATE SET
  currency = EXCLUDED.currency,
  per_customer_cap = EXCLUDED.per_customer_cap,
  tolerance = EXCLUDED.tolerance,
  auto_credit_ceiling = EXCLUDED.auto_credit_ceiling,
  auto_credit_percent = EXCLUDED.auto_credit_percent,
  hold_threshold = EXCLUDED.hold_threshold,
  resolution = EXCLUDED.resolution,
  policy_source = EXCLUDED.policy_source,
  updated_at = now()
