-- Takes partitions for a new owner by bumping their fencing epochs.
-- $1 partition int[], $2 owner text
INSERT INTO partition_owners (partition, epoch, owner)
SELECT p, 1, $2 FROM unnest($1::int[]) AS p
ON CONFLICT (partition) DO UPDATE
  SET epoch = partition_owners.epoch + 1, owner = EXCLUDED.owner, taken_at = now()
RETURNING partition, epoch
