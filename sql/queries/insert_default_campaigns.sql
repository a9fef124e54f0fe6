-- Gives campaigns seen for the first time the default policy; known ones are left alone.
-- $1 campaign_id text[], $2 currency text[], $3 tolerance, $4 auto_credit_ceiling,
-- $5 hold_threshold
INSERT INTO campaigns (campaign_id, currency, per_customer_cap, tolerance, auto_credit_ceiling,
                       auto_credit_percent, hold_threshold, resolution, policy_source)
SELECT id, cur, NULL, $3, $4, NULL, $5, 'credit', 'default'
FROM unnest($1::text[], $2::text[]) AS c(id, cur)
ON CONFLICT (campaign_id) DO NOTHING
