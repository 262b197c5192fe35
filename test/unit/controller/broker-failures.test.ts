import { OsbTimeoutError } from '../../../sdk/client';
import { describeBrokerFailure } from '../../../platform/controller/osb-calls';

/** How a broker request that timed out reads in a job's error and a last_operation. */
describe('describeBrokerFailure for timeouts', () => {
  test.each([
    [60_000, 'The service broker did not answer the provision request within 60 seconds.'],
    [1000, 'The service broker did not answer the provision request within 1 second.'],
    [2500, 'The service broker did not answer the provision request within 2.5 seconds.'],
    [400, 'The service broker did not answer the provision request within 400 ms.'],
  ])('%i ms', (timeoutMs, detail) => {
    const error = describeBrokerFailure(new OsbTimeoutError('PUT /v2/service_instances/x', timeoutMs), 'provision');
    expect(error.toBody()).toEqual({ errors: [{ code: 10001, title: 'CF-ServiceBrokerApiTimeout', detail }] });
  });
});
