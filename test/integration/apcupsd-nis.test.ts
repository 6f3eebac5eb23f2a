// Debian's apcaccess reading upsguard's apcupsd NIS server for a simulated UPS: status through an outage, events.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { ApcupsdNisPart } from '../../src/integrations/apcupsd/apcupsd-nis-part.js';
import { encodeRecord } from '../../src/integrations/apcupsd/nis-codec.js';
import { createLogger } from '../../src/log.js';
import type { UpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import { ManualClock } from '../../src/util/clock.js';
import { apcaccessBinary } from '../helpers/apcaccess.js';

function apcaccess(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(apcaccessBinary(), args, { timeout: 10_000, encoding: 'utf8' }, (err, stdout) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout });
    });
  });
}

/** One NIS request over a raw socket: the records up to the empty one that ends the reply. */
function nisRequest(port: number, command: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(encodeRecord(command)));
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no NIS reply'));
    }, 5000);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const records: string[] = [];
      for (let at = 0; at + 2 <= buf.length;) {
        const n = buf.readUInt16BE(at);
        if (at + 2 + n > buf.length) return;
        if (n === 0) {
          clearTimeout(timer);
          socket.destroy();
          resolve(records);
          return;
        }
        records.push(buf.subarray(at + 2, at + 2 + n).toString('utf8'));
        at += 2 + n;
      }
    });
    socket.on('error', reject);
  });
}

const parse = (out: string): Map<string, string> =>
  new Map(
    out
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()] as const),
  );

let part: ApcupsdNisPart | undefined;
afterEach(async () => {
  await part?.stop();
  part = undefined;
});

describe('apcupsd NIS with a real apcaccess', () => {
  test('status reads the UPS as apcupsd would print it, online then on battery; events are listed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    let snapshot: UpsSnapshot = {
      ups: 'rack',
      at: clock.now(),
      variables: {
        'ups.model': 'Back-UPS 500',
        'ups.serial': 'AB0427',
        'battery.charge': '100',
        'battery.runtime': '2580',
        'battery.charge.low': '10',
        'battery.runtime.low': '120',
        'input.voltage': '230.0',
        'ups.load': '20',
        'battery.voltage': '13.6',
      },
      status: ['OL'],
      comms: 'ok',
      lastContactAt: clock.now(),
    };
    const events: UpsEvent[] = [
      { id: 1, at: clock.now() - 60_000, type: 'ONBATT', ups: 'rack', message: 'UPS rack on battery' },
      { id: 2, at: clock.now() - 30_000, type: 'ONLINE', ups: 'rack', message: 'UPS rack back on mains' },
    ];
    part = new ApcupsdNisPart({
      host: '127.0.0.1',
      port: 0,
      ups: () => ({ name: 'rack', snapshot: () => snapshot }),
      events: () => events,
      clock,
      log: createLogger({ level: 'silent' }),
      version: 'test',
    });
    await part.start();
    const where = `127.0.0.1:${part.address()!.port}`;

    const online = await apcaccess(['-h', where, 'status']);
    expect(online.code).toBe(0);
    const s = parse(online.stdout);
    expect(s.get('UPSNAME')).toBe('rack');
    expect(s.get('MODEL')).toBe('Back-UPS 500');
    expect(s.get('STATUS')).toBe('ONLINE');
    expect(s.get('BCHARGE')).toBe('100.0 Percent');
    expect(s.get('TIMELEFT')).toBe('43.0 Minutes');
    expect(s.get('MBATTCHG')).toBe('10 Percent');
    expect(s.get('MINTIMEL')).toBe('2 Minutes');
    expect(s.get('LINEV')).toBe('230.0 Volts');
    expect(s.get('STATFLAG')).toBe('0x05000008');
    expect(s.get('APC')).toMatch(/^001,\d{3},\d{4}$/);
    expect(online.stdout.trimEnd().split('\n').at(-1)).toMatch(/^END APC {2}: \d{4}-\d\d-\d\d /);
    // apcaccess -u drops the units, as Home Assistant's integration also reads them.
    expect(parse((await apcaccess(['-h', where, '-u', 'status'])).stdout).get('BCHARGE')).toBe('100.0');

    snapshot = {
      ...snapshot,
      status: ['OB', 'DISCHRG', 'LB'],
      variables: { ...snapshot.variables, 'battery.charge': '9' },
    };
    const onBattery = parse((await apcaccess(['-h', where, 'status'])).stdout);
    expect(onBattery.get('STATUS')).toBe('ONBATT LOWBATT');
    expect(onBattery.get('STATFLAG')).toBe('0x05000050');

    snapshot = { ...snapshot, comms: 'lost' };
    expect(parse((await apcaccess(['-h', where, 'status'])).stdout).get('STATUS')).toBe('COMMLOST');

    // apcaccess only asks for status; `events` is what apcupsd's other clients (and Home Assistant's) may ask.
    const lines = await nisRequest(part.address()!.port, 'events');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} {2}UPS rack on battery\n$/);
    expect(lines[1]).toContain('UPS rack back on mains');
    expect(await nisRequest(part.address()!.port, 'shutdown')).toEqual(['Invalid command\n']);
  });
});
