// The NUT view of a simulated HID UPS (real descriptor and reports through the HID reader), and NUT device dumps
// (upsc output plus #CMD / #RW lines, as in networkupstools/nut-ddl) read into sets for comparison.
import { HidUpsReader } from '../../../src/ups/hid-ups-reader.js';
import type { UpsSnapshot } from '../../../src/ups/events.js';
import { parseScenario } from '../../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../../../src/ups/transport/sim-transport.js';
import type { NutServedUps } from '../../../src/ups/nut/ups-view.js';
import { ManualClock } from '../../../src/util/clock.js';

export interface NutDump {
  readonly variables: ReadonlyMap<string, string>;
  /** Instant commands (#CMD lines); null when the dump lists none at all (it was not recorded). */
  readonly commands: readonly string[] | null;
  /** RW variables (#RW lines or an UPSRW comment block); null when not recorded. */
  readonly writable: readonly string[] | null;
}

export function parseNutDump(text: string): NutDump {
  const variables = new Map<string, string>();
  const commands: string[] = [];
  const writable = new Set<string>();
  let inRwBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('# DEVICE:COMMENT-BLOCK:FIXME:UPSRW')) inRwBlock = true;
    else if (line.startsWith('# DEVICE:EOC')) inRwBlock = false;
    const cmd = /^#CMD:(\S+)/.exec(line);
    if (cmd) commands.push(cmd[1]!);
    const rw = /^#RW:([^:]+):/.exec(line);
    if (rw) writable.add(rw[1]!);
    const block = inRwBlock ? /^# \[(.+)\]$/.exec(line) : null;
    if (block) writable.add(block[1]!);
    if (line.startsWith('#') || line.trim() === '') continue;
    const v = /^([a-z0-9._]+): ?(.*)$/.exec(line);
    if (v) variables.set(v[1]!, v[2]!);
  }
  return {
    variables,
    commands: commands.length > 0 ? commands.sort() : null,
    writable: writable.size > 0 ? [...writable].sort() : null,
  };
}

/** A simulated UPS on mains, read in full once, served as the app serves a HID UPS. */
export async function simulatedServedUps(
  device: string,
  name = 'ups',
): Promise<{
  ups: NutServedUps;
  reader: HidUpsReader;
  stop: () => Promise<void>;
}> {
  const clock = new ManualClock(1_000_000);
  const sim = new SimulatedUps({
    device: findRecordedDevice(device),
    scenario: parseScenario('0 mains on\n0 load 20'),
    timeScale: 1,
    clock,
  });
  const reader = new HidUpsReader({ transport: new SimTransport(sim) });
  await reader.start();
  const reading = await reader.poll('full');
  const snapshot: UpsSnapshot = {
    ups: name,
    at: clock.now(),
    variables: reading.variables,
    status: reading.status,
    comms: 'ok',
    lastContactAt: clock.now(),
  };
  const ups: NutServedUps = {
    name,
    snapshot: () => snapshot,
    supportedCommands: () => reader.supportedCommands(),
    command: (cmd, opts) => reader.command(cmd, opts),
    writableVariables: () => reader.writableVariables(),
    setVariable: (n, v) => reader.setVariable(n, v),
    driverVariables: () => reader.driverVariables(),
  };
  return { ups, reader, stop: () => reader.stop() };
}

/** What is in `a` and not in `b`, sorted. */
export const minus = (a: Iterable<string>, b: Iterable<string>): string[] => {
  const skip = new Set(b);
  return [...new Set(a)].filter((x) => !skip.has(x)).sort();
};
