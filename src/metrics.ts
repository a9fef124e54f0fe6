import { createServer, type Server } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { METRICS } from './vocabulary.ts';

/** The metrics of one process, registered on a registry of its own (tests run several). */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsProcessed = this.#counter(
    METRICS.eventsProcessed,
    'New ledger rows by event type',
    ['type'],
  );
  readonly eventsDuplicate = this.#counter(
    METRICS.eventsDuplicate,
    'Stream entries already in the ledger',
    [],
  );
  readonly deadLetters = this.#counter(METRICS.deadLetters, 'Stream entries dead-lettered', [
    'reason',
  ]);
  readonly casesOpened = this.#counter(
    METRICS.casesOpened,
    'Cases opened by rule and first state',
    ['rule', 'state'],
  );
  readonly creditsApplied = this.#counter(METRICS.creditsApplied, 'Auto-credit jobs by outcome', [
    'outcome',
  ]);
  readonly batchFailures = this.#counter(
    METRICS.batchFailures,
    'Batches rolled back by error code',
    ['code'],
  );
  readonly batchSeconds = new Histogram({
    name: METRICS.batchSeconds,
    help: 'Time to process one batch, read to acknowledgement',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly detectionLatency = new Histogram({
    name: METRICS.detectionLatency,
    help: 'Time from stream append to committed decision',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  constructor(withProcessMetrics = false) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  #counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** Serves /metrics on `port`; resolves once listening. */
  async serve(port: number, host = '127.0.0.1'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    return server;
  }
}
