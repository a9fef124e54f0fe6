// Runs the real command line as a child process, the way an operator would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.ts';
import type { Config } from '../../src/config.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment that points the CLI at a test's database and key prefix. */
export function cliEnv(config: Config): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    REDIS_URL: config.redisUrl,
    OVERPAY_PARTITIONS: String(config.partitions),
    OVERPAY_REDIS_PREFIX: config.redisPrefix,
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
}

/** Starts the CLI; `done` settles when it exits. */
export function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
  return { child, output, done };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).done;
}
