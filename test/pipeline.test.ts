import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drain, ingestEvents, report, testEnv, ZERO_CASES } from './helpers/env.ts';

test('an overpaid order within the ceiling is credited automatically', async () => {
  const env = await testEnv();
  try {
    await ingestEvents(env, [
      { type: 'obligation', channel: 'shop', external_id: 'o1', amount: '100.00', occurred_at: '2026-01-01T10:00:00Z' },
      { external_id: 'p1', amount: '100.00', occurred_at: '2026-01-01T10:05:00Z' },
      { channel: 'app', external_id: 'p2', amount: '10.00', occurred_at: '2026-01-01T11:00:00Z' },
    ]);
    await drain(env);
    const s = await report(env);
    assert.equal(s.cases, { ...ZERO_CASES, credited: 1 });
    assert.equal(s.credited, { EUR: '10.00' });
  } finally {
    await env.cleanup();
  }
});

test.run();
