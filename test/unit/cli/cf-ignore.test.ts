import { IgnoreRules } from '../../../cli/cf-ignore';

/** .cfignore as cf reads it: .gitignore's rules on top of cf's defaults. */
describe('IgnoreRules', () => {
  const kept = (rules: IgnoreRules, paths: Array<[string, boolean?]>): string[] =>
    paths.filter(([path, isDirectory]) => !rules.ignores(path, isDirectory ?? false)).map(([path]) => path);

  test("cf's defaults: version control, the manifest at the top, the ignore files", () => {
    const rules = IgnoreRules.from(undefined);
    expect(kept(rules, [['.git', true], ['sub/.git', true], ['.cfignore'], ['.gitignore'], ['manifest.yml'], ['sub/manifest.yml'], ['.DS_Store'], ['app.js'], ['.svn', true], ['.hg', true], ['_darcs', true]]))
      .toEqual(['sub/manifest.yml', 'app.js']);
  });

  test('names anywhere, anchored paths, directory-only patterns, negation, globs and **', () => {
    const rules = IgnoreRules.from([
      '# comment', '', '*.log', '!keep.log', '/tmp', 'build/', 'docs/*.md', 'cache/**', '**/secret?.txt', 'a/**/z', 'x[0-9].bin', 'spaced  ',
    ].join('\n'));
    expect(kept(rules, [
      ['app.log'], ['sub/app.log'], ['keep.log'], ['sub/keep.log'],
      ['tmp', true], ['sub/tmp', true],
      ['build', true], ['build'], ['sub/build', true],
      ['docs/a.md'], ['docs/sub/a.md'],
      ['cache/x'], ['cache/deep/x'], ['cache', true],
      ['secret1.txt'], ['deep/er/secret2.txt'], ['secret10.txt'],
      ['a/z'], ['a/b/c/z'], ['b/a/z'],
      ['x5.bin'], ['xa.bin'],
      ['spaced'],
      ['# comment'],
    ])).toEqual(['keep.log', 'sub/keep.log', 'sub/tmp', 'build', 'docs/sub/a.md', 'cache', 'secret10.txt', 'b/a/z', 'xa.bin', '# comment']);
  });

  test('a .cfignore may take a default back', () => {
    expect(IgnoreRules.from('!/manifest.yml').ignores('manifest.yml', false)).toBe(false);
  });
});
