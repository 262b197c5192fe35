import { findTaggable, type Operation } from '../operation';
import { mergeTags, readTags } from '../tags';
import { BodyReader, Constraints, PATTERNS } from '../validation';

/** POST /2015-02-01/resource-tags/{ResourceId} { Tags } → 200, no body. Same keys are overwritten. */
export const tagResource: Operation = {
  name: 'TagResource',
  method: 'POST',
  path: '/2015-02-01/resource-tags/{ResourceId}',
  throttleStatus: 400,
  async run({ emulator, params, body }) {
    const resourceId = params.ResourceId ?? '';
    const input = BodyReader.of(body);
    const constraints = new Constraints();
    constraints.text(resourceId, 'resourceId', { max: 128, pattern: PATTERNS.resourceId });
    const tags = readTags(input, constraints);
    constraints.required(tags, 'tags');
    constraints.throwIfAny();
    const record = findTaggable(emulator, resourceId);
    record.tags = mergeTags(record.tags, tags ?? []);
    await emulator.commit();
    return { status: 200 };
  },
};
