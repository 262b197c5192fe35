import { isPlainObject } from '../json';
import type { JsonObject, JsonValue } from '../json';

/**
 * Parameters derived from a plan's JSON schema: ones the schema surely refuses (for the
 * validation checks), and a second valid set that differs from the first (for the conflict
 * checks). Only what a schema states plainly is used; anything subtler is left alone.
 */

const UNKNOWN_KEY = 'osbkit-check-unknown';

function propertiesOf(schema: JsonObject): Array<[string, JsonObject]> {
  return isPlainObject(schema.properties)
    ? Object.entries(schema.properties).filter((entry): entry is [string, JsonObject] => isPlainObject(entry[1]))
    : [];
}

const WRONG_TYPE: Record<string, JsonValue> = { string: 12345, integer: 'not a number', number: 'not a number', boolean: 'not a boolean', object: 'not an object', array: 'not an array' };

/** Parameters the schema refuses and why, or undefined when the schema states nothing that sure. */
export function invalidParameters(schema: JsonObject | undefined, valid: JsonObject): { parameters: JsonObject; why: string } | undefined {
  if (!schema || schema.type !== 'object') return undefined;
  if (schema.additionalProperties === false && !propertiesOf(schema).some(([name]) => name === UNKNOWN_KEY)) {
    return { parameters: { ...valid, [UNKNOWN_KEY]: true }, why: `"${UNKNOWN_KEY}" is not a property the schema allows` };
  }
  for (const [name, property] of propertiesOf(schema)) {
    if (typeof property.type !== 'string' || !(property.type in WRONG_TYPE) || property.$ref !== undefined) continue;
    return { parameters: { ...valid, [name]: WRONG_TYPE[property.type]! }, why: `"${name}" must be of type ${property.type}` };
  }
  const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
  const dropped = required.find((name) => name in valid);
  if (dropped) {
    const rest = { ...valid };
    delete rest[dropped];
    return { parameters: rest, why: `"${dropped}" is required` };
  }
  return undefined;
}

/** A second valid parameter set that differs from `valid` in one boolean property, or undefined. */
export function otherValidParameters(schema: JsonObject | undefined, valid: JsonObject): JsonObject | undefined {
  if (!schema || schema.type !== 'object') return undefined;
  for (const [name, property] of propertiesOf(schema)) {
    if (property.type !== 'boolean' || property.enum !== undefined || property.const !== undefined) continue;
    return { ...valid, [name]: valid[name] === true ? false : true };
  }
  return undefined;
}
