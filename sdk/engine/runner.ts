import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isOsbError, type OsbError } from '../errors';
import type { InstanceRecord, OperationRecord, StateStore, Versioned } from '../store/types';
import type { OperationMetrics } from '../metrics';
import { recordHaltedStep, withHaltFinished } from './halting';
import { describeTarget, isoTime, type AnyRecord } from './records';
import type { BoundSteps, StepAnswer } from './step';
import { StepRun, refFields } from './step-run';
import type { Target, Targets } from './targets';

/**
 * Drives operations of every kind alike: runs a step, persists the outcome with
 * compare-and-set, continues async work in the background, resumes operations a dead
 * process left behind, and lets a delete halt a create that is still running. What a step
 * means for each kind is in operations/, reached through the target's steps.
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

export type StepOutcome<R extends AnyRecord> =
  /** `gone`: the broker found the resource already deleted (it answered 410). */
  | { kind: 'succeeded'; record: R; gone?: boolean }
  | { kind: 'in progress'; record: R; retryAfterMs: number }
  /** `cause`: what the broker threw when it was not an OsbError, for the request's error log. */
  | { kind: 'failed'; record: R; error: OsbError | undefined; description: string; cause?: unknown; version?: number }
  /** A delete took this create over while the step ran. */
  | { kind: 'halted' }
  /** Another runner owns the operation now. */
  | { kind: 'lost' };

/** The outcomes that change the record. */
type Settled<R extends AnyRecord> = Extract<StepOutcome<R>, { record: R }>;

const TRANSIENT_BACKOFF_MAX_MS = 30_000;
const LOST = { kind: 'lost' } as const;

export class Runner {
  readonly owner = randomUUID();
  /**
   * Steps running in this process, by operation id, from the broker call until the outcome is
   * stored: their abort handle, and the timer that keeps their lease.
   */
  private readonly stepsInFlight = new Map<string, { run: StepRun; leaseTimer: NodeJS.Timeout }>();
  private readonly driving = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scanTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: StateStore,
    readonly targets: Targets,
    private readonly logger: Logger,
    private readonly options: RunnerOptions,
    private readonly metrics?: OperationMetrics,
  ) {}

  /**
   * Read-modify-write with compare-and-set, retried when another writer interleaves. `change`
   * returns undefined to leave the record as it is.
   */
  async mutate<R extends AnyRecord>(target: Target<R>, change: (record: R) => R | undefined, known?: Versioned<R>): Promise<Versioned<R> | undefined> {
    // `known` saves a read when the caller just wrote the record; a stale one only costs a retry.
    let current = known;
    for (let attempt = 0; attempt < 50; attempt++) {
      current ??= await target.load();
      if (!current) return undefined;
      const next = change(current.record);
      if (!next) return current;
      const version = await target.save(next, current.version);
      if (version !== undefined) return { record: next, version };
      current = undefined;
    }
    throw new Error(`could not update ${describeTarget(target.ref)}: too much contention`);
  }

  /**
   * Runs one step of the operation `opId`, which this runner must own, and persists what
   * happened. `instance`: a binding's instance as the request just read it (see binding-instance.ts).
   */
  async runStep<R extends AnyRecord>(target: Target<R>, opId: string, known?: Versioned<R>, instance?: InstanceRecord): Promise<StepOutcome<R>> {
    let current = known;
    if (!current) ({ found: current, instance } = await target.loadForStep());
    const op = current?.record.operation;
    if (!current || !op || op.id !== opId || op.state !== 'in progress' || op.owner !== this.owner) return LOST;

    const steps = target.steps(current.record);
    const run = new StepRun(this.logger, target.ref, op, Date.now());
    this.holdLeaseDuringStep(opId, run, () => this.renewLease(target, opId));
    try {
      const answer = await steps.call(current.record, run, instance);
      if (answer.kind === 'threw' && this.closed && run.aborted) {
        // Shutting down: the step gave up because we asked it to. Record nothing; the
        // operation stays in progress and resumes once its lease runs out.
        return LOST;
      }
      return await this.persistStep(target, steps, op, current, run, answer);
    } finally {
      clearInterval(this.stepsInFlight.get(opId)?.leaseTimer);
      this.stepsInFlight.delete(opId);
    }
  }

  private async persistStep<R extends AnyRecord>(
    target: Target<R>,
    steps: BoundSteps<R>,
    op: OperationRecord,
    current: Versioned<R>,
    run: StepRun,
    answer: StepAnswer<R>,
  ): Promise<StepOutcome<R>> {
    const now = Date.now();
    let outcome: StepOutcome<R> | undefined;
    const saved = await this.mutate(target, (record) => {
      // The change runs again after a lost compare-and-set: what an earlier try decided is void.
      outcome = undefined;
      const live = record.operation;
      if (!live || live.id !== op.id) {
        // A delete took over: keep what this step learned so the delete can clean it up.
        const halted = record.history.find((entry) => entry.id === op.id);
        if (!halted || halted.state !== 'in progress') return undefined;
        outcome = { kind: 'halted' };
        return recordHaltedStep(record, halted, answer, now);
      }
      if (live.owner !== this.owner) {
        outcome = LOST;
        return undefined;
      }
      const settled = this.settle(steps, record, live, answer, now);
      outcome = settled;
      return settled.record;
    }, current);
    if (!saved || !outcome) return LOST;
    // A refused first step restores the record from here without reading it again; the
    // version goes only with the record this very save wrote.
    if (outcome.kind === 'failed' && saved.record === outcome.record) outcome.version = saved.version;

    if (outcome.kind === 'succeeded' && outcome.gone) run.logger.info('the broker found the resource already gone');
    else if (answer.kind === 'threw') logRefusal(run.logger, answer.thrown);
    if (outcome.kind === 'succeeded' || outcome.kind === 'failed') this.metrics?.finished(op.kind, outcome.kind);
    return outcome;
  }

  /** What the broker's answer makes of the record whose operation `live` this runner owns. */
  private settle<R extends AnyRecord>(steps: BoundSteps<R>, record: R, live: OperationRecord, answer: StepAnswer<R>, now: number): Settled<R> {
    if (answer.kind === 'finished') return { kind: 'succeeded', record: answer.succeeded(record, now) };
    if (answer.kind === 'in progress') {
      const progress = answer.progress;
      const at = isoTime(now);
      const { retryAfterSeconds: _previousHint, transientFailures: _recovered, ...base } = live;
      const operation: OperationRecord = {
        ...base,
        attempts: live.attempts + 1,
        ...(progress.checkpoint !== undefined ? { checkpoint: progress.checkpoint } : {}),
        ...(progress.retryAfterSeconds !== undefined ? { retryAfterSeconds: progress.retryAfterSeconds } : {}),
        ...(progress.description !== undefined ? { description: progress.description } : {}),
        leaseUntil: now + this.options.leaseMs,
        updatedAt: at,
      };
      const retryAfterMs = progress.retryAfterSeconds !== undefined ? progress.retryAfterSeconds * 1000 : this.options.stepIntervalMs;
      return { kind: 'in progress', record: { ...steps.progressed(record, progress), operation, updatedAt: at }, retryAfterMs };
    }
    const error = isOsbError(answer.thrown) ? answer.thrown : undefined;
    if (error?.status === 410 && steps.deletes) return { kind: 'succeeded', record: steps.gone(record, now), gone: true };
    if (error?.status === 503 && live.async && live.attempts > 0) {
      // The backing service went down in the middle of accepted async work: wait and try
      // again. On the first step the platform is still waiting for an answer, so it gets
      // the 503 and decides for itself (orphan mitigation, retry).
      const failures = (live.transientFailures ?? 0) + 1;
      const retryAfterMs = Math.min(TRANSIENT_BACKOFF_MAX_MS, this.options.stepIntervalMs * 2 ** Math.min(failures - 1, 8));
      const operation: OperationRecord = {
        ...live,
        attempts: live.attempts + 1,
        transientFailures: failures,
        retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
        description: error.description,
        leaseUntil: now + this.options.leaseMs,
        updatedAt: isoTime(now),
      };
      return { kind: 'in progress', record: { ...record, operation }, retryAfterMs };
    }
    const description = error ? error.description : 'The operation failed because of an internal error in the service broker.';
    const failed = steps.failed(
      record,
      {
        description,
        ...(error?.instanceUsable !== undefined ? { instanceUsable: error.instanceUsable } : {}),
        ...(error?.updateRepeatable !== undefined ? { updateRepeatable: error.updateRepeatable } : {}),
      },
      now,
    );
    return { kind: 'failed', record: failed, error, description, ...(error ? {} : { cause: answer.thrown }) };
  }

  /** A step that runs long keeps its lease: it is renewed every third of the lease while the step runs. */
  private holdLeaseDuringStep(opId: string, run: StepRun, renewLease: () => Promise<void>): void {
    const leaseTimer = setInterval(() => void renewLease(), Math.max(50, this.options.leaseMs / 3));
    // Running steps keep the process busy by themselves; the timer must not.
    leaseTimer.unref();
    this.stepsInFlight.set(opId, { run, leaseTimer });
  }

  private async renewLease<R extends AnyRecord>(target: Target<R>, opId: string): Promise<void> {
    try {
      await this.mutate(target, (record) => {
        const op = record.operation;
        if (!op || op.id !== opId || op.owner !== this.owner || op.state !== 'in progress') return undefined;
        return { ...record, operation: { ...op, leaseUntil: Date.now() + this.options.leaseMs } };
      });
    } catch (error) {
      this.logger.warn({ err: error, operation: opId }, 'could not renew the operation lease');
    }
  }

  /** Continues an async operation in the background until it finishes, fails or is taken over. */
  drive<R extends AnyRecord>(target: Target<R>, opId: string, firstDelayMs: number): void {
    if (this.closed || this.driving.has(opId)) return;
    this.driving.add(opId);
    let storeFailures = 0;
    const loop = async (): Promise<void> => {
      try {
        // The wait before the first background step holds the lease like every later wait.
        await this.waitHoldingLease(target, opId, firstDelayMs);
        while (!this.closed) {
          let waitMs: number;
          try {
            const next = await this.driveOnce(target, opId);
            if (next === 'done') return;
            waitMs = next;
            storeFailures = 0;
          } catch (error) {
            // The store itself failed (e.g. its database is down): keep the operation and try
            // again later rather than leave it stuck in progress.
            storeFailures++;
            waitMs = Math.min(TRANSIENT_BACKOFF_MAX_MS, this.options.stepIntervalMs * 2 ** Math.min(storeFailures, 8));
            this.logger.warn({ err: error, operation: opId, ...refFields(target.ref), retryInMs: waitMs }, 'could not advance an operation; retrying');
          }
          await this.waitHoldingLease(target, opId, waitMs);
        }
      } finally {
        this.driving.delete(opId);
      }
    };
    void loop();
  }

  /**
   * A delete that halted a running create must wait until the create's current step is
   * recorded, or until its runner is known dead. Returns true while it must keep waiting.
   */
  async settleHaltedCreate<R extends AnyRecord>(target: Target<R>, record: R): Promise<boolean> {
    const halted = record.history[0];
    if (!halted || !haltsCreate(record)) return false;
    if (halted.owner === this.owner && this.stepsInFlight.has(halted.id)) return true;
    if (halted.leaseUntil !== undefined && halted.leaseUntil > Date.now() && halted.owner !== this.owner) return true;
    // Its runner is gone: the last recorded checkpoint is all there is to clean up.
    await this.mutate(target, (current) => {
      const entry = current.history.find((op) => op.id === halted.id);
      if (!entry || entry.state !== 'in progress') return undefined;
      return withHaltFinished(current, entry, Date.now());
    });
    return false;
  }

  /** One turn of the background loop: 'done', or how long to wait before the next turn. */
  private async driveOnce<R extends AnyRecord>(target: Target<R>, opId: string): Promise<'done' | number> {
    const { found: current, instance } = await target.loadForStep();
    const op = current?.record.operation;
    if (!current || !op || op.id !== opId || op.state !== 'in progress' || op.owner !== this.owner) return 'done';
    if (op.deadline !== undefined && Date.now() > op.deadline) {
      await this.failOperation(target, opId, 'The operation did not finish within the maximum polling duration.');
      return 'done';
    }
    if (target.steps(current.record).deletes && haltsCreate(current.record)) {
      if (await this.settleHaltedCreate(target, current.record)) return Math.min(250, this.options.stepIntervalMs);
      // Read afresh: settling the halted create may just have handed this delete its checkpoint.
      const settled = await this.runStep(target, opId);
      return settled.kind === 'in progress' ? settled.retryAfterMs : 'done';
    }
    // The step works on what this turn just read: one read of the store per step.
    const outcome = await this.runStep(target, opId, current, instance);
    return outcome.kind === 'in progress' ? outcome.retryAfterMs : 'done';
  }

  /** Sleeps between steps without letting the lease lapse, so no other replica takes over. */
  private async waitHoldingLease<R extends AnyRecord>(target: Target<R>, opId: string, ms: number): Promise<void> {
    const slice = Math.max(50, this.options.leaseMs / 3);
    let left = ms;
    while (left > 0 && !this.closed) {
      const chunk = Math.min(left, slice);
      await this.sleep(chunk);
      left -= chunk;
      if (left > 0) await this.renewLease(target, opId);
    }
  }

  /** Aborts the in-flight step of a create a delete halts, when it runs in this process. */
  abortLocal(opId: string): void {
    this.stepsInFlight.get(opId)?.run.abort(new Error('halted by a delete request'));
  }

  async failOperation<R extends AnyRecord>(target: Target<R>, opId: string, description: string): Promise<void> {
    let kind: string | undefined;
    await this.mutate(target, (record) => {
      const op = record.operation;
      if (!op || op.id !== opId || op.state !== 'in progress') return undefined;
      kind = op.kind;
      return target.steps(record).failed(record, { description }, Date.now());
    });
    if (kind) this.metrics?.finished(kind, 'failed');
  }

  /** Claims and continues every operation whose runner is gone (after a restart, or a dead replica). */
  async resumeOrphans(): Promise<number> {
    let resumed = 0;
    for (const pending of await this.store.listPending()) {
      const claimed = pending.type === 'instance'
        ? await this.resumeOrphan(this.targets.instance(pending.instanceId))
        : await this.resumeOrphan(this.targets.binding(pending.instanceId, pending.bindingId));
      if (claimed) resumed++;
    }
    return resumed;
  }

  private async resumeOrphan<R extends AnyRecord>(target: Target<R>): Promise<boolean> {
    const claimedId = await this.claimOrphan(target);
    if (!claimedId) return false;
    this.logger.info({ operation: claimedId, ...refFields(target.ref) }, 'resuming an operation left unfinished');
    this.drive(target, claimedId, 0);
    return true;
  }

  /** Takes over the target's operation when its runner is gone; returns its id then. */
  private async claimOrphan<R extends AnyRecord>(target: Target<R>): Promise<string | undefined> {
    let claimedId: string | undefined;
    await this.mutate(target, (record) => {
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
    return claimedId;
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
    for (const step of this.stepsInFlight.values()) step.run.abort(new Error('the broker is shutting down'));
    const deadline = Date.now() + 5000;
    while (this.stepsInFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const step of this.stepsInFlight.values()) clearInterval(step.leaseTimer);
  }
}

/** The record's delete halted a create whose end is not recorded yet. */
function haltsCreate(record: AnyRecord): boolean {
  const halted = record.history[0];
  return halted !== undefined && halted.haltRequested === true && halted.state === 'in progress';
}

function logRefusal(logger: Logger, thrown: unknown): void {
  if (isOsbError(thrown)) logger.warn({ status: thrown.status, description: thrown.description }, 'broker step refused');
  else logger.error({ err: thrown }, 'broker step failed unexpectedly');
}
