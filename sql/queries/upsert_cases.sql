-- Inserts new cases and updates the ones a batch changed. Causes travel comma-joined because
-- unnest cannot take ragged arrays; a first_event of -1 keeps the stored one.
-- $1 case_id uuid, $2 partition int, $3 customer_id, $4 campaign_id, $5 ref, $6 currency,
-- $7 state, $8 amount numeric, $9 max_amount numeric, $10 causes (comma-joined),
-- $11 first_event bigint, $12 settled boolean (arrays)
INSERT INTO cases (case_id, partition, customer_id, campaign_id, ref, currency, state, amount,
                   max_amount, causes, first_event, settled_at)
SELECT id, p, cu, ca, r, cur, st, am, mx, string_to_array(cs, ','), fe,
       CASE WHEN s THEN now() END
FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::numeric[], $9::numeric[], $10::text[], $11::bigint[], $12::boolean[])
     AS c(id, p, cu, ca, r, cur, st, am, mx, cs, fe, s)
ON CONFLICT (case_id) DO UPDATE SET
  state = EXCLUDED.state,
  amount = EXCLUDED.amount,
  max_amount = EXCLUDED.max_amount,
  causes = EXCLUDED.causes,
  settled_at = COALESCE(cases.settled_at, EXCLUDED.settled_at),
  updated_at = now()
