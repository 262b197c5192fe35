import type { Command } from 'commander';
import { ApiError, ControllerApi, NOT_LOGGED_IN } from '../api';
import { describeTarget, logIn, resolveTarget } from '../login';
import { ok, printJson, step } from '../output';
import { promptLine, readPassword } from '../prompt';
import { clearSession, loadSession, normalizeApi, saveSession } from '../session';
import { api, apiUrl, currentSession, type GlobalOptions } from './shared';

interface LoginOptions {
  api?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  org?: string;
  space?: string;
}

export function registerAuthCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('login')
    .description('Log in to the API; the token is kept in $OSBKIT_HOME/config.json (mode 0600)')
    .option('-a, --api <url>', 'the API to log in to (default: $OSBKIT_API, or the last one)')
    .option('-u, --username <name>', 'the user name (asked for when missing)')
    .option('-p, --password <password>', 'the password (visible in the process list: prefer the prompt, --password-file or $OSBKIT_PASSWORD)')
    .option('--password-file <file>', 'read the password from a file only its owner can read')
    .option('-o, --org <name>', 'the organization to target')
    .option('-s, --space <name>', 'the space to target')
    .action(async (options: LoginOptions) => {
      const url = normalizeApi(options.api ?? apiUrl());
      const username = options.username ?? (process.stdin.isTTY ? await promptLine('Username> ', false) : undefined);
      if (!username) throw new ApiError('No user name given: use -u USER.');
      const password = await readPassword({ ...options, environmentVariable: 'OSBKIT_PASSWORD' }, 'Password> ');
      step(`API endpoint: ${url}`);
      step('Authenticating...');
      const session = await logIn(url, username, password, { ...(options.org ? { organization: options.org } : {}), ...(options.space ? { space: options.space } : {}) });
      if (globals().json) return printJson({ api: session.api, username: session.username, organization: session.organization ?? null, space: session.space ?? null });
      console.log(['OK', '', ...describeTarget(session)].join('\n'));
    });

  program
    .command('logout')
    .description('Log out: the token is revoked and removed from $OSBKIT_HOME')
    .action(async () => {
      const session = loadSession();
      if (!session) {
        ok('Not logged in.', globals());
        return;
      }
      step(`Logging out ${session.username}...`);
      try {
        await ControllerApi.revoke(normalizeApi(session.api), session.accessToken);
      } catch {
        step('The API could not be reached to revoke the token; it stays valid until it expires.');
      }
      clearSession();
      ok('OK', globals());
    });

  program
    .command('target')
    .description('Show or set the targeted organization and space')
    .option('-o, --org <name>', 'target this organization')
    .option('-s, --space <name>', 'target this space')
    .action(async (options: { org?: string; space?: string }) => {
      const session = currentSession();
      if (!session) throw new ApiError(NOT_LOGGED_IN);
      let current = session;
      if (options.org !== undefined || options.space !== undefined) {
        const wish = { ...(options.org ? { organization: options.org } : {}), ...(options.space ? { space: options.space } : {}) };
        const target = await resolveTarget(api(), wish);
        current = { api: session.api, accessToken: session.accessToken, expiresAt: session.expiresAt, username: session.username, ...target };
        saveSession(current);
      }
      if (globals().json) return printJson({ api: current.api, username: current.username, organization: current.organization ?? null, space: current.space ?? null });
      console.log(describeTarget(current).join('\n'));
    });
}
