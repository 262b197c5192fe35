/**
 * Which files of an app directory `osbkit push` leaves out, as cf does: its default list and
 * the directory's `.cfignore`, read with .gitignore's rules (`#` comments, `!` to take a
 * file back, `/` to anchor at the app directory, a trailing `/` for directories only, `*`,
 * `?`, `[...]` within one name and `**` across directories; the last matching line decides).
 */

/** cf's own list: version control, the manifest and the ignore files themselves. */
export const DEFAULT_IGNORES = ['.cfignore', '/manifest.yml', '.gitignore', '.git', '.hg', '.svn', '_darcs', '.DS_Store'];

interface Rule {
  negate: boolean;
  directoryOnly: boolean;
  pattern: RegExp;
}

const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/;

/** One glob as a regular expression over a path relative to the app directory. */
function globToRegExp(glob: string, anchored: boolean): RegExp {
  let source = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0;
      const followedBySlash = glob[i + 2] === '/';
      const atEnd = i + 2 === glob.length;
      if ((atStart || glob[i - 1] === '/') && (followedBySlash || atEnd)) {
        source += atEnd ? '.*' : '(?:.*/)?';
        i += followedBySlash ? 3 : 2;
        continue;
      }
      source += '[^/]*';
      i += 2;
      continue;
    }
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '\\' && i + 1 < glob.length) {
      i++;
      source += REGEX_SPECIAL.test(glob[i]!) ? `\\${glob[i]!}` : glob[i]!;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += REGEX_SPECIAL.test(c) ? `\\${c}` : c;
    i++;
  }
  return new RegExp(anchored ? `^${source}$` : `^(?:.*/)?${source}$`);
}

function parseLine(raw: string): Rule | undefined {
  let line = raw.replace(/(?<!\\)\s+$/, '');
  if (line === '' || line.startsWith('#')) return undefined;
  let negate = false;
  if (line.startsWith('!')) {
    negate = true;
    line = line.slice(1);
  } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
    line = line.slice(1);
  }
  const directoryOnly = line.endsWith('/');
  if (directoryOnly) line = line.replace(/\/+$/, '');
  const anchored = line.includes('/');
  line = line.replace(/^\/+/, '');
  if (line === '') return undefined;
  return { negate, directoryOnly, pattern: globToRegExp(line, anchored) };
}

export class IgnoreRules {
  private constructor(private readonly rules: readonly Rule[]) {}

  /** cf's defaults, then the lines of a .cfignore (which may take a default back with `!`). */
  static from(cfignore: string | undefined): IgnoreRules {
    const lines = [...DEFAULT_IGNORES, ...(cfignore ?? '').split(/\r?\n/)];
    return new IgnoreRules(lines.map(parseLine).filter((rule): rule is Rule => rule !== undefined));
  }

  /** `path` is relative to the app directory, with `/` between names. */
  ignores(path: string, isDirectory: boolean): boolean {
    let ignored = false;
    for (const rule of this.rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.pattern.test(path)) ignored = !rule.negate;
    }
    return ignored;
  }
}
