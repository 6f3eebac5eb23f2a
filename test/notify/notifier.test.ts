import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { notifySchema } from '../../src/config/shutdown-schema.js';
import { createLogger } from '../../src/log.js';
import { Notifier } from '../../src/notify/notifier.js';
import type { UpsEvent } from '../../src/ups/events.js';
import { tempDir } from '../helpers/tmp.js';

const event: UpsEvent = {
  id: 7,
  at: Date.UTC(2026, 11, 1),
  type: 'LOAD_OFF',
  ups: 'rack',
  message: 'UPS output off in 60 s',
};
const log = createLogger({ level: 'silent' });
let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(null));
  server = null;
});

async function listen(
  handler: (body: string, n: number, res: import('node:http').ServerResponse) => void,
): Promise<string> {
  let n = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(body, ++n, res));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

describe('notifier', () => {
  it('POSTs the event as JSON and retries until the webhook accepts it', async () => {
    const bodies: string[] = [];
    const url = await listen((body, n, res) => {
      bodies.push(body);
      res.statusCode = n < 3 ? 503 : 204;
      res.end();
    });
    const cfg = notifySchema.parse({ webhooks: [{ url, retries: 3, retry_base_ms: 1 }] });
    const ok = await new Notifier({ config: cfg, log }).webhook(cfg.webhooks[0]!, event);
    expect(ok).toBe(true);
    expect(bodies).toHaveLength(3);
    expect(JSON.parse(bodies[0]!)).toEqual({
      id: 7,
      at: '2026-12-01T00:00:00.000Z',
      type: 'LOAD_OFF',
      ups: 'rack',
      message: 'UPS output off in 60 s',
    });
  });

  it('gives up after its retries when the webhook hangs past its timeout', async () => {
    let calls = 0;
    const url = await listen(() => {
      calls++; // never answers
    });
    const cfg = notifySchema.parse({ webhooks: [{ url, retries: 1, timeout_ms: 100, retry_base_ms: 1 }] });
    const started = Date.now();
    expect(await new Notifier({ config: cfg, log }).webhook(cfg.webhooks[0]!, event)).toBe(false);
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('runs the command with NOTIFYTYPE and UPSNAME in its environment and the message as argument', async () => {
    const dir = tempDir();
    const script = join(dir, 'notify.sh');
    const out = join(dir, 'out.txt');
    writeFileSync(script, `#!/bin/sh\necho "$NOTIFYTYPE|$UPSNAME|$1" > ${out}\n`);
    chmodSync(script, 0o755);
    const n = new Notifier({ config: notifySchema.parse({ command: { path: script } }), log });
    n.notify(event);
    await n.idle();
    expect(readFileSync(out, 'utf8').trim()).toBe('LOAD_OFF|rack|UPS output off in 60 s');
  });
});
