import { ApiError } from '../../../platform/controller/errors';
import {
  Problems, objectBody, readInteger, readListQuery, readRelationship, readString, readStringArray, rejectUnknownFields,
} from '../../../platform/controller/request-validation';

function caught(work: () => unknown): ApiError {
  try {
    work();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('nothing thrown');
}

describe('request validation', () => {
  test('problems are collected and reported together as a 422', () => {
    const problems = new Problems();
    const body = { name: '', count: 2.5, tags: ['a', 3], extra: true };
    rejectUnknownFields(body, ['name', 'count', 'tags'], problems);
    readString(body, 'name', problems, { required: true });
    readInteger(body, 'count', problems, { min: 1, max: 3 });
    readStringArray(body, 'tags', problems);
    const error = caught(() => problems.throwIfAny());
    expect(error.status).toBe(422);
    expect(error.title).toBe('CF-UnprocessableEntity');
    expect(error.detail).toBe("Unknown field(s): 'extra'; 'name' must be a non-empty string; 'count' must be an integer from 1 to 3; 'tags' must be an array of non-empty strings");
  });

  test('strings: length and control characters', () => {
    const problems = new Problems();
    expect(readString({ a: 'x'.repeat(256) }, 'a', problems)).toBeUndefined();
    expect(readString({ a: 'line\nbreak' }, 'a', problems)).toBeUndefined();
    expect(readString({ a: 'line\nbreak' }, 'a', problems, { multiline: true })).toBe('line\nbreak');
    expect(readString({}, 'a', problems)).toBeUndefined();
    expect(problems.list).toEqual(["'a' must be at most 255 characters", "'a' must not contain control characters"]);
  });

  test('relationships', () => {
    const problems = new Problems();
    expect(readRelationship({ space: { data: { guid: 'g' } } }, 'space', problems, true)).toBe('g');
    expect(readRelationship({ space: { data: null } }, 'space', problems, true)).toBeUndefined();
    expect(readRelationship(undefined, 'app', problems, true)).toBeUndefined();
    expect(readRelationship(undefined, 'app', problems, false)).toBeUndefined();
    expect(problems.list).toEqual(["'relationships.space.data.guid' must be a non-empty string", "'relationships.app.data.guid' is required"]);
  });

  test('bodies must be JSON objects', () => {
    expect(caught(() => objectBody(undefined)).title).toBe('CF-MessageParseError');
    expect(caught(() => objectBody([1])).status).toBe(400);
    expect(objectBody({ a: 1 })).toEqual({ a: 1 });
  });

  test('list queries', () => {
    const query = readListQuery({ names: 'a, b,,c', per_page: '10', page: '2' }, ['names']);
    expect(query.filters.get('names')).toEqual(['a', 'b', 'c']);
    expect(query).toMatchObject({ page: 2, perPage: 10 });
    expect(caught(() => readListQuery({ colour: 'red' }, ['names'])).detail).toContain("Unknown query parameter(s): 'colour'");
    expect(caught(() => readListQuery({ names: ['a', 'b'] }, ['names'])).title).toBe('CF-BadQueryParameter');
    expect(caught(() => readListQuery({ per_page: '9999' }, [])).status).toBe(400);
  });
});
