// The dashboards and the code share one vocabulary: a metric a panel queries must exist.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../src/paths.ts';
import { METRICS } from '../src/vocabulary.ts';

const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

test('every metric a Grafana panel queries is one the service exports', () => {
  const known = new Set<string>(Object.values(METRICS));
  const dir = join(ROOT, 'grafana', 'dashboards');
  let queried = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const [name] of text.matchAll(/overpay_[a-z_]+/g)) {
      queried += 1;
      assert.ok(known.has(name.replace(HISTOGRAM_SUFFIX, '')), `${file}: unknown metric ${name}`);
    }
  }
  assert.ok(queried > 0, 'the dashboards query overpay metrics');
});

test.run();
