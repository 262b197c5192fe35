import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * Puts `body` under `heading` (a "## " line) in a Markdown file: replaces that section, up to
 * the next "## " heading, when it is there; appends it otherwise. Other sections stay as they are.
 */
export function writeDocsSection(path: string, heading: string, body: string): void {
  const section = `${heading}\n\n${body.trim()}\n`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const lines = current.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  let next: string;
  if (start === -1) {
    next = `${current.replace(/\n*$/, '')}\n\n${section}`;
  } else {
    let end = lines.findIndex((line, i) => i > start && /^## /.test(line));
    if (end === -1) end = lines.length;
    const before = lines.slice(0, start).join('\n').replace(/\n*$/, '');
    const after = lines.slice(end).join('\n').replace(/^\n*/, '');
    next = `${before}\n\n${section}${after ? `\n${after}` : ''}`;
  }
  writeFileSync(path, next.endsWith('\n') ? next : `${next}\n`);
}
