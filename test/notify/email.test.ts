import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { notifySchema } from '../../src/config/notify-schema.js';
import { buildChannel } from '../../src/notify/channels/index.js';
import type { OutgoingMessage } from '../../src/notify/channels/channel.js';
import { freePort } from '../helpers/nut-peers.js';
import { selfSignedCert } from '../helpers/self-signed.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

// Debian's python3-aiosmtpd, run by the system Python (a pyenv python3 on PATH would not have it).
const PYTHON = '/usr/bin/python3';
const SERVER = join(import.meta.dirname, 'fixtures', 'smtp-server.py');
const PASSWORD = 'S3cr3t-smtp-pass';

interface Mail {
  mail_from: string;
  rcpt_tos: string[];
  data: string;
  auth_user: string | null;
  tls: boolean;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function smtpServer(dir: string, mode: 'starttls' | 'smtps' | 'plain') {
  expect(existsSync(PYTHON), 'python3-aiosmtpd (Debian) is needed: apt-get install python3-aiosmtpd').toBe(true);
  const { cert, key } = selfSignedCert(dir, 'smtp', ['-addext', 'subjectAltName=IP:127.0.0.1']);
  const port = await freePort();
  const child = spawn(PYTHON, [SERVER, String(port), mode, cert, key, 'alerts', PASSWORD], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await until(`aiosmtpd ready (${err.slice(-300)})`, () => out.includes('READY') || child.exitCode !== null, 15_000);
  expect(child.exitCode, err).toBeNull();
  const mails = (): Mail[] =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Mail);
  return { port, cert, mails, stderr: () => err };
}

const m: OutgoingMessage = {
  id: '6f1c2a9e-0000-4000-8000-000000000001',
  channel: 'mail',
  event: { id: 9, at: Date.UTC(2026, 11, 2, 3, 4, 5), type: 'ONBATT', ups: 'rack', message: 'on battery' },
};

function emailChannel(extra: Record<string, unknown>) {
  return buildChannel(
    notifySchema.parse({
      channels: [
        {
          name: 'mail',
          kind: 'email',
          host: '127.0.0.1',
          from: 'upsguard@lab.example',
          to: ['ops@lab.example'],
          username: 'alerts',
          password: PASSWORD,
          timeout_ms: 10_000,
          ...extra,
        },
      ],
    }).channels[0]!,
  );
}

describe('email channel against a real SMTP server (aiosmtpd)', () => {
  it('STARTTLS, AUTH, a plain-text body and the message id as Message-ID', async () => {
    const dir = tempDir();
    const s = await smtpServer(dir, 'starttls');
    const ch = emailChannel({ port: s.port, security: 'starttls', ca_file: s.cert });
    await ch.send(m);
    ch.close?.();
    const [mail] = await until('the mail', () => (s.mails().length > 0 ? s.mails() : null));
    expect(mail).toMatchObject({
      mail_from: 'upsguard@lab.example',
      rcpt_tos: ['ops@lab.example'],
      auth_user: 'alerts',
      tls: true,
    });
    expect(mail!.data).toMatch(/^Subject: \[upsguard\] ONBATT on rack$/m);
    expect(mail!.data).toMatch(new RegExp(`^Message-ID: <${m.id}@upsguard>$`, 'mi'));
    expect(mail!.data).toMatch(/^Content-Type: text\/plain/m);
    expect(mail!.data).toContain('on battery');
    expect(mail!.data).not.toContain(PASSWORD);
  });

  it('implicit TLS (smtps)', async () => {
    const dir = tempDir();
    const s = await smtpServer(dir, 'smtps');
    const ch = emailChannel({ port: s.port, security: 'tls', ca_file: s.cert });
    await ch.send(m);
    ch.close?.();
    const [mail] = await until('the mail', () => (s.mails().length > 0 ? s.mails() : null));
    expect(mail).toMatchObject({ auth_user: 'alerts', tls: true });
  });

  it('a wrong password or an untrusted certificate fails the attempt without naming the password', async () => {
    const dir = tempDir();
    const s = await smtpServer(dir, 'starttls');
    const wrong = await emailChannel({ port: s.port, ca_file: s.cert, password: 'S3cr3t-wrong-pass' })
      .send(m)
      .catch((e: unknown) => e as Error);
    expect(wrong).toBeInstanceOf(Error);
    expect(wrong!.message).toMatch(/smtp 127\.0\.0\.1: .*(535|auth)/i);
    expect(wrong!.message).not.toMatch(/S3cr3t/);
    const untrusted = await emailChannel({ port: s.port })
      .send(m)
      .catch((e: unknown) => e as Error);
    expect(untrusted!.message).toMatch(/certificate/i);
    expect(s.mails()).toEqual([]);
  });

  it('starttls is required: a server without it is refused before the password goes out', async () => {
    const dir = tempDir();
    const s = await smtpServer(dir, 'plain');
    const err = await emailChannel({ port: s.port, security: 'starttls' })
      .send(m)
      .catch((e: unknown) => e as Error);
    expect(err!.message).toMatch(/STARTTLS/i);
    expect(s.mails()).toEqual([]);
  });
});
