-- Moves a case to a resolved state.
-- $1 case_id uuid, $2 state text
UPDATE cases SET state = $2, resolved_at = now(), updated_at = now()
WHERE case_id = $1
