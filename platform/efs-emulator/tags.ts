import { badRequest } from './errors';
import { PATTERNS, type BodyReader, type Constraints } from './validation';

export interface Tag {
  Key: string;
  Value: string;
}

/** AWS's limit of user tags on one resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

/** Reads a `Tags` list member; its constraints go into `constraints`. */
export function readTags(reader: BodyReader, constraints: Constraints, member = 'Tags', path = 'tags'): Tag[] | undefined {
  const items = reader.structureList(member);
  if (items === undefined) return undefined;
  return items.map((item, index) => {
    const key = item.string('Key');
    const value = item.string('Value');
    const itemPath = `${path}.${index + 1}.member`;
    if (constraints.required(key, `${itemPath}.key`)) constraints.text(key, `${itemPath}.key`, { min: 1, max: 128, pattern: PATTERNS.tagKey });
    if (constraints.required(value, `${itemPath}.value`)) constraints.text(value, `${itemPath}.value`, { max: 256, pattern: PATTERNS.tagValue });
    return { Key: key ?? '', Value: value ?? '' };
  });
}

/** The tags of a resource after `added` are put on it: same keys are overwritten, order kept. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  for (const tag of added) {
    if (seen.has(tag.Key)) throw badRequest(`Duplicate tag key '${tag.Key}' in the request`);
    seen.add(tag.Key);
  }
  const merged = existing.map((tag) => added.find((next) => next.Key === tag.Key) ?? tag);
  for (const tag of added) if (!existing.some((old) => old.Key === tag.Key)) merged.push(tag);
  if (merged.length > MAX_TAGS_PER_RESOURCE) throw badRequest(`A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would leave ${merged.length}`);
  return merged.map((tag) => ({ ...tag }));
}

/** The value of the `Name` tag, which EFS also reports as the resource's Name. */
export const nameTag = (tags: readonly Tag[]): string | undefined => tags.find((tag) => tag.Key === 'Name')?.Value;
