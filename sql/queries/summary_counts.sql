-- Headline counts of the summary report.
-- (no parameters)
SELECT
  (SELECT count(*) FROM ledger WHERE type = 'payment')::int AS payments,
  (SELECT count(*) FROM ledger WHERE type = 'obligation')::int AS obligations,
  (SELECT count(*) FROM accounts)::int AS accounts,
  (SELECT count(*) FROM (SELECT DISTINCT customer_id, campaign_id, ref FROM cases) o)::int
    AS overpaid_accounts,
  (SELECT count(*) FROM dead_letters)::int AS dead_letters,
  (SELECT coalesce(sum(payment_count), 0) FROM accounts WHERE limit_amount IS NULL)::int
    AS unmatched_payments,
  (SELECT count(*) FROM flags WHERE cleared_at IS NULL)::int AS suspected_duplicates
