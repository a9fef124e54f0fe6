import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The one logger of a process: JSON, one event per line, constant messages with variables in
 * fields. Customer names, e-mails and addresses never reach it; ids and amounts may.
 */
export function createLogger(level: string, destination = 2): Logger {
  return pino(
    { level, base: { service: 'overpay' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: destination, sync: true }),
  );
}
