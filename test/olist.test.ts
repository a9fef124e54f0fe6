// The Olist public dataset end to end through the command line, compared with an independent
// computation from the CSV files (test/helpers/olist-reference.ts). The data lives outside the
// project (its licence forbids copying it in); where it is absent the test says so and skips.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../src/paths.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { testEnv } from './helpers/env.ts';
import { olistReference } from './helpers/olist-reference.ts';

const DATA =
  process.env.OLIST_DATA_DIR ?? join(ROOT, '..', 'shared', 'data', 'olist-brazilian-ecommerce');
const present = ['.csv', '.csv.gz'].some((ext) =>
  existsSync(join(DATA, `olist_orders_dataset${ext}`)),
);

if (!present) {
  console.log(
    `SKIPPED olist end-to-end: no dataset at ${DATA} (it is not shipped with the project; set OLIST_DATA_DIR to point at it)`,
  );
}

async function step(args: string[], vars: NodeJS.ProcessEnv): Promise<string> {
  const started = Date.now();
  const result = await runCli(args, vars);
  assert.is(result.code, 0, `overpay ${args.join(' ')} failed: ${result.stderr}`);
  console.log(`  overpay ${args.slice(0, 2).join(' ')}: ${Date.now() - started} ms`);
  return result.stdout;
}

(present ? test : test.skip)(
  'the Olist dataset gives exactly the independent figures, and a second ingest changes none',
  async () => {
    const env = await testEnv({ partitions: 16 });
    try {
      const vars = cliEnv(env.config);
      const expected = await olistReference(DATA);
      await step(['migrate'], vars);
      await step(['ingest', DATA, '--format', 'olist', '--no-progress'], vars);
      await step(['worker', '--until-idle'], vars);
      const first = JSON.parse(await step(['report', 'summary', '--json'], vars));
      assert.equal(first, expected);

      await step(['ingest', DATA, '--format', 'olist', '--no-progress'], vars);
      await step(['worker', '--until-idle'], vars);
      const second = JSON.parse(await step(['report', 'summary', '--json'], vars));
      assert.equal(second, expected);
    } finally {
      await env.cleanup();
    }
  },
);

test.run();
