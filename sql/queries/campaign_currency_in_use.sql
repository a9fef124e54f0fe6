-- The currency a campaign's accounts already hold, if it has any.
-- $1 campaign_id text
SELECT currency FROM accounts WHERE campaign_id = $1 LIMIT 1
