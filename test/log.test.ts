import { Writable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App } from '../src/app.js';
import { loadConfigFile } from '../src/config/load.js';
import { createLogger, scrubSecrets } from '../src/log.js';
import { tempDir } from './helpers/tmp.js';
import { webLogin } from './helpers/web-login.js';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('logging', () => {
  it('redacts secrets by key name at any depth', () => {
    const out = capture();
    const log = createLogger({ level: 'debug', destination: out.stream });
    log.info(
      { password: 'hunter2-top', user: { name: 'a', password: 'p4ssw0rd-deep' }, list: [{ token: 'tok-123456' }] },
      'x',
    );
    expect(out.text()).not.toMatch(/hunter2-top|p4ssw0rd-deep|tok-123456/);
    expect(out.text()).toContain('[redacted]');
  });

  it('a configured password never reaches the log output of a running appliance', async () => {
    const dir = tempDir();
    const secret = 'S3cret-never-logged';
    writeFileSync(join(dir, 'admin.pass'), `${secret}\n`);
    writeFileSync(
      join(dir, 'c.yaml'),
      [
        'log: { level: trace }',
        `store: { path: ${join(dir, 'db.sqlite')} }`,
        'ups:',
        '  - name: u',
        '    source: { kind: sim, scenario: demo-loop, time_scale: 50 }',
        'users:',
        '  - name: admin',
        '    password_file: admin.pass',
        '    role: admin',
      ].join('\n'),
    );
    const loaded = loadConfigFile(join(dir, 'c.yaml'), {});
    expect(loaded.config.users[0]?.password).toBe(secret);
    const out = capture();
    const log = createLogger({ level: 'trace', destination: out.stream });
    const app = new App({ loaded, log });
    await app.start();
    await app.listen('127.0.0.1', 0);
    // Everything a careless line might log: the config, a failure that echoes it.
    log.debug({ config: loaded.config }, 'config loaded');
    log.error({ err: scrubSecrets(`login failed for admin:${secret}`, loaded.secrets) }, 'failure');
    // A failed login with the secret in its (wrong) password, a login with it, then the API: none of it echoes it.
    await app.server().inject({
      method: 'POST',
      url: '/api/login',
      headers: { origin: 'http://localhost', host: 'localhost' },
      payload: { user: 'admin', password: `${secret}-typo` },
    });
    const { headers } = await webLogin(app.server(), 'admin', secret);
    const res = await app.server().inject({ url: '/api/status', headers });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(secret);
    await app.stop();
    expect(out.text().length).toBeGreaterThan(200);
    expect(out.text()).not.toContain(secret);
  });
});
