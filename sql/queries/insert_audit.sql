-- Appends audit rows; the table refuses UPDATE and DELETE.
-- $1 actor text[], $2 action text[], $3 case_id uuid[], $4 customer_id text[],
-- $5 reason text[], $6 evidence jsonb[], $7 before jsonb[], $8 after jsonb[]
INSERT INTO audit_events (actor, action, case_id, customer_id, reason, evidence, before, after)
SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                     $6::jsonb[], $7::jsonb[], $8::jsonb[])
