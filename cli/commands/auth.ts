import type { Command } from 'commander';
import { ApiError, ControllerApi, NOT_LOGGED_IN } from '../api';
import { describeTarget, logIn, resolveTarget } from '../login';
import { ok, printJson, step } from '../output';
import { promptLine, readPassword } from '../prompt';
import { clearSession, forgetTarget, loadSession, loadTargetApi, normalizeApi, saveSession, saveTargetApi } from '../session';
import { DEFAULT_API, api, apiOverride, apiUrl, currentSession, type GlobalOptions } from './shared';

interface LoginOptions {
  api?: string;
  username?: string;
  password?: string;
  passwordFile?: string;
  org?: string;
  space?: string;
}

/** An API URL as given on the command line: http(s) only, without trailing slashes. */
function readApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ApiError(`${JSON.stringify(text)} is not a URL: give the API as http://HOST:PORT or https://HOST.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ApiError(`The API URL must start with http:// or https://, not ${url.protocol}//.`);
  return normalizeApi(url.toString());
}

export function registerAuthCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('api')
    .description(`Show or set the API the CLI talks to; kept in $OSBKIT_HOME/config.json ($OSBKIT_API overrides it; default ${DEFAULT_API})`)
    .argument('[url]', 'the API to target, e.g. http://127.0.0.1:9100 (the login of another API is dropped)')
    .option('--unset', 'forget the targeted API and its login')
    .action(async (url: string | undefined, options: { unset?: boolean }) => {
      if (options.unset) {
        step('Unsetting API endpoint...');
        forgetTarget();
        ok('OK', globals());
        return;
      }
      if (url !== undefined) {
        const target = readApiUrl(url);
        step(`Setting API endpoint to ${target}...`);
        const version = await ControllerApi.version(target);
        saveTargetApi(target);
        const override = apiOverride();
        if (override !== undefined && normalizeApi(override) !== target) {
          step(`Warning: OSBKIT_API=${override} overrides this target while it is set.`);
        }
        if (globals().json) return printJson({ api: target, api_version: version, source: 'config', logged_in: currentSession() !== undefined });
        console.log(['OK', '', `API endpoint:   ${target}`, `API version:    ${version}`, ...loginLine()].join('\n'));
        return;
      }
      const fromEnvironment = apiOverride() !== undefined;
      const stored = loadTargetApi();
      const source = fromEnvironment ? 'OSBKIT_API' : stored !== undefined ? 'config' : 'default';
      if (globals().json) return printJson({ api: apiUrl(), source, logged_in: currentSession() !== undefined });
      if (source === 'default') {
        console.log(`No API endpoint set; the CLI uses ${DEFAULT_API}, where 'osbkit up' serves by default. Use 'osbkit api URL' to set one.`);
        return;
      }
      console.log([`API endpoint:   ${apiUrl()}${fromEnvironment ? ' (from $OSBKIT_API)' : ''}`, ...loginLine()].join('\n'));
    });

  program
    .command('login')
    .description('Log in to the API; the token is kept in $OSBKIT_HOME/config.json (mode 0600)')
    .option('-a, --api <url>', "the API to log in to, and to target from now on (default: $OSBKIT_API, else the one set by 'osbkit api')")
    .option('-u, --username <name>', 'the user name (asked for when missing)')
    .option('-p, --password <password>', 'the password (visible in the process list: prefer the prompt, --password-file or $OSBKIT_PASSWORD)')
    .option('--password-file <file>', 'read the password from a file only its owner can read')
    .option('-o, --org <name>', 'the organization to target')
    .option('-s, --space <name>', 'the space to target')
    .action(async (options: LoginOptions) => {
      const url = options.api !== undefined ? readApiUrl(options.api) : apiUrl();
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

/** What `osbkit api` says about the login for the API it shows. */
function loginLine(): string[] {
  const session = currentSession();
  return session ? [`user:           ${session.username}`] : ["Not logged in. Use 'osbkit login' to log in."];
}
