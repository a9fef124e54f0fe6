-- Fencing check inside a batch transaction: the epochs this owner holds, locked against a
-- concurrent take-over until the batch commits.
-- $1 partition int[]
SELECT partition, epoch FROM partition_owners WHERE partition = ANY($1) FOR SHARE
