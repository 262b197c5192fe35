import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StateStore } from './store/types';

/** What the operation runner reports when an operation ends. */
export interface OperationMetrics {
  finished(kind: string, state: 'succeeded' | 'failed'): void;
}

/**
 * Prometheus metrics for one broker. Each broker gets its own registry so several brokers
 * (or tests) in one process never collide.
 */
export class BrokerMetrics implements OperationMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'endpoint' | 'status'>;
  private readonly durations: Histogram<'endpoint'>;
  private readonly operations: Counter<'kind' | 'state'>;

  constructor(store: StateStore) {
    this.requests = new Counter({
      name: 'osb_requests_total',
      help: 'OSB requests by endpoint and HTTP status.',
      labelNames: ['endpoint', 'status'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'osb_request_duration_seconds',
      help: 'OSB request durations by endpoint.',
      labelNames: ['endpoint'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.operations = new Counter({
      name: 'osb_operations_total',
      help: 'Finished operations by kind and final state.',
      labelNames: ['kind', 'state'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'osb_operations_in_progress',
      help: 'Operations currently in progress, by resource type.',
      labelNames: ['type'],
      registers: [this.registry],
      async collect() {
        const pending = await store.listPending();
        this.set({ type: 'instance' }, pending.filter((p) => p.type === 'instance').length);
        this.set({ type: 'binding' }, pending.filter((p) => p.type === 'binding').length);
      },
    });
  }

  observeRequest(endpoint: string, status: number, seconds: number): void {
    this.requests.inc({ endpoint, status: String(status) });
    this.durations.observe({ endpoint }, seconds);
  }

  finished(kind: string, state: 'succeeded' | 'failed'): void {
    this.operations.inc({ kind, state });
  }
}
