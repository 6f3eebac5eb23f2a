import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { until } from './until.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

export interface Keys {
  readonly file: string;
  readonly keys: Record<string, Buffer>;
}

/** An agent key file with one key per identity, mode 600, as an operator would make it. */
export function writeKeys(dir: string, identities: readonly string[]): Keys {
  const keys: Record<string, Buffer> = {};
  for (const id of identities) keys[id] = randomBytes(32);
  const file = join(dir, 'relay.keys');
  writeFileSync(
    file,
    Object.entries(keys)
      .map(([id, k]) => `${id} ${k.toString('hex')}`)
      .join('\n') + '\n',
  );
  chmodSync(file, 0o600);
  return { file, keys };
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  /** JSON log lines (pino) written so far. */
  readonly logs: () => Record<string, unknown>[];
  readonly exit: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
  /** SIGKILL to the whole process group: a crash, with no chance to clean up. */
  kill(): Promise<number | null>;
}

/** Runs `upsguard ARGS` as its own process (through tsx, from the sources). */
export function upsguardProcess(args: readonly string[], env: Record<string, string> = {}): RunningProcess {
  // Its own process group: tsx runs the program in a child process, and a hard kill must reach that one too.
  const child = spawn(tsx, [resolve(root, 'src/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const proc: RunningProcess = {
    child,
    out: () => stdout,
    err: () => stderr,
    logs: () =>
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    exit,
    async waitFor(pattern, timeoutMs = 20_000) {
      return until(
        String(pattern),
        () => {
          const m = pattern.exec(stdout + stderr);
          if (m) return m;
          if (child.exitCode !== null) throw new Error(`process exited ${child.exitCode}: ${stderr}${stdout}`);
          return undefined;
        },
        timeoutMs,
        50,
      ).catch((err: unknown) => {
        if (!(err instanceof Error) || !err.message.startsWith('timed out')) throw err;
        throw new Error(`${err.message}:\n${stdout}\n${stderr}`);
      });
    },
    async stop() {
      // To the group, so the program itself (tsx's child) is asked to stop, not only tsx.
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(-child.pid, 'SIGTERM');
      }
      const code = await exit;
      await new Promise((r) => setTimeout(r, 50));
      return code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(-child.pid, 'SIGKILL');
      }
      return exit;
    },
  };
  return proc;
}

/** Starts `upsguard relay --simulate …` and waits until it listens. */
export async function startAgent(opts: {
  dir: string;
  keysFile?: string;
  port?: number;
  scenario?: string;
  timeScale?: number;
  leaseS?: number;
  extra?: string[];
}): Promise<{ proc: RunningProcess; port: number }> {
  const port = opts.port ?? (await freePort());
  const args = [
    'relay',
    '--listen',
    `127.0.0.1:${port}`,
    '--db',
    join(opts.dir, 'relay.db'),
    '--simulate',
    'apc-back-ups-cs-500',
  ];
  if (opts.keysFile) args.push('--psk-file', opts.keysFile);
  if (opts.scenario) {
    const file = join(opts.dir, 'agent.seq');
    writeFileSync(file, opts.scenario);
    args.push('--scenario', file);
  }
  if (opts.timeScale) args.push('--time-scale', String(opts.timeScale));
  if (opts.leaseS) args.push('--lease-s', String(opts.leaseS));
  args.push(...(opts.extra ?? []));
  const proc = upsguardProcess(args);
  await proc.waitFor(/upsguard relay listening on/);
  return { proc, port };
}
