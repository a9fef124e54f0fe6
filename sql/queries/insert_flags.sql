-- Raises suspected-duplicate flags on payments whose account has no limit yet.
-- $1 ledger_seq bigint[], $2 duplicate_of bigint[], $3 customer_id, $4 campaign_id, $5 ref
INSERT INTO flags (kind, ledger_seq, duplicate_of, customer_id, campaign_id, ref)
SELECT 'suspected_duplicate', s, d, cu, ca, r
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS f(s, d, cu, ca, r)
ON CONFLICT (kind, ledger_seq) DO NOTHING
