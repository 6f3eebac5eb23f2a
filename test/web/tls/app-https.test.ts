import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { validateConfig } from '../../../src/config/load.js';
import type { ConfigInput } from '../../../src/config/schema.js';
import { ErrorCode } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { tempDir } from '../../helpers/tmp.js';

let app: App | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
});

async function startApp(web: ConfigInput['web']): Promise<{ app: App; log: () => string }> {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const loaded = validateConfig(
    {
      store: { path: ':memory:' },
      nut_server: { port: 0 },
      web,
      ups: [{ name: 'sim1', source: { kind: 'sim', scenario: 'steady' } }],
    },
    'test',
    process.cwd(),
    {},
  );
  app = new App({ loaded, log: createLogger({ level: 'info', destination: stream }) });
  await app.start();
  return { app, log: () => chunks.join('') };
}

function peerCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate());
      s.end();
    });
    s.on('error', reject);
  });
}

describe('the console over HTTPS', () => {
  it('a non-loopback web.host builds an HTTPS server; its certificate is the one the log names', async () => {
    const dir = tempDir();
    const started = await startApp({ host: '10.255.0.1', port: 0, tls_dir: dir });
    // Tests that inject still get the server.
    expect((await started.app.server().inject({ url: '/' })).statusCode).toBe(200);
    const url = await started.app.listen('127.0.0.1', 0);
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const logged = /web: (https:\/\/[^ ]+\/) certificate SHA-256 ([0-9A-F:]{95})/.exec(started.log());
    expect(logged?.[1]).toBe(`${url}/`);
    const peer = await peerCertificate(Number(new URL(url).port));
    expect(peer.fingerprint256).toBe(logged?.[2]);

    // Verified against the made certificate itself (it names 127.0.0.1), the page answers over TLS.
    const ca = readFileSync(join(dir, 'web-cert.pem'));
    const status = await new Promise<number>((resolve, reject) => {
      get(`${url}/`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  }, 30_000);

  it('a configured certificate that does not parse stops the start with an error naming the file', async () => {
    const dir = tempDir();
    const cert = join(dir, 'broken.pem');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    writeFileSync(join(dir, 'key.pem'), 'unused');
    await expect(
      startApp({ host: '0.0.0.0', port: 0, tls_cert_file: cert, tls_key_file: join(dir, 'key.pem') }),
    ).rejects.toMatchObject({
      code: ErrorCode.WebCertificateInvalid,
      message: expect.stringContaining(`web.tls_cert_file: ${cert} is not a PEM certificate`) as unknown,
    });
  }, 30_000);

  it('a loopback web.host serves plain HTTP and logs no certificate', async () => {
    const started = await startApp({ host: '127.0.0.1', port: 0, tls_dir: tempDir() });
    const url = await started.app.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(started.log()).not.toContain('certificate SHA-256');
  }, 30_000);
});
