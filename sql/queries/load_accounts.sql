-- Totals of the accounts of owned partitions, with their waiting case, for a new owner.
-- $1 partition int[]
SELECT a.customer_id, a.campaign_id, a.ref, a.partition, a.currency, a.obligation,
       to_json(a.obligation_at) #>> '{}' AS obligation_at, a.obligation_key, a.limit_amount, a.net_paid, a.settled,
       a.payment_count, a.open_flags, c.case_id, c.state, c.amount, c.max_amount, c.causes
FROM accounts a
LEFT JOIN cases c ON c.case_id = a.waiting_case_id
WHERE a.partition = ANY($1)
