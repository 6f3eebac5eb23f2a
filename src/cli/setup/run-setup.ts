import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { createLogger } from '../../log.js';
import type { HidDeviceEntry } from '../../ups/transport/hid-backend.js';
import { cliErrorLines } from '../args.js';
import { runPlan } from '../plan.js';
import { adminStep } from './admin-step.js';
import { isPlain, type Plain, type SetupDraft } from './draft.js';
import { parseSetupFlags, setupFlagHelp } from './flags.js';
import { planStep } from './plan-step.js';
import { platformStep } from './platform-step.js';
import { Prompter, usageError } from './prompt.js';
import { serviceStep } from './service-step.js';
import { statusTokenStep } from './status-token-step.js';
import { openLineSource, type LineSource, type TerminalStreams } from './terminal.js';
import { upsStep } from './ups-step.js';
import { composeConfigText, pageAddress, validateConfigText, writeConfig } from './write-step.js';

export const DEFAULT_CONFIG_PATH = '/etc/upsguard/upsguard.yaml';
/** Each credential test, login and TLS read gives up after this. */
const PROBE_TIMEOUT_MS = 10_000;

export interface SetupIo {
  /** The terminal or the script the answers come from (default: the process's stdin and stdout). */
  readonly terminal?: TerminalStreams;
  readonly env?: NodeJS.ProcessEnv;
  /** This machine's hidraw devices (default: node-hid, loaded only when the UPS is on USB). */
  readonly listHid?: () => Promise<HidDeviceEntry[]>;
  readonly hostname?: string;
}

async function nodeHidList(): Promise<HidDeviceEntry[]> {
  const { nodeHidBackend } = await import('../../ups/transport/node-hid-backend.js');
  return nodeHidBackend.list();
}

function readExisting(file: string): { text: string | null; data: Plain } {
  if (!existsSync(file)) return { text: null, data: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UpsguardError(ErrorCode.ConfigUnreadable, `${file}: cannot read it (${errorMessage(e)})`, { file });
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0] ?? e.code}`),
      file,
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data !== null && data !== undefined && !isPlain(data)) {
    throw new UpsguardError(ErrorCode.ConfigInvalid, `${file}: the top level is not a mapping`, { file });
  }
  return { text, data: data ?? {} };
}

/**
 * `upsguard setup`: asks where the UPS is, what to shut down (testing each credential on the spot), proposes a plan
 * and a policy, makes the admin, writes the config (validated, mode 600) and runs the plan dry. On an existing config
 * its values are the defaults and only the sections setup owns are rewritten. Exit 0; 1 when a test, the config or
 * the dry run fails; 2 on a usage error (a missing flag in --non-interactive mode names the flag).
 */
export async function runSetup(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  io: SetupIo = {},
): Promise<number> {
  let lines: LineSource | null = null;
  if (args.includes('--help')) {
    out('usage: upsguard setup [--config FILE] [--non-interactive] [flags…]');
    for (const line of setupFlagHelp()) out(line);
    return 0;
  }
  try {
    const flags = parseSetupFlags(args);
    const env = io.env ?? process.env;
    const file = resolve(flags.get('config')?.[0] ?? env.UPSGUARD_CONFIG ?? DEFAULT_CONFIG_PATH);
    const timeoutS = Number(flags.get('prompt-timeout-s')?.[0] ?? '1800');
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw usageError('--prompt-timeout-s: a positive number');
    if (!flags.has('non-interactive')) {
      lines = openLineSource(io.terminal ?? { input: process.stdin, output: process.stdout }, timeoutS * 1000);
    }
    const p = new Prompter(flags, lines, out);
    const existing = readExisting(file);
    const draft: SetupDraft = {
      file,
      dir: dirname(file),
      existing: existing.data,
      drivers: [],
      policy: {},
      afterwards: [],
    };
    out(existing.text === null ? `New configuration: ${file}` : `Editing ${file} (its values are the defaults)`);
    const log = createLogger({ level: 'silent' });
    await upsStep(p, draft, {
      listHid: io.listHid ?? nodeHidList,
      hostname: io.hostname ?? hostname(),
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    const targets = await platformStep(p, draft, { log, timeoutMs: PROBE_TIMEOUT_MS });
    await planStep(p, draft, targets);
    await adminStep(p, draft);
    await serviceStep(p, draft);
    const text = composeConfigText(draft, existing.text);
    const loaded = validateConfigText(draft, text);
    writeConfig(draft, text);
    out(`Wrote ${file} (mode 600).`);
    out(statusTokenStep(draft, loaded.config.store.path));
    for (const line of draft.afterwards) out(line);
    let code = 0;
    if (flags.has('skip-dry-run')) out('Dry run skipped (--skip-dry-run): run upsguard plan check when ready.');
    else if (loaded.config.shutdown.plan === undefined) out('No plan: no dry run.');
    else {
      out('Dry run of the plan (nothing is powered off):');
      code = await runPlan(['check', '--config', file], out, err);
      if (code !== 0) err('upsguard: the dry run failed; fix what it names and run upsguard setup again');
    }
    out(`The console: ${pageAddress(loaded.config)} (log in as ${draft.admin?.name ?? 'admin'})`);
    out('Start or reload the service to use it: systemctl restart upsguard');
    return code;
  } catch (e) {
    if (e instanceof UpsguardError && e.code === ErrorCode.CliUsage) {
      err(`upsguard setup: ${e.message}`);
      return 2;
    }
    for (const line of cliErrorLines(e)) err(line);
    return 1;
  } finally {
    lines?.close();
  }
}
