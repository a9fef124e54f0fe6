-- One adjustment per (case, kind); a repeated job inserts nothing.
-- $1 case_id uuid, $2 kind text, $3 amount numeric, $4 currency, $5 customer_id,
-- $6 campaign_id, $7 actor
INSERT INTO adjustments (case_id, kind, amount, currency, customer_id, campaign_id, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (case_id, kind) DO NOTHING
RETURNING adjustment_id
