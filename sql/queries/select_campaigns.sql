-- Policies of the named campaigns.
-- $1 campaign_id text[]
SELECT campaign_id, currency, per_customer_cap, tolerance, auto_credit_ceiling,
       auto_credit_percent, hold_threshold, resolution, policy_source
FROM campaigns
WHERE campaign_id = ANY($1)
