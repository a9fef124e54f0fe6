-- Jobs of our queues not yet finished (queued, waiting for a retry, or running).
-- $1 queue names text[]
SELECT count(*)::int AS open
FROM pgboss.job
WHERE name = ANY($1) AND state IN ('created', 'retry', 'active')
