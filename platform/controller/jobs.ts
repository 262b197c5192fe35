import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, JobFailure, apiErrors, type ErrorEntry } from './errors';
import type { JobOperation, JobRecord, ResourceType } from './records';
import { timestamp, type ControllerStore } from './store';

/**
 * Asynchronous work, as Cloud Controller's jobs: the request that starts it answers 202
 * with a Location to GET /v3/jobs/:guid, and the work runs in this process. A job's row is
 * written before the work starts, so a controller that dies leaves PROCESSING jobs behind
 * for the next start to resume.
 */

export interface JobSpec {
  operation: JobOperation;
  resourceType: ResourceType;
  resourceGuid: string;
  userId: string;
  payload?: Record<string, unknown>;
  warnings?: string[];
}

export interface RunningJob {
  record: JobRecord;
  /** Aborted when the controller shuts down; the job then stays PROCESSING for the next start. */
  signal: AbortSignal;
}

export type JobWork = (job: RunningJob) => Promise<void>;

const CLOSE_GRACE_MS = 2000;

export class JobRunner {
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly store: ControllerStore,
    private readonly logger: Logger,
  ) {}

  enqueue(spec: JobSpec, work: JobWork): JobRecord {
    const now = timestamp();
    const job: JobRecord = {
      guid: randomUUID(),
      operation: spec.operation,
      state: 'PROCESSING',
      errors: [],
      warnings: spec.warnings ?? [],
      resourceType: spec.resourceType,
      resourceGuid: spec.resourceGuid,
      userId: spec.userId,
      payload: spec.payload ?? {},
      createdAt: now,
      updatedAt: now,
    };
    this.store.jobs.insert(job);
    this.run(job, work);
    return job;
  }

  /** Runs the work of an existing PROCESSING job (a new one, or one resumed after a restart). */
  run(job: JobRecord, work: JobWork): void {
    const signal = this.abort.signal;
    const running: RunningJob = { record: job, signal };
    const task = (async () => {
      // Let the request that enqueued the job answer before the work takes the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        await work(running);
        this.finish(job, 'COMPLETE', []);
      } catch (error) {
        if (signal.aborted || !this.store.isOpen) return;
        this.finish(job, 'FAILED', this.errorsOf(job, error));
      }
    })();
    const tracked = task.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('the controller is shutting down'));
    // A broker request in flight cannot be cancelled; its job is resumed on the next start.
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
    ]);
  }

  private errorsOf(job: JobRecord, error: unknown): ErrorEntry[] {
    if (error instanceof JobFailure) return error.errors;
    if (error instanceof ApiError) return [error.entry];
    this.logger.error({ job: job.guid, operation: job.operation, err: error }, 'job failed with an unexpected error');
    return [apiErrors.unknown().entry];
  }

  private finish(job: JobRecord, state: 'COMPLETE' | 'FAILED', errors: ErrorEntry[]): void {
    if (this.abort.signal.aborted || !this.store.isOpen) return;
    const current = this.store.jobs.get(job.guid) ?? job;
    this.store.jobs.save({ ...current, state, errors, warnings: job.warnings, updatedAt: timestamp() });
    const line = { job: job.guid, operation: job.operation, resource: job.resourceGuid, state };
    if (state === 'FAILED') this.logger.warn({ ...line, errors: errors.map((e) => e.detail) }, 'job failed');
    else this.logger.info(line, 'job complete');
  }
}
