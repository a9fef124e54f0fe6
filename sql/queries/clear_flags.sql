-- Clears the open flags of accounts that now have a limit.
-- $1 customer_id text[], $2 campaign_id text[], $3 ref text[]
UPDATE flags SET cleared_at = now()
WHERE cleared_at IS NULL
  AND (customer_id, campaign_id, ref) IN (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
