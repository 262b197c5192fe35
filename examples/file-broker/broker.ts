import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  answerFromStore, errors, inProgress, type BindRequest, type BindResult, type DeprovisionRequest, type InProgress,
  type ProvisionRequest, type ProvisionResult, type ServiceBroker, type StepContext, type UnbindRequest,
} from '../../sdk';

/**
 * An example broker. Provisioning the "slow" plan writes one file per step, so an async
 * operation is visible on disk, survives a restart (the checkpoint says which step is next),
 * and can be halted by a deprovision. Ids become directory names, so only ids the SDK already
 * accepted (RFC 3986 unreserved characters) ever reach the file system.
 */
export interface FileBrokerOptions {
  root: string;
  /** Files written by an async provision of the slow plan. */
  slowSteps?: number;
  /** Pause the slow plan asks for between steps. */
  stepSeconds?: number;
}

const SLOW_PLAN = '9b2d4c1e-7f3a-4e8b-b6d5-2c1a0e9f8d02';

export class FileBroker implements ServiceBroker {
  private readonly slowSteps: number;
  private readonly stepSeconds: number;

  constructor(private readonly options: FileBrokerOptions) {
    this.slowSteps = options.slowSteps ?? 5;
    this.stepSeconds = options.stepSeconds ?? 1;
  }

  private dir(instanceId: string): string {
    return join(this.options.root, instanceId);
  }

  async provision(request: ProvisionRequest, ctx: StepContext): Promise<ProvisionResult | InProgress> {
    const dir = this.dir(request.instanceId);
    // Refuse before touching the disk: a refused request must leave nothing behind.
    if (request.plan.id === SLOW_PLAN && !request.acceptsIncomplete) throw errors.asyncRequired();
    await mkdir(dir, { recursive: true });
    if (request.plan.id !== SLOW_PLAN) return { data: { dir } };
    const done = typeof ctx.checkpoint === 'number' ? ctx.checkpoint : 0;
    // Writing the next file is idempotent, so repeating a step after a crash is harmless.
    await writeFile(join(dir, `step-${done + 1}`), `${new Date().toISOString()}\n`);
    if (done + 1 < this.slowSteps) {
      return inProgress({ checkpoint: done + 1, retryAfterSeconds: this.stepSeconds, description: `wrote ${done + 1} of ${this.slowSteps} files` });
    }
    return { data: { dir } };
  }

  async update(): Promise<void> {}

  async deprovision(request: DeprovisionRequest): Promise<void> {
    await rm(this.dir(request.instance.instanceId), { recursive: true, force: true });
  }

  async bind(request: BindRequest): Promise<BindResult> {
    const token = randomBytes(16).toString('hex');
    await writeFile(join(this.dir(request.instance.instanceId), `binding-${request.bindingId}`), token, { mode: 0o600 });
    return { credentials: { path: this.dir(request.instance.instanceId), token } };
  }

  async unbind(request: UnbindRequest): Promise<void> {
    const file = join(this.dir(request.instance.instanceId), `binding-${request.binding.bindingId}`);
    const present = (await readdir(this.dir(request.instance.instanceId)).catch((): string[] => [])).includes(`binding-${request.binding.bindingId}`);
    if (!present) throw errors.gone();
    await rm(file, { force: true });
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}
