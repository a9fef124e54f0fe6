-- Money per currency held by any account: detected excess (each case at its largest) and credits.
-- (no parameters)
SELECT a.currency, coalesce(c.excess, 0) AS detected_excess, coalesce(j.credited, 0) AS credited
FROM (SELECT DISTINCT currency FROM accounts) a
LEFT JOIN (SELECT currency, sum(max_amount) AS excess FROM cases GROUP BY currency) c
  USING (currency)
LEFT JOIN (SELECT currency, sum(amount) AS credited FROM adjustments WHERE kind = 'credit'
           GROUP BY currency) j
  USING (currency)
ORDER BY a.currency
