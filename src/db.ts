import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { SQL_DIR } from './paths.ts';

// NUMERIC must reach code as a string, never a JS number (pg's default already, made explicit).
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (text) => text);
// int8 counts are safe as numbers at our scale; ids (seq) stay well below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

export type Pool = pg.Pool;
export type Client = pg.PoolClient;
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * How long a new connection may take. pg waits without limit by default, so an address that
 * drops packets would hang a command for as long as the kernel keeps trying.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

export function createPool(databaseUrl: string, max = 6): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: 'overpay',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // An idle connection the server closes (restart, failover, DROP DATABASE) makes the pool
  // emit 'error'; unheard, that kills the process. pg drops the connection from the pool
  // itself, and the next query that needs one reconnects or fails where it is handled.
  pool.on('error', () => undefined);
  return pool;
}

const named = new Map<string, string>();

/** Text of the named statement sql/queries/NAME.sql, read once. */
export function sql(name: string): string {
  let text = named.get(name);
  if (text === undefined) {
    text = readFileSync(join(SQL_DIR, 'queries', `${name}.sql`), 'utf8');
    named.set(name, text);
  }
  return text;
}

/** Runs `work` inside one transaction on one connection; rolls back on any error. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    // A connection whose rollback failed is in an unknown state: destroy it, do not pool it.
    const broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: Error) => rollbackError,
    );
    client.release(broken);
    throw error;
  }
}
