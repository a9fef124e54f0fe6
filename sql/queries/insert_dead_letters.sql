-- Keeps stream entries the detector refused, with their original fields. The same problem
-- sent again counts in times_seen; the same entry re-delivered (same entry id) does not.
-- $1 dedupe_key text[], $2 partition int[], $3 entry_id text[], $4 reason text[],
-- $5 field text[], $6 message text[], $7 fields jsonb[]
INSERT INTO dead_letters (dedupe_key, partition, entry_id, reason, field, message, fields)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::jsonb[])
ON CONFLICT (dedupe_key) DO UPDATE SET
  entry_id = EXCLUDED.entry_id,
  partition = EXCLUDED.partition,
  last_seen_at = now(),
  times_seen = dead_letters.times_seen + 1
WHERE dead_letters.entry_id <> EXCLUDED.entry_id
