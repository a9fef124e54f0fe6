-- The case an auto-credit job settles, locked so a retried job waits for the first.
-- $1 case_id uuid
SELECT case_id, state, amount, currency, customer_id, campaign_id
FROM cases
WHERE case_id = $1
FOR UPDATE
