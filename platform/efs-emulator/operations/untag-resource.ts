import { findTaggable, type Operation } from '../operation';
import { Constraints, PATTERNS } from '../validation';

/** DELETE /2015-02-01/resource-tags/{ResourceId}?tagKeys=K&tagKeys=… → 200, no body. Keys that are not there are ignored. */
export const untagResource: Operation = {
  name: 'UntagResource',
  method: 'DELETE',
  path: '/2015-02-01/resource-tags/{ResourceId}',
  throttleStatus: 400,
  async run({ emulator, params, query }) {
    const resourceId = params.ResourceId ?? '';
    const constraints = new Constraints();
    constraints.text(resourceId, 'resourceId', { max: 128, pattern: PATTERNS.resourceId });
    const keys = query.getAll('tagKeys');
    if (constraints.required(keys.length > 0 ? keys : undefined, 'tagKeys')) {
      constraints.listSize(keys, 'tagKeys', { min: 1, max: 50 });
      keys.forEach((key, index) => constraints.text(key, `tagKeys.${index + 1}.member`, { min: 1, max: 128, pattern: PATTERNS.tagKey }));
    }
    constraints.throwIfAny();
    const record = findTaggable(emulator, resourceId);
    const remove = new Set(keys);
    record.tags = record.tags.filter((tag) => !remove.has(tag.Key));
    await emulator.commit();
    return { status: 200 };
  },
};
