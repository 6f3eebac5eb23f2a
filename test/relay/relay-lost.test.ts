import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { type RunningProcess, startAgent, writeKeys } from '../helpers/relay-agent-process.js';
import { tempDir } from '../helpers/tmp.js';

const procs: RunningProcess[] = [];
let app: App | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
  for (const p of procs.splice(0)) await p.stop();
});

const until = async (what: string, cond: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('a relay that goes away (agent as its own process)', () => {
  it('is declared lost after lost_after_s (COMMBAD, "unreachable"), and an agent restart means a full re-read with the claim kept', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    writeFileSync(join(dir, 'vm1.key'), keys.keys.vm1!.toString('hex'));
    const first = await startAgent({ dir, keysFile: keys.file });
    procs.push(first.proc);
    const loaded = validateConfig(
      {
        store: { path: ':memory:' },
        nut_server: { enabled: false },
        monitor: { dead_time_s: 1 },
        ups: [
          {
            name: 'remote',
            source: {
              kind: 'relay',
              url: `relay://127.0.0.1:${first.port}/ups`,
              identity: 'vm1',
              psk_file: 'vm1.key',
              heartbeat_s: 0.5,
              lost_after_s: 2,
              reconnect_base_ms: 100,
              reconnect_max_ms: 500,
            },
          },
        ],
      },
      'test',
      dir,
      {},
    );
    app = new App({ loaded, log: createLogger({ level: 'silent' }) });
    await app.start();
    const monitor = app.monitors()[0]!;
    const events: string[] = [];
    monitor.events.on('event', (e) => events.push(e.type));
    const status = async () =>
      (await app!.server().inject('/api/status')).json<{
        ups: { comms: string; relay: { link: string; device: string } }[];
      }>().ups[0]!;
    await until('the first reading', () => monitor.snapshot().comms === 'ok');
    expect((await status()).relay).toMatchObject({ link: 'connected', device: 'attached' });

    // The agent dies: short of lost_after_s the UPS still counts as connected, then the relay is lost.
    const killedAt = Date.now();
    await first.proc.kill();
    await new Promise((r) => setTimeout(r, 1000));
    expect(events).not.toContain('COMMBAD');
    expect((await status()).relay.link).toBe('reconnecting');
    await until('COMMBAD', () => events.includes('COMMBAD'), 10_000);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2000);
    const lost = await status();
    expect(lost.comms).toBe('lost');
    expect(lost.relay.link).toBe('unreachable');

    // A new agent on the same port and database: the client comes back, re-reads in full, and holds the claim again.
    const second = await startAgent({ dir, keysFile: keys.file, port: first.port });
    procs.push(second.proc);
    await until('COMMOK', () => events.includes('COMMOK'), 15_000);
    expect((await status()).relay).toMatchObject({ link: 'connected', device: 'attached' });
    expect(monitor.snapshot().variables['battery.charge']).toBe('100');
    await second.proc.waitFor(/"identity":"vm1","msg":"controller claim held"/);
  }, 60_000);
});
