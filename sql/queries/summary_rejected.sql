-- Refused input records per reason, each record once.
-- (no parameters)
SELECT reason, count(*)::int AS n FROM rejected_records GROUP BY reason ORDER BY reason
