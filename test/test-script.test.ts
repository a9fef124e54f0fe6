// scripts/test.sh itself, run on a fixture, the way CI runs it.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../src/paths.ts';

function runScript(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn('bash', ['scripts/test.sh', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

test('the per-file summary starts on its own line when the output did not end one', async () => {
  const result = await runScript(['test/fixtures/unterminated-output.ts']);
  assert.is(result.code, 0, result.stdout);
  assert.match(
    result.stdout,
    /\nlast words without a line break\n--- test\/fixtures\/unterminated-output\.ts: 1 passed, 0 failed, 0 skipped \(\d+ s\)\n/,
    result.stdout,
  );
  assert.ok(result.stdout.endsWith('\n1 file(s) run\n1 passed, 0 failed\n'), result.stdout);
});

test.run();
