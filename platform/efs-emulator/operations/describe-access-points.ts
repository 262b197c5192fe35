import { badRequest } from '../errors';
import { findAccessPoint, findFileSystem, type Operation } from '../operation';
import { paginate } from '../pagination';
import { describeAccessPoint } from '../presenters';
import { bySeq, type AccessPointRecord } from '../records';
import { Constraints, PATTERNS, queryInteger, queryString } from '../validation';

const DEFAULT_PAGE = 100;

/**
 * GET /2015-02-01/access-points?AccessPointId|FileSystemId&MaxResults&NextToken →
 * 200 { AccessPoints, NextToken? }. AccessPointId and FileSystemId exclude each other; with
 * neither, every access point of the account is listed.
 */
export const describeAccessPoints: Operation = {
  name: 'DescribeAccessPoints',
  method: 'GET',
  path: '/2015-02-01/access-points',
  throttleStatus: 400,
  async run({ emulator, query }) {
    const constraints = new Constraints();
    const maxResults = queryInteger(query, 'MaxResults');
    constraints.range(maxResults, 'maxResults', { min: 1 });
    const nextToken = queryString(query, 'NextToken');
    constraints.text(nextToken, 'nextToken', { min: 1, max: 128, pattern: PATTERNS.anyText });
    const accessPointId = queryString(query, 'AccessPointId');
    constraints.text(accessPointId, 'accessPointId', { max: 128, pattern: PATTERNS.accessPointId });
    const fileSystemId = queryString(query, 'FileSystemId');
    constraints.text(fileSystemId, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    constraints.throwIfAny();

    if (accessPointId !== undefined && fileSystemId !== undefined) throw badRequest('AccessPointId and FileSystemId cannot both be given');
    let matching: AccessPointRecord[];
    if (accessPointId !== undefined) matching = [findAccessPoint(emulator, accessPointId)];
    else if (fileSystemId !== undefined) matching = emulator.store.accessPointsOf(findFileSystem(emulator, fileSystemId).fileSystemId);
    else matching = [...emulator.store.accessPoints.values()].sort(bySeq);

    const page = paginate(matching, (record) => record.seq, { kind: 'access-points', token: nextToken, pageSize: maxResults ?? DEFAULT_PAGE, parameter: 'NextToken' });
    const now = emulator.now();
    return {
      status: 200,
      body: {
        AccessPoints: page.items.map((record) => describeAccessPoint(emulator, record, now)),
        ...(page.next === undefined ? {} : { NextToken: page.next }),
      },
    };
  },
};
