import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UpsguardError } from '../../src/errors.js';
import { NetworkMatcher, parseCidr } from '../../src/integrations/metrics/networks.js';
import { exportedValue, nutExporterSamples } from '../../src/integrations/metrics/nut-exporter.js';
import { renderSamples } from '../../src/integrations/metrics/samples.js';
import type { UpsSnapshot } from '../../src/ups/events.js';

const SERIES = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\["\\n])*",?)*\})? \S+$/;

function snapshot(variables: Record<string, string>, status: string[]): UpsSnapshot {
  return { ups: 'u', at: 1000, variables, status, comms: 'ok', lastContactAt: 1000 };
}

describe('nut_exporter samples', () => {
  test('values as nut_exporter coaxes them: numbers, boolean words, nothing else', () => {
    expect(exportedValue('230.0')).toBe(230);
    expect(exportedValue(' 42 ')).toBe(42);
    expect(exportedValue('-1.5e3')).toBe(-1500);
    expect(exportedValue('enabled')).toBe(1);
    expect(exportedValue('OFF')).toBe(0);
    expect(exportedValue('PbAc')).toBeNull();
    expect(exportedValue('2004/07/03')).toBeNull();
    expect(exportedValue('')).toBeNull();
  });

  test('names and labels: dots and dashes become _, status flags 1 or 0, device strings as info labels', async () => {
    const s = snapshot(
      {
        'battery.charge': '87',
        'ambient.temperature-high': '40',
        'device.mfr': 'A "quoted" maker',
        'ups.status': 'OB',
      },
      ['OB', 'DISCHRG', 'XTRA'],
    );
    const { text } = await renderSamples(nutExporterSamples('rack-1', s));
    expect(text).toContain('network_ups_tools_battery_charge{ups="rack-1"} 87');
    expect(text).toContain('network_ups_tools_ambient_temperature_high{ups="rack-1"} 40');
    expect(text).toContain('network_ups_tools_ups_status{ups="rack-1",flag="XTRA"} 1');
    expect(text).toContain('network_ups_tools_ups_status{ups="rack-1",flag="OL"} 0');
    expect(text).toContain('mfr="A \\"quoted\\" maker"');
    expect(text).not.toContain('network_ups_tools_device_mfr');
  });

  test('a UPS never reached or lost exports no readings (no stale values as if current)', () => {
    expect(nutExporterSamples('u', { ...snapshot({ 'battery.charge': '50' }, ['OL']), comms: 'lost' })).toEqual([]);
    expect(nutExporterSamples('u', { ...snapshot({ 'battery.charge': '50' }, ['OL']), at: 0 })).toEqual([]);
  });

  test('fuzz: any variables, values, flags and UPS names render to lines Prometheus parses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), fc.oneof(fc.string(), fc.double().map(String))),
        fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 6 }),
        async (ups, variables, status) => {
          const { text } = await renderSamples(nutExporterSamples(ups, snapshot(variables, status)));
          for (const line of text.split('\n')) {
            if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
            expect(line).toMatch(SERIES);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('metrics networks', () => {
  test('CIDRs and bare addresses, IPv4-mapped clients, nothing else', () => {
    const m = new NetworkMatcher(['127.0.0.0/8', '::1', '192.168.10.0/24']);
    expect(m.matches('127.0.0.1')).toBe(true);
    expect(m.matches('::ffff:127.0.0.1')).toBe(true);
    expect(m.matches('::1')).toBe(true);
    expect(m.matches('192.168.10.200')).toBe(true);
    expect(m.matches('192.168.11.1')).toBe(false);
    expect(m.matches('garbage')).toBe(false);
    expect(m.matches(undefined)).toBe(false);
  });

  test('fuzz: a bad network is an UpsguardError naming it, never another exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (text) => {
        try {
          parseCidr(text);
        } catch (err) {
          expect(err).toBeInstanceOf(UpsguardError);
          expect((err as Error).message).toContain(JSON.stringify(text));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
