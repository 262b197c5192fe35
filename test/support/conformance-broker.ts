import {
  inProgress,
  type BindRequest,
  type BindingView,
  type DeprovisionRequest,
  type FetchBindingResult,
  type FetchInstanceResult,
  type InProgress,
  type InstanceView,
  type ProvisionRequest,
  type ServiceBroker,
  type ServicePlan,
  type StepContext,
  type UnbindRequest,
  type UpdateRequest,
} from '../../sdk';
import { RecordingBroker } from './trivial-broker';

export type OperationKind = 'provision' | 'update' | 'deprovision' | 'bind' | 'unbind';
type AsyncKind = Exclude<OperationKind, 'provision'>;

/** What one call of a broker method received: the request and the step it ran as. */
export interface Received<T> {
  request: T;
  step: number;
  checkpoint: StepContext['checkpoint'];
}

/**
 * A RecordingBroker with more knobs, for the conformance suites. It keeps every request
 * object the SDK handed over (so a test can check `caller`, `haltedCheckpoint`,
 * `predecessor`, ...), can make update/deprovision/bind/unbind take several steps, can
 * fail a given kind at a given step, and can hold a kind until the test releases it.
 * Provisions of PLAN_ASYNC are multi-step already: RecordingBroker decides that.
 */
export class ConformanceBroker implements ServiceBroker {
  readonly recorder = new RecordingBroker();
  readonly received = {
    provision: [] as Array<Received<ProvisionRequest>>,
    update: [] as Array<Received<UpdateRequest>>,
    deprovision: [] as Array<Received<DeprovisionRequest>>,
    bind: [] as Array<Received<BindRequest>>,
    unbind: [] as Array<Received<UnbindRequest>>,
  };
  /** Kinds that answer "in progress" until their last step when the platform accepts async answers. */
  readonly asyncKinds = new Set<AsyncKind>();
  /** Seconds the broker asks the SDK to wait between the steps of those kinds. */
  stepSeconds = 0.01;
  requiresApp?: (plan: ServicePlan) => boolean;

  private readonly failures: Array<{ kind: OperationKind; step: number | undefined; error: Error }> = [];
  private readonly gates = new Map<OperationKind, { promise: Promise<void>; release: () => void }>();

  /** Every call, in order, as RecordingBroker writes them: `provision:<id>:<step>`, `bind:<bindingId>`, ... */
  get calls(): string[] {
    return this.recorder.calls;
  }

  /** How many steps a multi-step operation takes (PLAN_ASYNC provisions and the `asyncKinds`). */
  get asyncSteps(): number {
    return this.recorder.asyncSteps;
  }

  set asyncSteps(steps: number) {
    this.recorder.asyncSteps = steps;
  }

  /** Calls of one method; `bind` does not count `unbind` calls and `provision` not `deprovision`. */
  callsOf(kind: OperationKind): string[] {
    return this.calls.filter((call) => call.startsWith(`${kind}:`));
  }

  /** Throw `error` from the next call of `kind` (only at step `step` when given). */
  failOn(kind: OperationKind, error: Error, step?: number): void {
    this.failures.push({ kind, step, error });
  }

  /** Calls of `kind` wait until the returned function is called. */
  hold(kind: OperationKind): () => void {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    const gate = {
      promise,
      release: () => {
        if (this.gates.get(kind) === gate) this.gates.delete(kind);
        release();
      },
    };
    this.gates.set(kind, gate);
    return gate.release;
  }

  async provision(request: ProvisionRequest, ctx: StepContext) {
    this.received.provision.push({ request, step: ctx.step, checkpoint: ctx.checkpoint });
    await this.gates.get('provision')?.promise;
    this.throwIfScripted('provision', ctx.step, () => this.calls.push(`provision:${request.instanceId}:${ctx.step}`));
    return this.recorder.provision(request, ctx);
  }

  async update(request: UpdateRequest, ctx: StepContext) {
    this.received.update.push({ request, step: ctx.step, checkpoint: ctx.checkpoint });
    await this.gates.get('update')?.promise;
    const mark = () => this.calls.push(`update:${request.instance.instanceId}`);
    this.throwIfScripted('update', ctx.step, mark);
    const pending = this.pendingStep('update', request.acceptsIncomplete, ctx);
    if (pending) {
      mark();
      return pending;
    }
    return this.recorder.update(request);
  }

  async deprovision(request: DeprovisionRequest, ctx: StepContext) {
    this.received.deprovision.push({ request, step: ctx.step, checkpoint: ctx.checkpoint });
    await this.gates.get('deprovision')?.promise;
    const mark = () => this.calls.push(`deprovision:${request.instance.instanceId}`);
    this.throwIfScripted('deprovision', ctx.step, mark);
    const pending = this.pendingStep('deprovision', request.acceptsIncomplete, ctx);
    if (pending) {
      mark();
      return pending;
    }
    return this.recorder.deprovision(request);
  }

  async bind(request: BindRequest, ctx: StepContext) {
    this.received.bind.push({ request, step: ctx.step, checkpoint: ctx.checkpoint });
    await this.gates.get('bind')?.promise;
    const mark = () => this.calls.push(`bind:${request.bindingId}`);
    this.throwIfScripted('bind', ctx.step, mark);
    const pending = this.pendingStep('bind', request.acceptsIncomplete, ctx);
    if (pending) {
      mark();
      return pending;
    }
    return this.recorder.bind(request);
  }

  async unbind(request: UnbindRequest, ctx: StepContext) {
    this.received.unbind.push({ request, step: ctx.step, checkpoint: ctx.checkpoint });
    await this.gates.get('unbind')?.promise;
    const mark = () => this.calls.push(`unbind:${request.binding.bindingId}`);
    this.throwIfScripted('unbind', ctx.step, mark);
    const pending = this.pendingStep('unbind', request.acceptsIncomplete, ctx);
    if (pending) {
      mark();
      return pending;
    }
    return this.recorder.unbind(request);
  }

  async getInstance(instance: InstanceView): Promise<FetchInstanceResult> {
    return this.recorder.getInstance(instance);
  }

  async getBinding(binding: BindingView): Promise<FetchBindingResult> {
    return this.recorder.getBinding(binding);
  }

  private pendingStep(kind: AsyncKind, acceptsIncomplete: boolean, ctx: StepContext): InProgress | undefined {
    if (!this.asyncKinds.has(kind) || !acceptsIncomplete) return undefined;
    const done = typeof ctx.checkpoint === 'number' ? ctx.checkpoint : 0;
    if (done + 1 >= this.asyncSteps) return undefined;
    return inProgress({ checkpoint: done + 1, retryAfterSeconds: this.stepSeconds, description: `${kind} step ${done + 1}` });
  }

  private throwIfScripted(kind: OperationKind, step: number, mark: () => void): void {
    const index = this.failures.findIndex((f) => f.kind === kind && (f.step === undefined || f.step === step));
    if (index < 0) return;
    const [failure] = this.failures.splice(index, 1);
    mark();
    throw failure!.error;
  }
}
