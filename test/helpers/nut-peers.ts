// Real NUT 2.8 peers for tests: upsd with dummy-ups drivers, upsmon, and the command-line clients. Every process
// listens on 127.0.0.1 with a free port, keeps its state in a temp dir and is stopped by its own PID.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { until } from './until.js';

/** The shared waits, re-exported for the benches that import them from here. */
export { sleep, until } from './until.js';

export const NUT_BINARIES = [
  '/lib/nut/upsd',
  '/lib/nut/dummy-ups',
  '/lib/nut/upsmon',
  '/usr/bin/upsc',
  '/usr/bin/upsrw',
  '/usr/bin/upscmd',
];
/** Real peers need the Debian packages and root (upsmon writes /run/nut/upsmon.pid). */
export const haveNut = NUT_BINARIES.every((b) => existsSync(b)) && process.getuid?.() === 0;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a NUT client program with a time limit; never throws on a non-zero exit. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return child;
}

/** PIDs of a process's direct children (upsmon forks one that outlives a SIGTERM to its parent). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const forked = childPids(child.pid);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  const t = setTimeout(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, timeoutMs);
  await gone;
  clearTimeout(t);
  for (const pid of forked) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone with its parent
    }
  }
}

export interface UpsdUps {
  readonly name: string;
  readonly desc: string;
  /** File name in the conf dir (.dev or .seq) and its text. */
  readonly file: string;
  readonly text: string;
  readonly mode?: 'dummy-once' | 'dummy-loop';
}

export const UPSD_USERS = `[monuser]
	password = monpass
	upsmon secondary
[monprimary]
	password = primpass
	upsmon primary
[admin]
	password = adminpass
	actions = SET
	actions = FSD
	instcmds = ALL
`;

export interface Upsd {
  readonly port: number;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** upsd plus one dummy-ups driver per UPS; resolves once every UPS serves a status other than WAIT. */
export async function startUpsd(
  dir: string,
  upses: readonly UpsdUps[],
  opts: { waitReady?: boolean } = {},
): Promise<Upsd> {
  const etc = join(dir, 'etc');
  const state = join(dir, 'state');
  const runDir = join(dir, 'run');
  for (const d of [etc, state, runDir, '/run/nut']) mkdirSync(d, { recursive: true });
  const port = await freePort();
  const env = { NUT_CONFPATH: etc, NUT_STATEPATH: state, NUT_ALTPIDPATH: runDir };
  writeFileSync(
    join(etc, 'ups.conf'),
    upses
      .map(
        (u) =>
          `[${u.name}]\n\tdriver = dummy-ups\n\tport = ${u.file}\n${u.mode ? `\tmode = ${u.mode}\n` : ''}\tdesc = "${u.desc}"\n`,
      )
      .join('\n'),
  );
  for (const u of upses) writeFileSync(join(etc, u.file), u.text);
  writeFileSync(join(etc, 'upsd.conf'), `LISTEN 127.0.0.1 ${port}\nMAXAGE 15\n`);
  writeFileSync(join(etc, 'upsd.users'), UPSD_USERS);
  chmodSync(join(etc, 'upsd.users'), 0o600);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children.reverse()) await stopChild(c);
  };
  try {
    for (const u of upses) {
      rmSync(join(state, `dummy-ups-${u.name}`), { force: true });
      children.push(
        spawnLogged(
          '/lib/nut/dummy-ups',
          ['-a', u.name, '-u', 'root', '-F'],
          env,
          join(runDir, `driver-${u.name}.log`),
        ),
      );
    }
    await until(
      'dummy-ups sockets',
      () => upses.every((u) => existsSync(join(state, `dummy-ups-${u.name}`))) || undefined,
    );
    children.push(spawnLogged('/lib/nut/upsd', ['-u', 'root', '-F'], env, join(runDir, 'upsd.log')));
    if (opts.waitReady !== false) {
      for (const u of upses) {
        await until(`${u.name} ready`, async () => {
          const r = await run('upsc', [`${u.name}@127.0.0.1:${port}`, 'ups.status'], 3000);
          const s = r.stdout.trim();
          return r.code === 0 && s !== '' && s !== 'WAIT' ? s : undefined;
        });
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, dir, env, stop };
}

export interface Upsmon {
  readonly dir: string;
  shutdownFired(): boolean;
  notifications(): string;
  log(): string;
  stop(): Promise<void>;
}

const LOCK = '/run/nut/upsguard-test-upsmon.lock';

/**
 * A real upsmon (one at a time on this machine: 2.8.0 always uses /run/nut/upsmon.pid). SHUTDOWNCMD and NOTIFYCMD
 * are scripts that only append to files in `dir`.
 */
export async function startUpsmon(
  dir: string,
  monitor: string,
  extra: { pollFreq?: number; pollFreqAlert?: number; hostSync?: number; deadTime?: number } = {},
): Promise<Upsmon> {
  mkdirSync('/run/nut', { recursive: true });
  await until(
    'the upsmon lock',
    () => {
      try {
        closeSync(openSync(LOCK, 'wx'));
        return true;
      } catch {
        return undefined;
      }
    },
    120_000,
  );
  const etc = join(dir, 'etc-upsmon');
  mkdirSync(etc, { recursive: true });
  const fired = join(dir, 'shutdown-fired');
  const notify = join(dir, 'notify.log');
  writeFileSync(join(dir, 'fake-shutdown.sh'), `#!/bin/sh\necho "$(date +%s.%N) SHUTDOWNCMD fired" >> ${fired}\n`);
  writeFileSync(join(dir, 'notify.sh'), `#!/bin/sh\necho "$(date +%s.%N) $NOTIFYTYPE $UPSNAME $1" >> ${notify}\n`);
  chmodSync(join(dir, 'fake-shutdown.sh'), 0o755);
  chmodSync(join(dir, 'notify.sh'), 0o755);
  const flags = ['ONLINE', 'ONBATT', 'LOWBATT', 'FSD', 'COMMOK', 'COMMBAD', 'SHUTDOWN', 'NOCOMM'];
  writeFileSync(
    join(etc, 'upsmon.conf'),
    [
      'RUN_AS_USER root',
      `MONITOR ${monitor}`,
      'MINSUPPLIES 1',
      `SHUTDOWNCMD "${join(dir, 'fake-shutdown.sh')}"`,
      `NOTIFYCMD ${join(dir, 'notify.sh')}`,
      `POWERDOWNFLAG ${join(dir, 'killpower')}`,
      ...(extra.pollFreq === undefined ? [] : [`POLLFREQ ${extra.pollFreq}`]),
      ...(extra.pollFreqAlert === undefined ? [] : [`POLLFREQALERT ${extra.pollFreqAlert}`]),
      `HOSTSYNC ${extra.hostSync ?? 5}`,
      `DEADTIME ${extra.deadTime ?? 15}`,
      'FINALDELAY 0',
      ...flags.map((f) => `NOTIFYFLAG ${f} SYSLOG+EXEC`),
      '',
    ].join('\n'),
  );
  chmodSync(join(etc, 'upsmon.conf'), 0o600);
  rmSync('/run/nut/upsmon.pid', { force: true });
  const logFile = join(dir, 'upsmon.log');
  const child = spawnLogged('/lib/nut/upsmon', ['-F', '-u', 'root'], { NUT_CONFPATH: etc }, logFile);
  const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
  return {
    dir,
    shutdownFired: () => existsSync(fired),
    notifications: () => read(notify),
    log: () => read(logFile),
    stop: async () => {
      await stopChild(child);
      rmSync('/run/nut/upsmon.pid', { force: true });
      rmSync(LOCK, { force: true });
    },
  };
}
