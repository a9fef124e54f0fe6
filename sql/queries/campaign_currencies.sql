-- Currencies of the named campaigns that are known already.
-- $1 campaign_id text[]
SELECT campaign_id, currency FROM campaigns WHERE campaign_id = ANY($1)
