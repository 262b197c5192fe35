import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isInProgress, type StepContext } from '../broker';
import { isOsbError, type OsbError } from '../errors';
import type { InstanceRecord, OperationRecord, StateStore, Versioned } from '../store/types';
import type { JsonValue } from '../json';
import type { OperationMetrics } from '../metrics';
import { describeTarget, isoTime, replaceHistoryEntry, type AnyRecord, type TargetRef } from './records';
import { applyFailure, applySuccess, callBroker, checkBindResult, type StepDeps } from './steps';

/**
 * Drives operations: runs a step, persists the outcome with compare-and-set, continues async
 * work in the background, resumes operations a dead process left behind, and lets a delete
 * halt a create that is still running.
 */

export interface RunnerOptions {
  /** How long a runner's claim on an operation lasts without being renewed. */
  leaseMs: number;
  /** Pause between steps when the broker gives no retryAfterSeconds. */
  stepIntervalMs: number;
  /** How often to look for operations whose runner died. */
  scanIntervalMs: number;
  /** How long deleted instances and bindings are kept so last_operation can still answer. */
  retentionMs: number;
}

export type StepOutcome =
  /** `gone`: the broker found the resource already deleted (it answered 410). */
  | { kind: 'succeeded'; record: AnyRecord; gone?: boolean }
  | { kind: 'in progress'; record: AnyRecord; retryAfterMs: number }
  /** `cause`: what the broker threw when it was not an OsbError, for the request's error log. */
  | { kind: 'failed'; record: AnyRecord; error: OsbError | undefined; description: string; cause?: unknown }
  /** A delete took this create over while the step ran. */
  | { kind: 'halted' }
  /** Another runner owns the operation now. */
  | { kind: 'lost' };

const TRANSIENT_BACKOFF_MAX_MS = 30_000;

export class Runner {
  readonly owner = randomUUID();
  /**
   * Steps running in this process, by operation id, from the broker call until the outcome is
   * stored: their abort handle, and what the lease ticker needs to keep their lease.
   */
  private readonly stepsInFlight = new Map<string, StepRun>();
  private readonly driving = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scanTimer: NodeJS.Timeout | undefined;
  private leaseTicker: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: StepDeps & { metrics?: OperationMetrics },
    private readonly options: RunnerOptions,
  ) {}

  private get store(): StateStore {
    return this.deps.store;
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  async load(ref: TargetRef): Promise<Versioned<AnyRecord> | undefined> {
    return ref.type === 'instance'
      ? this.store.getInstance(ref.instanceId)
      : this.store.getBinding(ref.instanceId, ref.bindingId);
  }

  async save(record: AnyRecord, version: number | null): Promise<number | undefined> {
    return 'bindingId' in record ? this.store.putBinding(record, version) : this.store.putInstance(record as never, version);
  }

  /**
   * Read-modify-write with compare-and-set, retried when another writer interleaves. `change`
   * returns undefined to leave the record as it is.
   */
  async mutate(
    ref: TargetRef,
    change: (record: AnyRecord) => AnyRecord | undefined,
    known?: Versioned<AnyRecord>,
  ): Promise<Versioned<AnyRecord> | undefined> {
    // `known` saves a read when the caller just wrote the record; a stale one only costs a retry.
    let current = known;
    for (let attempt = 0; attempt < 50; attempt++) {
      current ??= await this.load(ref);
      if (!current) return undefined;
      const next = change(current.record);
      if (!next) return current;
      const version = await this.save(next, current.version);
      if (version !== undefined) return { record: next, version };
      current = undefined;
    }
    throw new Error(`could not update ${describeTarget(ref)}: too much contention`);
  }

  /** Runs one step of the operation `opId`, which this runner must own, and persists what happened. */
  async runStep(ref: TargetRef, opId: string, known?: Versioned<AnyRecord>, instanceHint?: InstanceRecord): Promise<StepOutcome> {
    const current = known ?? (await this.load(ref));
    const op = current?.record.operation;
    if (!current || !op || op.id !== opId || op.state !== 'in progress' || op.owner !== this.owner) return { kind: 'lost' };

    const ctx = new StepRun(this.logger, ref, op, Date.now());
    this.holdLeaseDuringStep(opId, ctx);
    let value: unknown;
    let thrown: unknown;
    let threw = false;
    try {
      value = await callBroker(this.deps, current.record, op, ctx, instanceHint);
    } catch (error) {
      thrown = error;
      threw = true;
    }
    try {
      return await this.persistStep(ref, opId, op, current, ctx, threw, thrown, value);
    } finally {
      this.stepsInFlight.delete(opId);
    }
  }

  private async persistStep(
    ref: TargetRef,
    opId: string,
    op: OperationRecord,
    current: Versioned<AnyRecord>,
    run: StepRun,
    threwInitially: boolean,
    thrownInitially: unknown,
    value: unknown,
  ): Promise<StepOutcome> {
    let threw = threwInitially;
    let thrown = thrownInitially;
    if (threw && this.closed && run.aborted) {
      // Shutting down: the step gave up because we asked it to. Record nothing; the
      // operation stays in progress and resumes once its lease runs out.
      return { kind: 'lost' };
    }
    const now = Date.now();

    if (!threw && !isInProgress(value) && op.kind === 'bind') {
      const requires = this.deps.catalog.offeringOfPlan(current.record.planId)?.requires ?? [];
      const problems = checkBindResult(value, requires);
      if (problems.length > 0) {
        thrown = new Error(`the broker's bind result is invalid: ${problems.join('; ')}`);
        threw = true;
      }
    }

    let outcome: StepOutcome | undefined;
    const saved = await this.mutate(ref, (record) => {
      const live = record.operation;
      if (!live || live.id !== opId) {
        // A delete took over: keep what this step learned so the delete can clean it up.
        const halted = record.history.find((entry) => entry.id === opId);
        if (!halted || halted.state !== 'in progress') return undefined;
        outcome = { kind: 'halted' };
        return recordHaltedStep(record, halted, threw, value, now);
      }
      if (live.owner !== this.owner) {
        outcome = { kind: 'lost' };
        return undefined;
      }
      if (threw) {
        const error = isOsbError(thrown) ? thrown : undefined;
        if (error?.status === 410 && (live.kind === 'deprovision' || live.kind === 'unbind')) {
          const done = applySuccess(record, live, undefined, now);
          outcome = { kind: 'succeeded', record: done, gone: true };
          return done;
        }
        if (error && error.status === 503 && live.async && live.attempts > 0) {
          // The backing service went down in the middle of accepted async work: wait and try
          // again. On the first step the platform is still waiting for an answer, so it gets
          // the 503 and decides for itself (orphan mitigation, retry).
          const failures = (live.transientFailures ?? 0) + 1;
          const retryAfterMs = Math.min(TRANSIENT_BACKOFF_MAX_MS, this.options.stepIntervalMs * 2 ** Math.min(failures - 1, 8));
          outcome = { kind: 'in progress', record, retryAfterMs };
          return {
            ...record,
            operation: {
              ...live,
              attempts: live.attempts + 1,
              transientFailures: failures,
              retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
              description: error.description,
              leaseUntil: now + this.options.leaseMs,
              updatedAt: isoTime(now),
            },
          };
        }
        const description = error ? error.description : 'The operation failed because of an internal error in the service broker.';
        const failed = applyFailure(
          record,
          live,
          {
            description,
            ...(error?.instanceUsable !== undefined ? { instanceUsable: error.instanceUsable } : {}),
            ...(error?.updateRepeatable !== undefined ? { updateRepeatable: error.updateRepeatable } : {}),
          },
          now,
        );
        outcome = { kind: 'failed', record: failed, error, description, ...(error ? {} : { cause: thrown }) };
        return failed;
      }
      if (isInProgress(value)) {
        const { retryAfterSeconds: _previousHint, transientFailures: _recovered, ...base } = live;
        const next: OperationRecord = {
          ...base,
          attempts: live.attempts + 1,
          ...(value.checkpoint !== undefined ? { checkpoint: value.checkpoint } : {}),
          ...(value.retryAfterSeconds !== undefined ? { retryAfterSeconds: value.retryAfterSeconds } : {}),
          ...(value.description !== undefined ? { description: value.description } : {}),
          leaseUntil: now + this.options.leaseMs,
          updatedAt: isoTime(now),
        };
        const dashboard = (live.kind === 'provision' || live.kind === 'update') && value.dashboardUrl ? { dashboardUrl: value.dashboardUrl } : {};
        const updated = { ...record, ...dashboard, operation: next, updatedAt: isoTime(now) };
        const retryAfterMs = value.retryAfterSeconds !== undefined ? value.retryAfterSeconds * 1000 : this.options.stepIntervalMs;
        outcome = { kind: 'in progress', record: updated, retryAfterMs };
        return updated;
      }
      const done = applySuccess(record, live, value, now);
      outcome = { kind: 'succeeded', record: done };
      return done;
    }, current);
    if (!saved || !outcome) return { kind: 'lost' };

    if (outcome.kind === 'succeeded' && outcome.gone) run.logger.info('the broker found the resource already gone');
    else if (threw && !isOsbError(thrown)) run.logger.error({ err: thrown }, 'broker step failed unexpectedly');
    else if (threw) run.logger.warn({ status: (thrown as OsbError).status, description: (thrown as OsbError).description }, 'broker step refused');
    if (outcome.kind === 'succeeded' || outcome.kind === 'failed') this.deps.metrics?.finished(op.kind, outcome.kind);
    return outcome;
  }

  /**
   * A step that runs long keeps its lease. One ticker serves every step in flight: most steps
   * end within microseconds, and a timer made and cleared per step is measurable on the hot
   * path. A step is renewed at the first tick after it has run a whole period, so its lease
   * is renewed at most two periods (two thirds of the lease) after it began.
   */
  private holdLeaseDuringStep(opId: string, step: StepRun): void {
    this.stepsInFlight.set(opId, step);
    if (this.leaseTicker || this.closed) return;
    const periodMs = Math.max(50, this.options.leaseMs / 3);
    this.leaseTicker = setInterval(() => {
      const now = Date.now();
      for (const [id, step] of this.stepsInFlight) {
        if (now - step.since >= periodMs) void this.renewLease(step.ref, id);
      }
    }, periodMs);
    // Running steps keep the process busy by themselves; the ticker must not.
    this.leaseTicker.unref();
  }

  private async renewLease(ref: TargetRef, opId: string): Promise<void> {
    try {
      await this.mutate(ref, (record) => {
        const op = record.operation;
        if (!op || op.id !== opId || op.owner !== this.owner || op.state !== 'in progress') return undefined;
        return { ...record, operation: { ...op, leaseUntil: Date.now() + this.options.leaseMs } };
      });
    } catch (error) {
      this.logger.warn({ err: error, operation: opId }, 'could not renew the operation lease');
    }
  }

  /** Continues an async operation in the background until it finishes, fails or is taken over. */
  drive(ref: TargetRef, opId: string, firstDelayMs: number): void {
    if (this.closed || this.driving.has(opId)) return;
    this.driving.add(opId);
    const loop = async (): Promise<void> => {
      try {
        // The wait before the first background step holds the lease like every later wait.
        await this.waitHoldingLease(ref, opId, firstDelayMs);
        while (!this.closed) {
          let waitMs: number;
          try {
            const next = await this.driveOnce(ref, opId);
            if (next === 'done') return;
            waitMs = next;
            storeFailures = 0;
          } catch (error) {
            // The store itself failed (e.g. its database is down): keep the operation and try
            // again later rather than leave it stuck in progress.
            storeFailures++;
            waitMs = Math.min(TRANSIENT_BACKOFF_MAX_MS, this.options.stepIntervalMs * 2 ** Math.min(storeFailures, 8));
            this.logger.warn({ err: error, operation: opId, ...refFields(ref), retryInMs: waitMs }, 'could not advance an operation; retrying');
          }
          await this.waitHoldingLease(ref, opId, waitMs);
        }
      } finally {
        this.driving.delete(opId);
      }
    };
    let storeFailures = 0;
    void loop();
  }

  /**
   * A delete that halted a running create must wait until the create's current step is
   * recorded, or until its runner is known dead. Returns true while it must keep waiting.
   */
  async settleHaltedCreate(ref: TargetRef, record: AnyRecord): Promise<boolean> {
    const halted = record.history[0];
    if (!halted || !halted.haltRequested || halted.state !== 'in progress') return false;
    if (halted.owner === this.owner && this.stepsInFlight.has(halted.id)) return true;
    if (halted.leaseUntil !== undefined && halted.leaseUntil > Date.now() && halted.owner !== this.owner) return true;
    // Its runner is gone: the last recorded checkpoint is all there is to clean up.
    await this.mutate(ref, (rec) => {
      const entry = rec.history.find((op) => op.id === halted.id);
      if (!entry || entry.state !== 'in progress') return undefined;
      return withHaltFinished(rec, entry, Date.now());
    });
    return false;
  }

  /** One turn of the background loop: 'done', or how long to wait before the next turn. */
  private async driveOnce(ref: TargetRef, opId: string): Promise<'done' | number> {
    const current = await this.load(ref);
    const op = current?.record.operation;
    if (!current || !op || op.id !== opId || op.state !== 'in progress' || op.owner !== this.owner) return 'done';
    if (op.deadline !== undefined && Date.now() > op.deadline) {
      await this.failOperation(ref, opId, 'The operation did not finish within the maximum polling duration.');
      return 'done';
    }
    if ((op.kind === 'deprovision' || op.kind === 'unbind') && (await this.settleHaltedCreate(ref, current.record))) {
      return Math.min(250, this.options.stepIntervalMs);
    }
    // Read afresh: settling a halted create may just have handed this delete its checkpoint.
    const outcome = await this.runStep(ref, opId);
    return outcome.kind === 'in progress' ? outcome.retryAfterMs : 'done';
  }

  /** Sleeps between steps without letting the lease lapse, so no other replica takes over. */
  private async waitHoldingLease(ref: TargetRef, opId: string, ms: number): Promise<void> {
    const slice = Math.max(50, this.options.leaseMs / 3);
    let left = ms;
    while (left > 0 && !this.closed) {
      const chunk = Math.min(left, slice);
      await this.sleep(chunk);
      left -= chunk;
      if (left > 0) await this.renewLease(ref, opId);
    }
  }

  /** Marks a create as halted, aborting its in-flight step when it runs in this process. */
  abortLocal(opId: string): void {
    this.stepsInFlight.get(opId)?.abort(new Error('halted by a delete request'));
  }

  async failOperation(ref: TargetRef, opId: string, description: string): Promise<void> {
    let kind: string | undefined;
    await this.mutate(ref, (record) => {
      const op = record.operation;
      if (!op || op.id !== opId || op.state !== 'in progress') return undefined;
      kind = op.kind;
      return applyFailure(record, op, { description }, Date.now());
    });
    if (kind) this.deps.metrics?.finished(kind, 'failed');
  }

  /** Claims and continues every operation whose runner is gone (after a restart, or a dead replica). */
  async resumeOrphans(): Promise<number> {
    let resumed = 0;
    for (const target of await this.store.listPending()) {
      const ref: TargetRef = target;
      let claimedId: string | undefined;
      await this.mutate(ref, (record) => {
        const op = record.operation;
        claimedId = undefined;
        if (!op || op.state !== 'in progress') return undefined;
        const ours = op.owner === this.owner;
        // Our own operation is orphaned only when nothing in this process drives it any more.
        if (ours && (this.driving.has(op.id) || this.stepsInFlight.has(op.id))) return undefined;
        if (op.leaseUntil !== undefined && op.leaseUntil > Date.now()) return undefined;
        claimedId = op.id;
        return { ...record, operation: { ...op, owner: this.owner, leaseUntil: Date.now() + this.options.leaseMs } };
      });
      if (claimedId) {
        this.logger.info({ operation: claimedId, ...refFields(ref) }, 'resuming an operation left unfinished');
        this.drive(ref, claimedId, 0);
        resumed++;
      }
    }
    return resumed;
  }

  startScanning(): void {
    if (this.scanTimer || this.closed) return;
    let lastPurge = 0;
    this.scanTimer = setInterval(() => {
      this.resumeOrphans().catch((error) => this.logger.warn({ err: error }, 'scan for unfinished operations failed'));
      // Deleted records answer last_operation for a while (the spec asks brokers not to
      // forget final states at once), then go.
      if (Date.now() - lastPurge > 60 * 60_000) {
        lastPurge = Date.now();
        this.store
          .purgeDeleted(new Date(Date.now() - this.options.retentionMs))
          .catch((error) => this.logger.warn({ err: error }, 'purging deleted records failed'));
      }
    }, this.options.scanIntervalMs);
    this.scanTimer.unref();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Stops background work. Operations stay recorded as in progress and resume on the next start. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scanTimer) clearInterval(this.scanTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const step of this.stepsInFlight.values()) step.abort(new Error('the broker is shutting down'));
    const deadline = Date.now() + 5000;
    while (this.stepsInFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (this.leaseTicker) clearInterval(this.leaseTicker);
    this.leaseTicker = undefined;
  }
}

/**
 * One step in flight: the StepContext the broker sees, the abort handle a delete or a
 * shutdown uses, and what the lease ticker needs. A class rather than an object literal with
 * getters, which V8 builds slowly; the AbortController and the scoped logger are made only
 * when a step asks for them, which most never do.
 */
class StepRun implements StepContext {
  declare checkpoint?: JsonValue;
  readonly operationId: string;
  readonly step: number;
  aborted = false;
  private controller: AbortController | undefined;
  private reason: unknown;
  private scoped: Logger | undefined;

  constructor(
    private readonly parentLogger: Logger,
    readonly ref: TargetRef,
    private readonly op: OperationRecord,
    readonly since: number,
  ) {
    this.operationId = op.id;
    this.step = op.attempts + 1;
    // Absent rather than undefined on a first step, as the broker API documents.
    if (op.checkpoint !== undefined) this.checkpoint = op.checkpoint;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get logger(): Logger {
    return (this.scoped ??= this.parentLogger.child({ operation: this.op.id, kind: this.op.kind, ...refFields(this.ref) }));
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

function recordHaltedStep(record: AnyRecord, halted: OperationRecord, threw: boolean, value: unknown, now: number): AnyRecord {
  let next = record;
  if (!threw && isInProgress(value) && value.checkpoint !== undefined) {
    next = replaceHistoryEntry(next, { ...halted, checkpoint: value.checkpoint });
  } else if (!threw && !isInProgress(value) && value && typeof value === 'object' && 'data' in value) {
    // The create finished just as it was halted: the delete must see what it made.
    next = { ...next, data: (value as { data: AnyRecord['data'] }).data };
  }
  const entry = next.history.find((op) => op.id === halted.id)!;
  return withHaltFinished(next, entry, now);
}

function withHaltFinished(record: AnyRecord, entry: OperationRecord, now: number): AnyRecord {
  const { owner: _o, leaseUntil: _l, ...rest } = entry;
  const finished: OperationRecord = {
    ...rest,
    state: 'failed',
    description: `Halted: a ${entry.kind === 'provision' ? 'deprovision' : 'unbind'} request arrived before it finished.`,
    updatedAt: isoTime(now),
  };
  const op = record.operation;
  // Hand the last checkpoint to the delete so it knows what the create had made.
  const operation = op && entry.checkpoint !== undefined
    ? { ...op, request: { ...op.request, haltedCheckpoint: entry.checkpoint } }
    : op;
  return { ...replaceHistoryEntry(record, finished), ...(operation ? { operation } : {}) };
}

function refFields(ref: TargetRef): Record<string, string> {
  return ref.type === 'instance' ? { instanceId: ref.instanceId } : { instanceId: ref.instanceId, bindingId: ref.bindingId };
}
