-- Keeps stream entries the detector refused, with their original fields.
-- $1 partition int[], $2 entry_id text[], $3 reason text[], $4 field text[],
-- $5 message text[], $6 fields jsonb[]
INSERT INTO dead_letters (partition, entry_id, reason, field, message, fields)
SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
ON CONFLICT (partition, entry_id) DO NOTHING
