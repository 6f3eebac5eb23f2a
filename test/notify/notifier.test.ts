import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Writable } from 'node:stream';
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
  handler: (body: string, n: number, res: import('node:http').ServerResponse, req: IncomingMessage) => void,
): Promise<string> {
  let n = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(body, ++n, res, req));
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
    // 1 s, not less: on a loaded machine a request can take longer than 100 ms just to reach the handler that counts
    // it, and the attempt would time out unseen.
    const cfg = notifySchema.parse({ webhooks: [{ url, retries: 1, timeout_ms: 1000, retry_base_ms: 1 }] });
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

function captured(): {
  log: ReturnType<typeof createLogger>;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const text = (): string => chunks.join('');
  return {
    log: createLogger({ level: 'trace', destination: stream }),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('notifier: webhook credentials', () => {
  it('sends user:pass@ as a Basic Authorization header to a URL without them, and never logs them', async () => {
    const seen: { auth: string | undefined; url: string | undefined }[] = [];
    const base = await listen((_body, n, res, req) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      res.statusCode = n < 2 ? 500 : 204;
      res.end();
    });
    const u = new URL(base);
    u.username = 'hook-user';
    u.password = 'S3cr3t-hook:pass';
    u.search = '?token=S3cr3t-hook-tok&channel=ops';
    const cfg = notifySchema.parse({ webhooks: [{ url: u.toString(), retries: 2, retry_base_ms: 1 }] });
    const out = captured();
    expect(await new Notifier({ config: cfg, log: out.log }).webhook(cfg.webhooks[0]!, event)).toBe(true);
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual({
      auth: `Basic ${Buffer.from('hook-user:S3cr3t-hook:pass').toString('base64')}`,
      url: '/hook?token=S3cr3t-hook-tok&channel=ops',
    });
    expect(out.lines().length).toBeGreaterThan(0);
    expect(out.text()).not.toMatch(/S3cr3t|hook-user|token=/);
  });

  it('a failing webhook never logs its userinfo or query tokens', async () => {
    const cfg = notifySchema.parse({
      webhooks: [
        {
          url: 'http://hook-user:S3cr3t-hook-pass@127.0.0.1:1/x?api_key=S3cr3t-hook-key',
          retries: 1,
          retry_base_ms: 1,
        },
      ],
    });
    const out = captured();
    const n = new Notifier({ config: cfg, log: out.log });
    expect(await n.webhook(cfg.webhooks[0]!, event)).toBe(false);
    expect(out.lines().map((l) => l.msg)).toEqual(['webhook failed', 'webhook failed', 'webhook gave up']);
    expect(out.text()).not.toMatch(/S3cr3t|hook-user/);
  });
});

describe('notifier: a command that cannot be spawned', () => {
  const cfg = notifySchema.parse({ command: { path: '/bin/true', timeout_ms: 5000 } });

  it('spawn throwing (EMFILE) is a logged NOTIFY_FAILED, and delivery goes on', async () => {
    const out = captured();
    const n = new Notifier({
      config: cfg,
      log: out.log,
      spawn: () => {
        throw Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' });
      },
    });
    n.notify(event);
    await n.idle();
    const line = out.lines().find((l) => l.code === 'NOTIFY_FAILED');
    expect(line).toMatchObject({ level: 50, command: '/bin/true' });
    expect(String(line?.err)).toMatch(/EMFILE/);
  });

  it('a child with no stdio that then emits EMFILE is survived and logged', async () => {
    const out = captured();
    const n = new Notifier({
      config: cfg,
      log: out.log,
      spawn: () => {
        // What node returns when the descriptors are exhausted: no stdio streams, an error on the next tick.
        const child = Object.assign(new EventEmitter(), {
          stdin: null,
          stdout: null,
          stderr: null,
          stdio: [null, null, null],
          pid: undefined,
          kill: () => false,
        });
        process.nextTick(() =>
          child.emit('error', Object.assign(new Error('spawn /bin/true EMFILE'), { code: 'EMFILE' })),
        );
        return child as never;
      },
    });
    n.notify(event);
    await n.idle();
    const line = out.lines().find((l) => l.code === 'NOTIFY_FAILED');
    expect(line).toMatchObject({ level: 50, command: '/bin/true' });
    expect(String(line?.err)).toMatch(/EMFILE/);
  });
});
