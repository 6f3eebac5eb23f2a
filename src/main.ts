#!/usr/bin/env -S node --single-threaded --max-semi-space-size=1 --optimize-for-size --bytecode-old-age=2 --flush-baseline-code
import { readFileSync } from 'node:fs';
import { cliErrorLines } from './cli/args.js';
import { USAGE } from './cli/usage.js';
import { ErrorCode, UpsguardError, errorMessage } from './errors.js';
import { usbId } from './util/hex.js';

// A closed pipe (`upsguard hid inspect … | head -1`) is the reader saying it has enough: stop writing, quietly.
let stdoutClosed = false;
let stderrClosed = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
    stdoutClosed = true;
    return;
  }
  if (!stderrClosed) process.stderr.write(`upsguard: stdout: ${errorMessage(e)}\n`);
  process.exitCode = 1;
});
process.stderr.on('error', () => {
  stderrClosed = true;
});

const out = (s: string): void => {
  if (!stdoutClosed) process.stdout.write(`${s}\n`);
};
const err = (s: string): void => {
  if (!stderrClosed) process.stderr.write(`${s}\n`);
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
  });
}

// Each command loads only its own modules: the appliance must not carry the agent's, nor the agent the web's.
async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  const tail = sub === undefined ? rest : [sub, ...rest];
  switch (cmd) {
    case undefined:
    case '--help':
    case 'help':
      out(USAGE);
      return cmd === undefined ? 2 : 0;
    case '--version':
      out(version());
      return 0;
    case 'serve':
      return (await import('./cli/serve.js')).runServe(tail, out, err, stopSignal());
    case 'config':
      if (sub === 'check') return (await import('./cli/config-check.js')).runConfigCheck(rest, out, err);
      break;
    case 'relay':
      return (await import('./cli/relay.js')).runRelay(tail, out, err, stopSignal());
    case 'devices':
      if (['attach', 'detach', 'attachments'].includes(tail[0] ?? ''))
        return (await import('./cli/devices-attach.js')).runDevicesAttach(tail, out, err);
      return (await import('./cli/devices.js')).runDevices(tail, out);
    case 'hid':
      if (sub === 'inspect') return (await import('./cli/hid-inspect.js')).runHidInspect(rest, out, err);
      break;
    case 'plan':
      return (await import('./cli/plan.js')).runPlan(tail, out, err);
    case 'web':
      return (await import('./cli/web.js')).runWeb(tail, out, err);
    case 'user':
      return (await import('./cli/user.js')).runUser(tail, out, err);
    case 'setup':
      return (await import('./cli/setup/run-setup.js')).runSetup(tail, out, err);
    case 'status':
      return (await import('./cli/status.js')).runStatus(tail, out, err);
    case 'backup':
      return (await import('./cli/backup.js')).runBackup(tail, out);
    case 'restore':
      return (await import('./cli/restore-backup.js')).runRestoreBackup(tail, out);
    case 'sim':
      if (sub === 'devices') {
        for (const d of (await import('./ups/sim/recorded-devices.js')).recordedDevices) {
          out(`${d.name}  ${usbId(d.vendorId, d.productId)}`);
        }
        return 0;
      }
      break;
    default:
      break;
  }
  err(`unknown command: ${argv.join(' ')}\n`);
  err(USAGE);
  return 2;
}

// Long-running commands have stopped their parts within their stop budget when they return; whatever is left (a
// socket a peer holds open, a part that overran) must not keep a stopped service alive for systemd to SIGKILL.
const LONG_RUNNING = new Set(['serve', 'relay']);

// The one place that exits the process.
main(process.argv.slice(2)).then(
  (code) => {
    // A failed stdout (other than a closed pipe) already set 1.
    process.exitCode = code !== 0 ? code : (process.exitCode ?? 0);
    if (LONG_RUNNING.has(process.argv[2] ?? '')) process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    if (e instanceof UpsguardError && e.code === ErrorCode.CliUsage) err(`${e.message}\n\n${USAGE}`);
    // Every other error: one line per problem, `upsguard: <file>: <reason>`.
    else for (const line of cliErrorLines(e)) err(line);
    process.exitCode = 1;
  },
);
