-- Refused input records, newest first, optionally of one reason.
-- $1 reason text or NULL for all, $2 limit int
SELECT source, format, line, reason, field, message, raw, times_seen,
       to_json(first_seen_at) #>> '{}' AS first_seen_at
FROM rejected_records
WHERE $1::text IS NULL OR reason = $1
ORDER BY first_seen_at DESC, source, line
LIMIT $2
