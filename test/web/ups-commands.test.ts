import { describe, expect, it } from 'vitest';
import type { UpsCommandsResponse } from '../../src/web/api-types/nut.js';
import { as, readRig, snap, T0 } from './read-apis-rig.js';

const ALL = [
  'shutdown.return',
  'load.off.delay',
  'shutdown.stop',
  'test.battery.start.quick',
  'beeper.disable',
  'beeper.mute',
] as const;

const rigWith = (failCommand?: string) =>
  readRig(
    [
      { name: 'demo', snapshot: snap('demo', T0, ['OL']), commands: [...ALL] },
      { name: 'quiet', snapshot: snap('quiet', T0, ['OL']), commands: [] },
    ],
    failCommand ? { failCommand } : {},
  );

const post = (r: Awaited<ReturnType<typeof rigWith>>, url: string, role: 'viewer' | 'operator' | 'admin', body = {}) =>
  r.app.inject({ method: 'POST', url, headers: as(role), payload: body });

describe('GET /api/ups/:name/commands', () => {
  it('lists what the device supports with description, the role it needs and whether it must be confirmed', async () => {
    const r = await rigWith();
    const res = await r.app.inject({ url: '/api/ups/demo/commands', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    const body = res.json<UpsCommandsResponse>();
    expect(body.ups).toBe('demo');
    expect(body.commands.map((c) => [c.name, c.access, c.confirm])).toEqual([
      ['shutdown.return', 'admin', true],
      ['load.off.delay', 'admin', true],
      ['shutdown.stop', 'admin', false],
      ['test.battery.start.quick', 'operator', false],
      ['beeper.disable', 'operator', false],
      ['beeper.mute', 'operator', false],
    ]);
    expect(body.commands.find((c) => c.name === 'beeper.mute')?.description).toBe('Temporarily mute the UPS beeper');
    expect((await r.app.inject({ url: '/api/ups/quiet/commands', headers: as('viewer') })).json()).toEqual({
      ups: 'quiet',
      commands: [],
    });
  });

  it('an unknown UPS is a 404 naming it; a viewer is needed', async () => {
    const r = await rigWith();
    const res = await r.app.inject({ url: '/api/ups/nope/commands', headers: as('viewer') });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'NOT_FOUND', message: 'name: no UPS named "nope"' });
    expect((await r.app.inject({ url: '/api/ups/demo/commands' })).statusCode).toBe(401);
  });
});

describe('POST /api/ups/:name/commands/:cmd', () => {
  it('an operator mutes the beeper through the handle’s queue', async () => {
    const r = await rigWith();
    const res = await post(r, '/api/ups/demo/commands/beeper.mute', 'operator');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, message: 'demo: beeper.mute sent' });
    expect(r.ran).toEqual(['demo: beeper.mute']);
  });

  it('the command’s own role decides: an operator may not cut the load, a viewer may not even beep', async () => {
    const r = await rigWith();
    const off = await post(r, '/api/ups/demo/commands/load.off.delay', 'operator', { confirm: 'demo' });
    expect(off.statusCode).toBe(403);
    expect(off.json()).toEqual({ error: 'FORBIDDEN', message: 'load.off.delay on demo needs the admin role' });
    const stop = await post(r, '/api/ups/demo/commands/shutdown.stop', 'operator');
    expect(stop.statusCode).toBe(403);
    expect((await post(r, '/api/ups/demo/commands/beeper.mute', 'viewer')).statusCode).toBe(403);
    expect(r.ran).toEqual([]);
  });

  it('a command that cuts power needs confirm equal to the UPS name, even from an admin', async () => {
    const r = await rigWith();
    for (const body of [{}, { confirm: 'DEMO' }, { confirm: 'quiet' }]) {
      const res = await post(r, '/api/ups/demo/commands/shutdown.return', 'admin', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(
        /^confirm: shutdown.return cuts power to the load of demo/,
      );
    }
    expect(r.ran).toEqual([]);
    const ok = await post(r, '/api/ups/demo/commands/shutdown.return', 'admin', { confirm: 'demo', offDelay: 30 });
    expect(ok.statusCode).toBe(200);
    expect(r.ran).toEqual(['demo: shutdown.return']);
    // shutdown.stop cancels a pending load-off: admin, but nothing to confirm.
    expect((await post(r, '/api/ups/demo/commands/shutdown.stop', 'admin')).statusCode).toBe(200);
  });

  it('an unknown UPS or command is a 404 naming it; a bad body is a 400 naming the field', async () => {
    const r = await rigWith();
    const ups = await post(r, '/api/ups/nope/commands/beeper.mute', 'admin');
    expect(ups.statusCode).toBe(404);
    expect(ups.json<{ message: string }>().message).toBe('name: no UPS named "nope"');
    const cmd = await post(r, '/api/ups/demo/commands/beeper.enable', 'admin');
    expect(cmd.statusCode).toBe(404);
    expect(cmd.json<{ message: string }>().message).toMatch(
      /^cmd: UPS demo has no command "beeper.enable" \(it supports: /,
    );
    const none = await post(r, '/api/ups/quiet/commands/beeper.mute', 'admin');
    expect(none.json<{ message: string }>().message).toMatch(/it supports: none/);
    const delay = await post(r, '/api/ups/demo/commands/load.off.delay', 'admin', { confirm: 'demo', offDelay: -1 });
    expect(delay.statusCode).toBe(400);
    expect(delay.json<{ message: string }>().message).toMatch(/offDelay/);
    expect(r.ran).toEqual([]);
  });

  it('a device that fails the command answers ok: false with why; the service goes on', async () => {
    const r = await rigWith('beeper.mute');
    const res = await post(r, '/api/ups/demo/commands/beeper.mute', 'operator');
    expect(res.statusCode).toBe(502);
    expect(res.json()).toEqual({ ok: false, message: 'demo: beeper.mute failed: the UPS did not answer' });
    expect((await post(r, '/api/ups/demo/commands/beeper.disable', 'operator')).statusCode).toBe(200);
  });
});
