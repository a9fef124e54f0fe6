-- For each new payment, the earliest earlier payment of the same customer, currency and
-- amount whose time lies within 24 hours of it (a possible duplicate across channels).
-- $1 seq bigint[] (new payments with kind 'payment' and amount > 0)
SELECT n.seq, min(o.seq) AS duplicate_of
FROM ledger n
JOIN ledger o
  ON o.customer_id = n.customer_id
 AND o.currency = n.currency
 AND o.amount = n.amount
 AND o.type = 'payment' AND o.kind = 'payment'
 AND o.occurred_at BETWEEN n.occurred_at - interval '24 hours'
                       AND n.occurred_at + interval '24 hours'
 AND o.seq < n.seq
WHERE n.seq = ANY($1)
GROUP BY n.seq
