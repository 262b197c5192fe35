import { readPrivateFile } from './private-files';

/**
 * Asking a person at a terminal for a name or a password. Prompts go to stderr so stdout
 * stays clean for --json; a password is never echoed.
 */

/** A line typed at the terminal; with `hidden`, nothing is echoed. Ctrl-C ends the CLI. */
export function promptLine(question: string, hidden: boolean): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new Error('no terminal to prompt on'));
  process.stderr.write(question);
  return new Promise((resolve) => {
    let typed = '';
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');
    const finish = (): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(typed);
          return;
        }
        if (character === '\u0003') {
          finish();
          process.exit(130);
        }
        if (character === '\u007f' || character === '\b') {
          if (typed.length > 0) {
            typed = typed.slice(0, -1);
            if (!hidden) process.stderr.write('\b \b');
          }
          continue;
        }
        if (character < ' ') continue;
        typed += character;
        if (!hidden) process.stderr.write(character);
      }
    };
    input.on('data', onData);
  });
}

const MAX_PIPED_BYTES = 64 * 1024;

/** The first line of what is piped into the CLI (`osbkit login -u admin < file`); '' when nothing is. */
export async function readPipedLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    if (size > MAX_PIPED_BYTES) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/**
 * A password, from the first of: `password` (-p), `passwordFile`, the environment variable
 * named, a prompt at the terminal, or the first line piped in. -p is visible to anyone who
 * can list processes, so the others are preferred.
 */
export async function readPassword(
  options: { password?: string; passwordFile?: string; environmentVariable?: string },
  question: string,
): Promise<string> {
  if (options.password !== undefined) return options.password;
  if (options.passwordFile !== undefined) return readPrivateFile(options.passwordFile);
  const fromEnvironment = options.environmentVariable === undefined ? undefined : process.env[options.environmentVariable];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  const password = process.stdin.isTTY ? await promptLine(question, true) : await readPipedLine();
  if (password === '') {
    const sources = ['-p', '--password-file FILE', ...(options.environmentVariable ? [`$${options.environmentVariable}`] : [])];
    throw new Error(`No password given: use ${sources.join(', ')}, or type it when asked.`);
  }
  return password;
}
