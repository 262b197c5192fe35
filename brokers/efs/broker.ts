import {
  answerFromStore, errors, type BindRequest, type BindResult, type DeprovisionRequest, type InProgress, type ProvisionRequest,
  type ProvisionResult, type ServiceBroker, type StepContext, type UnbindRequest, type UpdateRequest,
} from '../../sdk';
import { bindStep, unbindStep } from './bind';
import type { ResolvedEfsConfig } from './config';
import { deprovisionStep } from './deprovision';
import type { EfsApi } from './efs-api';
import { provisionStep } from './provision';

/**
 * The EFS volume broker: an instance is an EFS file system with a mount target in each
 * configured subnet, a binding is an access point. Provision and deprovision are asynchronous
 * SDK operations whose every step is safe to run again; the SDK persists their checkpoints
 * and resumes them after a restart. Each operation's logic lives in its own module.
 */
export class EfsVolumeBroker implements ServiceBroker {
  constructor(
    private readonly api: EfsApi,
    readonly config: ResolvedEfsConfig,
  ) {}

  provision(request: ProvisionRequest, ctx: StepContext): Promise<ProvisionResult | InProgress> {
    return provisionStep(this.api, this.config, request, ctx);
  }

  deprovision(request: DeprovisionRequest, ctx: StepContext): Promise<void | InProgress> {
    return deprovisionStep(this.api, this.config, request, ctx);
  }

  /**
   * Only a maintenance_info upgrade, which changes nothing on AWS: the performance mode is fixed
   * when a file system is made (plans are not updateable), and changing its throughput or
   * encryption is not offered.
   */
  async update(request: UpdateRequest): Promise<void> {
    if (request.parameters !== undefined && Object.keys(request.parameters).length > 0) {
      throw errors.unprocessable('An EFS instance has no parameters to change; create a new instance instead.', { instanceUsable: true, updateRepeatable: false });
    }
  }

  bind(request: BindRequest, ctx: StepContext): Promise<BindResult | InProgress> {
    return bindStep(this.api, this.config, request, ctx);
  }

  unbind(request: UnbindRequest): Promise<void> {
    return unbindStep(this.api, request);
  }

  requiresApp(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.api.destroy();
  }

  getInstance = answerFromStore.getInstance;
  getBinding = answerFromStore.getBinding;
}
