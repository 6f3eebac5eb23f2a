import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLMap, type Document } from 'yaml';
import { parseConfigText } from '../config/load.js';
import { nameRule } from '../config/names.js';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { WEB_ROLES, type WebRole } from '../web/access.js';
import { hashPassword } from '../web/auth/password-hash.js';
import { cliErrorLines, parseOptions } from './args.js';

/** Where the password comes from when there is no --password-file (the process's stdin, or a test's stream). */
export interface PasswordInput {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  /** Where a terminal prompt goes (not stdout, which may be redirected into a file). */
  readonly prompt: (text: string) => void;
}

export interface UserCommandIo extends Partial<PasswordInput> {
  readonly env?: NodeJS.ProcessEnv;
}

const USAGE_ADD = 'usage: upsguard user add NAME --role viewer|operator|admin [--config FILE] [--password-file FILE]';
const USAGE_LIST = 'usage: upsguard user list [--config FILE]';
const usage = (text: string): UpsguardError => new UpsguardError(ErrorCode.CliUsage, text);
const MAX_PASSWORD = 128;
const userName = nameRule(32);

/**
 * `upsguard user add NAME --role ROLE` writes a scrypt hash of the password into the config's `users:` (keeping the
 * file's comments and layout; written atomically), or prints the entry when there is no config. `upsguard user list`
 * names the users and their roles. Exit 0, or 1 with one line `upsguard: <reason>`.
 */
export async function runUser(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  io: UserCommandIo = {},
): Promise<number> {
  const env = io.env ?? process.env;
  try {
    const [sub, ...rest] = args;
    if (sub === 'add') {
      const input: PasswordInput = {
        stdin: io.stdin ?? process.stdin,
        prompt: io.prompt ?? ((t) => process.stderr.write(t)),
      };
      out(await addUser(rest, env, input));
      return 0;
    }
    if (sub === 'list') {
      for (const line of listUsers(rest, env)) out(line);
      return 0;
    }
    throw usage(`${USAGE_ADD}\n       ${USAGE_LIST}`);
  } catch (e) {
    if (e instanceof UpsguardError && e.code === ErrorCode.CliUsage) err(`upsguard: ${e.message.split('\n')[0]!}`);
    else for (const line of cliErrorLines(e)) err(line);
    return 1;
  }
}

async function addUser(args: readonly string[], env: NodeJS.ProcessEnv, input: PasswordInput): Promise<string> {
  const { options, positional } = parseOptions(args, { values: ['role', 'config', 'password-file'] });
  const [name, ...extra] = positional;
  if (name === undefined || extra.length > 0) throw usage(USAGE_ADD);
  if (!userName.safeParse(name).success)
    throw usage(`user name ${JSON.stringify(name)}: use 1-32 letters, digits, dot, dash or underscore`);
  const role = options.role;
  if (typeof role !== 'string' || !(WEB_ROLES as readonly string[]).includes(role)) {
    throw usage(`--role must be one of ${WEB_ROLES.join(', ')}`);
  }
  const configFile = typeof options.config === 'string' ? options.config : env.UPSGUARD_CONFIG;
  // Read the file before asking for the password: a wrong path is said before anyone types anything.
  const original = configFile === undefined ? null : readConfig(configFile);
  const passwordFile = options['password-file'];
  const password = typeof passwordFile === 'string' ? readPasswordFile(passwordFile) : await readPassword(input);
  checkPassword(password);
  const hash = await hashPassword(password);
  if (configFile === undefined || original === null) return entryYaml(name, role as WebRole, hash);
  const { text, updated } = withUser(original, configFile, name, role as WebRole, hash);
  checkStillLoads(configFile, original, text, env);
  writeFileAtomic(configFile, text);
  return `${configFile}: user ${name} ${updated ? 'updated' : 'added'} (role ${role})`;
}

function listUsers(args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const { options, positional } = parseOptions(args, { values: ['config'] });
  if (positional.length > 0) throw usage(USAGE_LIST);
  const configFile = typeof options.config === 'string' ? options.config : env.UPSGUARD_CONFIG;
  if (configFile === undefined) throw usage(`${USAGE_LIST} (or set UPSGUARD_CONFIG)`);
  // The raw entries, not the loaded config: listing must not need the other users' password files or variables.
  const doc = parsed(readConfig(configFile), configFile);
  const users = doc.toJS({ maxAliasCount: 100 }) as { users?: unknown } | null;
  const list = Array.isArray(users?.users) ? (users.users as unknown[]) : [];
  if (list.length === 0) return [`${configFile}: no users`];
  return list.map((u) => {
    const entry = (u ?? {}) as { name?: unknown; role?: unknown; upsmon?: unknown };
    const web = typeof entry.role === 'string' ? `web ${entry.role}` : 'no web login';
    const nut = typeof entry.upsmon === 'string' ? `, NUT upsmon ${entry.upsmon}` : '';
    return `${String(entry.name)}  ${web}${nut}`;
  });
}

function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UpsguardError(
      ErrorCode.ConfigUnreadable,
      `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`,
    );
  }
}

function parsed(text: string, file: string): Document {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new UpsguardError(
      ErrorCode.ConfigInvalid,
      `${file}: line ${first.linePos?.[0].line ?? '?'}: ${first.message.split('\n')[0] ?? first.code}`,
    );
  }
  return doc;
}

/** The config text with the user added or updated; everything else (comments, order, quoting) as it was. */
function withUser(
  text: string,
  file: string,
  name: string,
  role: WebRole,
  hash: string,
): { text: string; updated: boolean } {
  const doc = parsed(text, file);
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new UpsguardError(ErrorCode.ConfigInvalid, `${file}: the top level is not a mapping`);
  }
  let users = doc.get('users', true);
  if (users === undefined || users === null) {
    doc.set('users', doc.createNode([]));
    users = doc.get('users', true);
  }
  if (!isSeq(users)) throw new UpsguardError(ErrorCode.ConfigInvalid, `${file}: users is not a list`);
  const existing = users.items.find((item) => isMap(item) && item.get('name') === name);
  if (existing !== undefined && isMap(existing)) {
    existing.set('role', role);
    // One password per user: the hash replaces whatever plain source it had.
    for (const key of ['password', 'password_file', 'password_env']) existing.delete(key);
    existing.set('password_hash', hash);
    return { text: doc.toString(), updated: true };
  }
  const entry = new YAMLMap();
  entry.set('name', name);
  entry.set('role', role);
  entry.set('password_hash', hash);
  users.items.push(entry);
  return { text: doc.toString(), updated: false };
}

/**
 * The new text must load as the old one did. A config that already did not load here (a password variable this
 * shell does not have, a file of another host) is not this command's to judge; one that this edit breaks is refused.
 */
function checkStillLoads(file: string, before: string, after: string, env: NodeJS.ProcessEnv): void {
  const baseDir = dirname(file);
  try {
    parseConfigText(after, file, baseDir, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    try {
      parseConfigText(before, file, baseDir, env);
    } catch {
      return;
    }
    throw new UpsguardError(ErrorCode.ConfigInvalid, `${file}: not changed: ${e.problems[0] ?? e.message}`);
  }
}

function entryYaml(name: string, role: WebRole, hash: string): string {
  return [
    '# under users: in the configuration file',
    `- name: ${name}`,
    `  role: ${role}`,
    `  password_hash: ${hash}`,
  ].join('\n');
}

function checkPassword(password: string): void {
  if (password === '') throw new UpsguardError(ErrorCode.CliUsage, 'the password is empty');
  if (password.length > MAX_PASSWORD) {
    throw new UpsguardError(ErrorCode.CliUsage, `the password is longer than ${MAX_PASSWORD} characters`);
  }
  if (Array.from({ length: password.length }, (_, i) => password.charCodeAt(i)).some((c) => c < 0x20 || c === 0x7f)) {
    throw new UpsguardError(ErrorCode.CliUsage, 'the password contains control characters');
  }
}

function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UpsguardError(
      ErrorCode.ConfigUnreadable,
      `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`,
    );
  }
  // As the config's password_file is read: the file's text, without its final newline.
  return text.replace(/\r?\n$/, '');
}

/** From a terminal: asked twice without echo. From a pipe: its first line. */
async function readPassword(input: PasswordInput): Promise<string> {
  if (input.stdin.isTTY === true && input.stdin.setRawMode !== undefined) {
    const [first, again] = await readHidden(input, ['Password: ', 'Again: ']);
    if (first !== again) throw new UpsguardError(ErrorCode.CliUsage, 'the two passwords differ');
    return first ?? '';
  }
  return firstLine(input.stdin);
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', onError);
      stream.pause();
      resolve((text.split('\n')[0] ?? '').replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (text.includes('\n') || text.length > 4 * MAX_PASSWORD) done();
    };
    const onError = (e: Error): void => {
      reject(e);
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', onError);
    stream.resume();
  });
}

/** One answer per prompt, typed without echo (raw mode); keys typed ahead go to the next prompt, not lost. */
function readHidden(input: PasswordInput, prompts: readonly string[]): Promise<string[]> {
  const { stdin } = input;
  const answers: string[] = [];
  let text = '';
  input.prompt(prompts[0] ?? '');
  return new Promise((resolve, reject) => {
    stdin.setRawMode?.(true);
    const finish = (result: string[] | Error): void => {
      stdin.setRawMode?.(false);
      stdin.off('data', onData);
      stdin.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\u0003') {
          input.prompt('\n');
          finish(new UpsguardError(ErrorCode.CliUsage, 'cancelled'));
          return;
        }
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          input.prompt('\n');
          answers.push(text);
          text = '';
          if (answers.length === prompts.length) {
            finish(answers);
            return;
          }
          input.prompt(prompts[answers.length] ?? '');
        } else if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
