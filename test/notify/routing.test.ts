import { describe, expect, it } from 'vitest';
import { notifySchema, notifyChannels } from '../../src/config/notify-schema.js';
import { inQuietHours, routes } from '../../src/notify/routing.js';
import type { UpsEvent } from '../../src/ups/events.js';

const ev = (type: UpsEvent['type']): UpsEvent => ({ id: 1, at: 0, type, ups: 'rack', message: 'm' });
const channel = (extra: Record<string, unknown>) =>
  notifySchema.parse({ channels: [{ name: 'c', kind: 'webhook', url: 'http://127.0.0.1/x', ...extra }] }).channels[0]!;
const at = (hhmm: string) => () => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

describe('notification routing', () => {
  it('by event type and minimum severity', () => {
    const c = channel({ events: ['ONBATT', 'ONLINE'], min_severity: 'warning' });
    expect(routes(c, ev('ONBATT'))).toBe(true);
    expect(routes(c, ev('ONLINE'))).toBe(false); // info < warning
    expect(routes(c, ev('LOWBATT'))).toBe(false); // not in the list
    expect(routes(channel({ min_severity: 'critical' }), ev('LOWBATT'))).toBe(true);
  });

  it('quiet hours hold back ordinary events, never a shutdown-related one', () => {
    const c = channel({ quiet_hours: { from: '22:00', to: '07:00' } });
    expect(routes(c, ev('ONBATT'), at('23:30'))).toBe(false);
    expect(routes(c, ev('ONBATT'), at('06:59'))).toBe(false);
    expect(routes(c, ev('ONBATT'), at('07:00'))).toBe(true);
    for (const t of [
      'LOWBATT',
      'FSD',
      'SHUTDOWN',
      'SHUTDOWN_DONE',
      'SHUTDOWN_ABORTED',
      'SHUTDOWN_TARGET_FAILED',
    ] as const)
      expect(routes(c, ev(t), at('03:00')), t).toBe(true);
  });

  it('a window within one day, and an empty one', () => {
    expect(inQuietHours({ from: '12:00', to: '13:00' }, 12 * 60 + 30)).toBe(true);
    expect(inQuietHours({ from: '12:00', to: '13:00' }, 13 * 60)).toBe(false);
    expect(inQuietHours({ from: '12:00', to: '12:00' }, 12 * 60)).toBe(false);
  });

  it('the old webhooks: and command: keys become channels, and a clashing name is refused', () => {
    const cfg = notifySchema.parse({ webhooks: [{ url: 'http://127.0.0.1/a' }], command: { path: '/bin/true' } });
    expect(notifyChannels(cfg).map((c) => [c.name, c.kind])).toEqual([
      ['webhook-1', 'webhook'],
      ['command', 'command'],
    ]);
    const clash = notifySchema.safeParse({
      command: { path: '/bin/true' },
      channels: [{ name: 'command', kind: 'command', path: '/bin/false' }],
    });
    expect(clash.success).toBe(false);
    expect(clash.error?.issues[0]?.message).toMatch(/used twice/);
    expect(notifySchema.safeParse({ channels: [{ name: 'q', kind: 'ntfy', topic: 'a b' }] }).success).toBe(false);
  });
});
