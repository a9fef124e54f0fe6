-- Keeps refused input records; the same record refused again only bumps its counters.
-- $1 record_key, $2 source, $3 format, $4 line int, $5 reason, $6 field, $7 message, $8 raw
INSERT INTO rejected_records (record_key, source, format, line, reason, field, message, raw)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[],
                     $7::text[], $8::text[])
ON CONFLICT (record_key) DO UPDATE SET
  last_seen_at = now(),
  times_seen = rejected_records.times_seen + 1
