import type { Operation } from '../operation';
import { findFileSystem } from '../operation';
import { paginate } from '../pagination';
import { describeFileSystem } from '../presenters';
import { bySeq, type FileSystemRecord } from '../records';
import { Constraints, PATTERNS, queryInteger, queryString } from '../validation';

/** EFS answers at most 100 file systems a page, MaxItems or not. */
const MAX_PAGE = 100;

/** GET /2015-02-01/file-systems?FileSystemId&CreationToken&Marker&MaxItems → 200 { Marker?, FileSystems, NextMarker? }. */
export const describeFileSystems: Operation = {
  name: 'DescribeFileSystems',
  method: 'GET',
  path: '/2015-02-01/file-systems',
  throttleStatus: 400,
  async run({ emulator, query }) {
    const constraints = new Constraints();
    const maxItems = queryInteger(query, 'MaxItems');
    constraints.range(maxItems, 'maxItems', { min: 1 });
    const marker = queryString(query, 'Marker');
    constraints.text(marker, 'marker', { min: 1, max: 128, pattern: PATTERNS.anyText });
    const creationToken = queryString(query, 'CreationToken');
    constraints.text(creationToken, 'creationToken', { min: 1, max: 64, pattern: PATTERNS.anyText });
    const fileSystemId = queryString(query, 'FileSystemId');
    constraints.text(fileSystemId, 'fileSystemId', { max: 128, pattern: PATTERNS.fileSystemId });
    constraints.throwIfAny();

    let matching: FileSystemRecord[];
    if (fileSystemId !== undefined) {
      const record = findFileSystem(emulator, fileSystemId);
      matching = creationToken === undefined || record.creationToken === creationToken ? [record] : [];
    } else if (creationToken !== undefined) {
      const record = emulator.store.fileSystemByCreationToken(creationToken);
      matching = record ? [record] : [];
    } else {
      matching = [...emulator.store.fileSystems.values()].sort(bySeq);
    }
    const page = paginate(matching, (record) => record.seq, {
      kind: 'file-systems',
      token: marker,
      pageSize: Math.min(maxItems ?? MAX_PAGE, MAX_PAGE),
      parameter: 'Marker',
    });
    const now = emulator.now();
    return {
      status: 200,
      body: {
        ...(marker === undefined ? {} : { Marker: marker }),
        FileSystems: page.items.map((record) => describeFileSystem(emulator, record, now)),
        ...(page.next === undefined ? {} : { NextMarker: page.next }),
      },
    };
  },
};
