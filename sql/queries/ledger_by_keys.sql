-- Stored events by idempotency key, to compare a repeat with what was recorded first.
-- $1 type text[], $2 channel text[], $3 external_id text[]
SELECT l.type, l.channel, l.external_id, l.customer_id, l.campaign_id, l.ref, l.kind,
       l.amount::text AS amount, l.currency, to_json(l.occurred_at) #>> '{}' AS occurred_at
FROM ledger l
JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(type, channel, external_id)
  USING (type, channel, external_id)
