-- Stores the totals of accounts a batch changed; the partition owner's memory is the source.
-- $1 customer_id, $2 campaign_id, $3 ref, $4 partition int, $5 currency,
-- $6 obligation numeric, $7 obligation_at timestamptz, $8 obligation_key, $9 limit_amount,
-- $10 net_paid, $11 settled, $12 payment_count int, $13 waiting_case_id uuid,
-- $14 open_flags int (arrays)
INSERT INTO accounts (customer_id, campaign_id, ref, partition, currency, obligation,
                      obligation_at, obligation_key, limit_amount, net_paid, settled,
                      payment_count, waiting_case_id, open_flags)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[],
                     $6::numeric[], $7::timestamptz[], $8::text[], $9::numeric[],
                     $10::numeric[], $11::numeric[], $12::int[], $13::uuid[],
                     $14::int[])
ON CONFLICT (customer_id, campaign_id, ref) DO UPDATE SET
  obligation = EXCLUDED.obligation,
  obligation_at = EXCLUDED.obligation_at,
  obligation_key = EXCLUDED.obligation_key,
  limit_amount = EXCLUDED.limit_amount,
  net_paid = EXCLUDED.net_paid,
  settled = EXCLUDED.settled,
  payment_count = EXCLUDED.payment_count,
  waiting_case_id = EXCLUDED.waiting_case_id,
  open_flags = EXCLUDED.open_flags,
  updated_at = now()
