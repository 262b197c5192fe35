import type { JsonObject } from '../../sdk/json';

/** A catalog that exercises every flag the SDK enforces. */
export const SERVICE_ID = 'svc-test-0001';
export const PLAN_SMALL = 'plan-small-0001';
export const PLAN_LARGE = 'plan-large-0001';
export const PLAN_FIXED = 'plan-fixed-0001';
export const PLAN_ASYNC = 'plan-async-0001';
export const PLAN_NOBIND = 'plan-nobind-0001';
export const OTHER_SERVICE_ID = 'svc-other-0001';
export const OTHER_PLAN = 'plan-other-0001';

const DRAFT04 = 'http://json-schema.org/draft-04/schema#';

export function testCatalog(): JsonObject {
  return {
    services: [
      {
        id: SERVICE_ID,
        name: 'test-db',
        description: 'A test service',
        bindable: true,
        instances_retrievable: true,
        bindings_retrievable: true,
        allow_context_updates: true,
        plan_updateable: true,
        tags: ['test'],
        plans: [
          {
            id: PLAN_SMALL,
            name: 'small',
            description: 'small plan',
            binding_rotatable: true,
            maintenance_info: { version: '1.0.0' },
            schemas: {
              service_instance: {
                create: {
                  parameters: {
                    $schema: DRAFT04,
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1, maximum: 10 }, name: { type: 'string' } },
                    additionalProperties: false,
                  },
                },
                update: {
                  parameters: {
                    $schema: DRAFT04,
                    type: 'object',
                    properties: { size: { type: 'integer', minimum: 1, maximum: 10 } },
                  },
                },
              },
              service_binding: {
                create: {
                  parameters: {
                    $schema: 'http://json-schema.org/draft-07/schema#',
                    type: 'object',
                    properties: { read_only: { type: 'boolean' } },
                    additionalProperties: false,
                  },
                },
              },
            },
          },
          { id: PLAN_LARGE, name: 'large', description: 'large plan', maintenance_info: { version: '1.0.0' } },
          { id: PLAN_FIXED, name: 'fixed', description: 'a plan that cannot change', plan_updateable: false },
          { id: PLAN_ASYNC, name: 'async', description: 'provisions asynchronously', maximum_polling_duration: 3600 },
          { id: PLAN_NOBIND, name: 'nobind', description: 'not bindable', bindable: false },
        ],
      },
      {
        id: OTHER_SERVICE_ID,
        name: 'other',
        description: 'Another service',
        bindable: false,
        plans: [{ id: OTHER_PLAN, name: 'only', description: 'the only plan' }],
      },
    ],
  };
}
