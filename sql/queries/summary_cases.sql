-- Cases per state.
-- (no parameters)
SELECT state, count(*)::int AS n FROM cases GROUP BY state
