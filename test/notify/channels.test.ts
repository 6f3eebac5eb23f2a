import { EventEmitter } from 'node:events';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notifySchema, type ChannelConfig } from '../../src/config/notify-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { buildChannel } from '../../src/notify/channels/index.js';
import { runCommand } from '../../src/notify/channels/command.js';
import type { OutgoingMessage } from '../../src/notify/channels/channel.js';
import { HttpReceiver } from './http-receiver.js';
import { tempDir } from '../helpers/tmp.js';

const m: OutgoingMessage = {
  id: 'msg-42',
  channel: 'c',
  event: { id: 42, at: Date.UTC(2026, 11, 2, 3, 4, 5), type: 'LOWBATT', ups: 'rack', message: 'battery "low" <2 min>' },
};
const TOKEN = 'S3cr3t-notify-token-0123456789';

let r: HttpReceiver;
beforeEach(async () => {
  r = new HttpReceiver();
  await r.start();
});
afterEach(async () => {
  await r.stop();
});

function channel(c: Record<string, unknown>): ChannelConfig {
  return notifySchema.parse({ channels: [{ name: 'c', timeout_ms: 10_000, ...c }] }).channels[0]!;
}

async function sendOne(c: Record<string, unknown>) {
  await buildChannel(channel(c)).send(m);
  expect(r.received).toHaveLength(1);
  return r.received[0]!;
}

describe('notify channels against a real HTTP receiver', () => {
  it('webhook: headers, the body template JSON-escaped, the message id as idempotency key', async () => {
    const got = await sendOne({
      kind: 'webhook',
      url: `${r.base()}/hook`,
      method: 'PUT',
      headers: { Authorization: `Bearer ${TOKEN}`, 'X-Team': 'ops' },
      body: '{"text":"{{event.type}}: {{event.message}}","ups":"{{ups}}","id":"{{message_id}}"}',
    });
    expect(got.method).toBe('PUT');
    expect(got.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'x-team': 'ops',
      'idempotency-key': 'msg-42',
      'content-type': 'application/json',
    });
    expect(JSON.parse(got.body)).toEqual({ text: 'LOWBATT: battery "low" <2 min>', ups: 'rack', id: 'msg-42' });
  });

  it('ntfy: a JSON publish to the root with topic, title, priority by severity and a Bearer token', async () => {
    const got = await sendOne({ kind: 'ntfy', server: r.base(), topic: 'ups-alerts', token: TOKEN });
    expect(got.path).toBe('/');
    expect(got.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(got.body)).toEqual({
      topic: 'ups-alerts',
      title: 'LOWBATT on rack',
      message: 'battery "low" <2 min>',
      priority: 5,
      tags: ['rotating_light'],
    });
  });

  it('gotify: POST /message with X-Gotify-Key', async () => {
    const got = await sendOne({ kind: 'gotify', server: `${r.base()}/gotify/`, token: TOKEN, priority: 9 });
    expect(got.path).toBe('/gotify/message');
    expect(got.headers['x-gotify-key']).toBe(TOKEN);
    expect(JSON.parse(got.body)).toMatchObject({
      title: 'LOWBATT on rack',
      message: 'battery "low" <2 min>',
      priority: 9,
    });
  });

  it('discord: content with the title in bold, no mentions', async () => {
    const got = await sendOne({ kind: 'discord', url: `${r.base()}/api/webhooks/1/${TOKEN}`, username: 'upsguard' });
    expect(JSON.parse(got.body)).toEqual({
      content: '**LOWBATT on rack**\nbattery "low" <2 min>',
      username: 'upsguard',
      allowed_mentions: { parse: [] },
    });
  });

  it('slack: text with &, < and > escaped', async () => {
    const got = await sendOne({ kind: 'slack', url: `${r.base()}/services/T/B/${TOKEN}` });
    expect(JSON.parse(got.body)).toEqual({ text: '*LOWBATT on rack*\nbattery "low" &lt;2 min&gt;' });
  });

  it('telegram: sendMessage under /bot<token>/ with chat_id and text', async () => {
    const got = await sendOne({ kind: 'telegram', api_url: r.base(), token: `123:${TOKEN}`, chat_id: -1001 });
    expect(got.path).toBe(`/bot${encodeURIComponent(`123:${TOKEN}`)}/sendMessage`);
    expect(JSON.parse(got.body)).toEqual({
      chat_id: -1001,
      text: 'LOWBATT on rack\nbattery "low" <2 min>',
      disable_notification: false,
    });
  });

  it('pushover: a form POST to /1/messages.json with token, user, title, message, priority', async () => {
    const got = await sendOne({ kind: 'pushover', api_url: r.base(), token: TOKEN, user: 'u-key-1' });
    expect(got.path).toBe('/1/messages.json');
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(got.body))).toEqual({
      token: TOKEN,
      user: 'u-key-1',
      title: 'LOWBATT on rack',
      message: 'battery "low" <2 min>',
      priority: '1',
      timestamp: String(Math.floor(m.event.at / 1000)),
    });
  });

  it('a refused or unreachable receiver is a NOTIFY_FAILED error that names no token', async () => {
    r.answer = 401;
    const presets: Record<string, unknown>[] = [
      { kind: 'telegram', api_url: r.base(), token: TOKEN, chat_id: 1 },
      { kind: 'discord', url: `${r.base()}/api/webhooks/1/${TOKEN}` },
      { kind: 'webhook', url: `${r.base()}/h?token=${TOKEN}` },
    ];
    for (const c of presets) {
      const err = await buildChannel(channel(c))
        .send(m)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpsguardError);
      expect((err as UpsguardError).code).toBe(ErrorCode.NotifyFailed);
      expect((err as Error).message).toMatch(/HTTP 401/);
      expect((err as Error).message).not.toContain(TOKEN);
    }
    await r.down();
    for (const c of presets) {
      const err = (await buildChannel(channel(c))
        .send(m)
        .catch((e: unknown) => e)) as Error;
      expect(err.message).toMatch(/fetch failed|ECONNREFUSED/);
      expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(TOKEN);
    }
  });
});

describe('notify command channel', () => {
  const dir = tempDir();
  it('runs with NOTIFYTYPE, UPSNAME, the message id and the message as its last argument', async () => {
    const out = join(dir, 'out.txt');
    const script = join(dir, 'notify.sh');
    writeFileSync(script, `#!/bin/sh\necho "$NOTIFYTYPE|$UPSNAME|$UPSGUARD_MESSAGE_ID|$1|$2" > ${out}\n`);
    chmodSync(script, 0o755);
    await buildChannel(channel({ kind: 'command', path: script, args: ['first'] })).send(m);
    expect(readFileSync(out, 'utf8').trim()).toBe('LOWBATT|rack|msg-42|first|battery "low" <2 min>');
  });

  it('a non-zero exit or a timeout is a failed attempt', async () => {
    await expect(buildChannel(channel({ kind: 'command', path: '/bin/false' })).send(m)).rejects.toThrow(
      /exited with 1/,
    );
    const err = await buildChannel(
      channel({ kind: 'command', path: '/bin/sh', args: ['-c', 'sleep 5'], timeout_ms: 100 }),
    )
      .send(m)
      .catch((e: unknown) => e);
    expect(String(err)).toMatch(/timed out after 100 ms/);
  });
});

describe('webhook credentials in the URL', () => {
  it('user:pass@ goes as a Basic Authorization header to the URL without them; the query is sent as configured', async () => {
    const u = new URL(`${r.base()}/hook`);
    u.username = 'hook-user';
    u.password = 'S3cr3t-hook:pass';
    u.search = '?token=S3cr3t-hook-tok&channel=ops';
    const got = await sendOne({ kind: 'webhook', url: u.toString() });
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('hook-user:S3cr3t-hook:pass').toString('base64')}`);
    expect(got.path).toBe('/hook?token=S3cr3t-hook-tok&channel=ops');
  });

  it('a failing webhook names neither its userinfo nor its query tokens in the error the queue logs', async () => {
    r.answer = 500;
    for (const url of [
      `http://hook-user:S3cr3t-hook-pass@127.0.0.1:${new URL(r.base()).port}/x?api_key=S3cr3t-hook-key`,
      'http://hook-user:S3cr3t-hook-pass@127.0.0.1:1/x?api_key=S3cr3t-hook-key',
    ]) {
      const err = await buildChannel(channel({ kind: 'webhook', url }))
        .send(m)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpsguardError);
      expect((err as UpsguardError).code).toBe(ErrorCode.NotifyFailed);
      expect(`${(err as Error).message} ${JSON.stringify(err)}`).not.toMatch(/S3cr3t|hook-user/);
    }
  });
});

describe('a notify command when descriptors run out', () => {
  const cfg = (): Extract<ChannelConfig, { kind: 'command' }> =>
    channel({ kind: 'command', path: '/bin/true' }) as Extract<ChannelConfig, { kind: 'command' }>;

  it('spawn throwing EMFILE is a failed attempt (the queue retries it), never a crash', async () => {
    const err = await runCommand(cfg(), m, () => {
      throw Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' });
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect(String(err)).toMatch(/EMFILE/);
  });

  it('a child with no stdio that then emits EMFILE is a failed attempt, never a crash', async () => {
    const err = await runCommand(cfg(), m, () => {
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
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect(String(err)).toMatch(/EMFILE/);
  });
});
