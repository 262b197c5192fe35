import { ArchiveProblem, TarScanner, symlinkEscapes, type ArchiveSummary } from '../../../platform/controller/package-archive';
import { tarArchive, type TarMember } from '../../support/tar-archive';

const LIMITS = { unpackedBytes: 1024 * 1024, files: 100 };

/** Feeds the archive in small pieces, as a network would deliver it. */
function scan(archive: Buffer, limits = LIMITS, pieceBytes = 7): ArchiveSummary {
  const scanner = new TarScanner(limits);
  for (let offset = 0; offset < archive.length; offset += pieceBytes) {
    if (scanner.write(archive.subarray(offset, offset + pieceBytes))) break;
  }
  return scanner.finish();
}

function problem(members: TarMember[] | Buffer, limits = LIMITS): string {
  const archive = Buffer.isBuffer(members) ? members : tarArchive(members);
  try {
    scan(archive, limits);
  } catch (error) {
    if (error instanceof ArchiveProblem) return error.message;
    throw error;
  }
  throw new Error('the archive was accepted');
}

describe('TarScanner', () => {
  test('files, directories and links that stay inside are accepted, whatever the piece size', () => {
    const archive = tarArchive([
      { name: './', type: 'directory' },
      { name: './app.sh', content: 'echo hi\n', mode: 0o755 },
      { name: './lib/', type: 'directory' },
      { name: './lib/util.js', content: 'x'.repeat(1500) },
      { name: './bin/tool', type: 'symlink', linkname: '../lib/util.js' },
      { name: './same', type: 'symlink', linkname: '.' },
      { name: `./deep/${'d'.repeat(120)}/file`, content: 'long name through a pax header' },
    ]);
    for (const piece of [1, 7, 512, 100_000]) {
      expect(scan(archive, LIMITS, piece)).toEqual({ files: 3, directories: 1, symlinks: 2, bytes: 8 + 1500 + 30, length: archive.length - 1024 });
    }
  });

  test('an absolute name is refused', () => {
    expect(problem([{ name: '/tmp/pwned', content: 'x' }])).toBe("member '/tmp/pwned' is an absolute path");
  });

  test("'..' anywhere in a name is refused", () => {
    expect(problem([{ name: '../../escape', content: 'x' }])).toBe("member '../../escape' contains '..'");
    expect(problem([{ name: 'a/../../b', content: 'x' }])).toBe("member 'a/../../b' contains '..'");
  });

  test('a link out, and a file written through a link, are refused in either order', () => {
    expect(problem([{ name: 'out', type: 'symlink', linkname: '/etc' }])).toBe("member 'out' is a symbolic link to '/etc', which points outside the package");
    expect(problem([{ name: 'out', type: 'symlink', linkname: '../../..' }])).toBe("member 'out' is a symbolic link to '../../..', which points outside the package");
    expect(problem([{ name: 'in', type: 'symlink', linkname: 'sub' }, { name: 'in/file', content: 'x' }])).toBe("member 'in/file' would be written through the symbolic link 'in'");
    expect(problem([{ name: 'in/file', content: 'x' }, { name: 'in', type: 'symlink', linkname: 'sub' }])).toBe("member 'in/file' would be written through the symbolic link 'in'");
  });

  test('links that leave only by way of other links are refused, whatever their order', () => {
    const escape = "member 'b' is a symbolic link to 'a/..', which points outside the package";
    expect(problem([{ name: 'b', type: 'symlink', linkname: 'a/..' }, { name: 'a', type: 'symlink', linkname: '.' }])).toBe(escape);
    expect(problem([{ name: 'a', type: 'symlink', linkname: '.' }, { name: 'b', type: 'symlink', linkname: 'a/..' }])).toBe(escape);
    expect(problem([{ name: 'x', type: 'symlink', linkname: 'y' }, { name: 'y', type: 'symlink', linkname: 'x' }])).toMatch(/points outside the package/);
  });

  test('hard links, devices, FIFOs and setuid files are refused', () => {
    expect(problem([{ name: 'shadow', type: 'hardlink', linkname: '/etc/shadow' }])).toMatch(/^member 'shadow' is a hard link \(to '\/etc\/shadow'\); hard links are not accepted/);
    expect(problem([{ name: 'null', type: 'character-device' }])).toBe("member 'null' is a character device; only files, directories and symbolic links are accepted");
    expect(problem([{ name: 'pipe', type: 'fifo' }])).toBe("member 'pipe' is a FIFO; only files, directories and symbolic links are accepted");
    expect(problem([{ name: 'su', content: 'x', mode: 0o4755 }])).toBe("member 'su' has the setuid or setgid bit; such files are not accepted");
  });

  test('the limits on unpacked bytes and members are kept, before the data is read', () => {
    // The header alone claims the size: no data follows, so the refusal cannot wait for it.
    const claim = tarArchive([{ name: 'big', size: 2 * 1024 * 1024 }]).subarray(0, 512);
    expect(problem(claim)).toBe(`member 'big' takes the unpacked package past ${1024 * 1024} bytes, the most a package may hold`);
    const many = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    expect(problem(many, { unpackedBytes: 1024, files: 4 })).toBe('the archive holds more than 4 members, the most a package may hold');
  });

  test('duplicates, empty and non-tar uploads, truncation and corruption are refused with their reason', () => {
    expect(problem([{ name: 'a', content: 'x' }, { name: './a', content: 'y' }])).toBe("the archive holds './a' twice");
    expect(problem(Buffer.alloc(0))).toBe("the upload is empty; send the app's files as a tar archive");
    expect(problem(Buffer.from('PK\u0003\u0004 this is a zip'))).toBe('the upload is not a tar archive (ustar, pax or GNU; gzip-compressed or not)');
    expect(problem(Buffer.alloc(1024))).toBe('the archive holds no files');
    const archive = tarArchive([{ name: 'a', content: 'x'.repeat(2000) }]);
    expect(problem(archive.subarray(0, 1000))).toBe('the archive is truncated');
    const corrupt = Buffer.from(archive);
    corrupt[0] = 0x41;
    expect(problem(corrupt)).toBe('the upload is not a tar archive: its first header checksum is wrong');
  });

  test('nothing after the end marker is read', () => {
    const archive = tarArchive([{ name: 'a', content: 'x' }]);
    const trailing = Buffer.concat([archive, tarArchive([{ name: '/etc/passwd', content: 'x' }])]);
    expect(scan(trailing)).toMatchObject({ files: 1, length: 1024 });
  });
});

describe('symlinkEscapes', () => {
  test('resolves through the package\'s own links', () => {
    const links = new Map([['up', '..'], ['here', '.']]);
    expect(symlinkEscapes('a/b/link', '../../x', links)).toBe(false);
    expect(symlinkEscapes('a/b/link', '../../../x', links)).toBe(true);
    expect(symlinkEscapes('link', 'up/x', links)).toBe(true);
    expect(symlinkEscapes('link', 'here/here/x', links)).toBe(false);
    expect(symlinkEscapes('link', '/abs', links)).toBe(true);
  });
});
