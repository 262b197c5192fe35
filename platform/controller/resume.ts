import { removeApp } from './app-lifecycle';
import { resumeBindingJob, forgetBinding } from './binding-operations';
import { removeBroker, synchronizeNewBroker } from './broker-registration';
import type { ControllerDeps } from './deps';
import { JobFailure, apiErrors } from './errors';
import { forgetInstance, resumeInstanceJob } from './instance-operations';
import type { JobWork } from './jobs';
import type { JobRecord, OrphanMitigationRecord } from './records';

/**
 * What a controller does on start with the work a previous process left unfinished.
 * Jobs are resumed: a broker operation that was being polled is polled again; a request
 * whose answer was lost counts as failed (creates are orphan-mitigated, deletes are sent
 * again, which brokers answer with 410 if they already did them). A broker update is the
 * exception: its new credentials were never written down, so it fails, having changed nothing.
 */

function workFor(deps: ControllerDeps, job: JobRecord): JobWork {
  switch (job.operation) {
    case 'service_broker.catalog.synchronize':
      return (running) => synchronizeNewBroker(deps, job.resourceGuid, running);
    case 'service_broker.update':
      return async () => {
        throw JobFailure.of(apiErrors.unprocessable('The controller restarted before the broker update finished; nothing was changed. Send the update again.'));
      };
    case 'service_broker.delete':
      return () => removeBroker(deps, job.resourceGuid);
    case 'service_instance.create':
    case 'service_instance.update':
    case 'service_instance.delete':
      return (running) => resumeInstanceJob(deps, running);
    case 'service_bindings.create':
    case 'service_bindings.delete':
      return (running) => resumeBindingJob(deps, running);
    case 'app.delete':
      return (running) => removeApp(deps, job.resourceGuid, running);
  }
}

export function resumeJobs(deps: ControllerDeps): number {
  const jobs = deps.store.jobs.processing();
  for (const job of jobs) {
    deps.logger.info({ job: job.guid, operation: job.operation, resource: job.resourceGuid }, 'resuming a job left unfinished by a previous controller');
    deps.jobs.run(job, workFor(deps, job));
  }
  return jobs.length;
}

/** A mitigation of a failed delete that the broker finally confirmed completes that delete. */
export function finishMitigatedDelete(deps: ControllerDeps, mitigation: OrphanMitigationRecord): void {
  if (mitigation.purpose !== 'delete') return;
  const { store } = deps;
  if (mitigation.kind === 'binding') {
    if (mitigation.bindingGuid !== null && store.bindings.get(mitigation.bindingGuid)) forgetBinding(deps, mitigation.bindingGuid);
    return;
  }
  if (!store.instances.get(mitigation.instanceGuid)) return;
  if (store.bindings.ofInstance(mitigation.instanceGuid).length > 0) {
    deps.logger.warn({ instance: mitigation.instanceGuid }, 'the broker confirmed the deprovision but the instance has bindings again; keeping its record');
    return;
  }
  forgetInstance(deps, mitigation.instanceGuid);
}
