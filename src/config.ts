import { userInfo } from 'node:os';
import { z } from 'zod';

/** The fully resolved settings of one process. Nothing else reads process.env. */
export interface Config {
  databaseUrl: string;
  redisUrl: string;
  partitions: number;
  redisPrefix: string;
  metricsPort: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  batchSize: number;
  blockMs: number;
}

export const DEFAULTS = {
  DATABASE_URL: 'postgres://127.0.0.1:5432/overpay',
  REDIS_URL: 'redis://127.0.0.1:6379/0',
  OVERPAY_PARTITIONS: '16',
  OVERPAY_REDIS_PREFIX: 'overpay',
  METRICS_PORT: '9464',
  LOG_LEVEL: 'info',
  OVERPAY_BATCH_SIZE: '500',
  OVERPAY_BLOCK_MS: '1000',
} as const;

export class ConfigError extends Error {
  readonly code = 'config_invalid';
}

const integer = (min: number, max: number, form: string) =>
  z
    .string()
    .regex(/^\d+$/, `expected ${form}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected ${form}`);

/** A URL of one of `protocols` whose path matches `path` (any path by default). */
const url = (protocols: string[], form: string, path = /^/) =>
  z.string().refine((text) => {
    try {
      const parsed = new URL(text);
      return protocols.includes(parsed.protocol) && path.test(parsed.pathname);
    } catch {
      return false;
    }
  }, `expected ${form}`);

const schema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'a postgres:// URL'),
  // ioredis sends a db index that is not a number as SELECT NaN, which fails far from here.
  REDIS_URL: url(
    ['redis:', 'rediss:'],
    'a redis:// URL, optionally ending in /DB (a whole number)',
    /^(\/\d*)?$/,
  ),
  OVERPAY_PARTITIONS: integer(1, 1024, 'a whole number from 1 to 1024'),
  OVERPAY_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, _ . or -'),
  METRICS_PORT: integer(0, 65535, 'a port from 0 (off) to 65535'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  OVERPAY_BATCH_SIZE: integer(1, 10000, 'a whole number from 1 to 10000'),
  OVERPAY_BLOCK_MS: integer(10, 60000, 'milliseconds from 10 to 60000'),
});

/** Reads and validates the environment once; a bad value names its variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(DEFAULTS)) {
    const value = env[name];
    raw[name] = value === undefined || value === '' ? fallback : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`${name}='${raw[name]}' is invalid: ${issue.message}`);
  }
  const v = parsed.data;
  return {
    databaseUrl: withUser(v.DATABASE_URL),
    redisUrl: v.REDIS_URL,
    partitions: v.OVERPAY_PARTITIONS,
    redisPrefix: v.OVERPAY_REDIS_PREFIX,
    metricsPort: v.METRICS_PORT,
    logLevel: v.LOG_LEVEL,
    batchSize: v.OVERPAY_BATCH_SIZE,
    blockMs: v.OVERPAY_BLOCK_MS,
  };
}

/** A service URL fit for a message: the password, if any, left out. */
export function withoutPassword(serviceUrl: string): string {
  const url = new URL(serviceUrl);
  url.password = '';
  return url.toString();
}

/** Like libpq, a URL without a user name connects as the operating-system user. */
function withUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username !== '') return databaseUrl;
  url.username = userInfo().username;
  return url.toString();
}
