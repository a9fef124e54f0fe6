-- Appends events in stream order; a known idempotency key inserts nothing.
-- Rows get their seq in array order (ORDER BY ord), which later rules rely on.
-- $1 type, $2 channel, $3 external_id, $4 partition int, $5 customer_id, $6 campaign_id,
-- $7 ref, $8 kind, $9 amount numeric, $10 currency, $11 occurred_at timestamptz,
-- $12 stream_id (all arrays of equal length)
INSERT INTO ledger (type, channel, external_id, partition, customer_id, campaign_id, ref, kind,
                    amount, currency, occurred_at, stream_id)
SELECT type, channel, external_id, partition, customer_id, campaign_id, ref, kind,
       amount, currency, occurred_at, stream_id
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::numeric[], $10::text[], $11::timestamptz[], $12::text[])
     WITH ORDINALITY AS e(type, channel, external_id, partition, customer_id, campaign_id, ref,
                          kind, amount, currency, occurred_at, stream_id, ord)
ORDER BY ord
ON CONFLICT (type, channel, external_id) DO NOTHING
RETURNING seq, type, channel, external_id
