import { findTaggable, type Operation } from '../operation';
import { paginate } from '../pagination';
import { Constraints, PATTERNS, queryInteger, queryString } from '../validation';

const DEFAULT_PAGE = 100;

/** GET /2015-02-01/resource-tags/{ResourceId}?MaxResults&NextToken → 200 { Tags, NextToken? }. */
export const listTagsForResource: Operation = {
  name: 'ListTagsForResource',
  method: 'GET',
  path: '/2015-02-01/resource-tags/{ResourceId}',
  throttleStatus: 400,
  async run({ emulator, params, query }) {
    const resourceId = params.ResourceId ?? '';
    const constraints = new Constraints();
    constraints.text(resourceId, 'resourceId', { max: 128, pattern: PATTERNS.resourceId });
    const maxResults = queryInteger(query, 'MaxResults');
    constraints.range(maxResults, 'maxResults', { min: 1 });
    const nextToken = queryString(query, 'NextToken');
    constraints.text(nextToken, 'nextToken', { min: 1, max: 128, pattern: PATTERNS.anyText });
    constraints.throwIfAny();
    const record = findTaggable(emulator, resourceId);
    const indexed = record.tags.map((tag, index) => ({ tag, index }));
    const page = paginate(indexed, (entry) => entry.index, { kind: 'tags', token: nextToken, pageSize: maxResults ?? DEFAULT_PAGE, parameter: 'NextToken' });
    return {
      status: 200,
      body: { Tags: page.items.map((entry) => ({ ...entry.tag })), ...(page.next === undefined ? {} : { NextToken: page.next }) },
    };
  },
};
