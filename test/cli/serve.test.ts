import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

function upsguard(args: string[], env: Record<string, string> = {}) {
  const child = spawn(tsx, [resolve(root, 'src/main.ts'), ...args], { env: { ...process.env, ...env }, cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', r));
  return { child, exit, out: () => stdout, err: () => stderr };
}

describe('upsguard CLI', () => {
  it('serve prints the page address, serves it, and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(
      config,
      `web: { port: 0, public_status: true }\nstore: { path: ${join(dir, 'db.sqlite')} }\nlog: { level: warn }\nups:\n  - name: demo\n    source: { kind: sim, scenario: demo-loop }\n`,
    );
    const p = upsguard(['serve'], { UPSGUARD_CONFIG: config });
    const url = await new Promise<string>((res, rej) => {
      const timer = setInterval(() => {
        const m = /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out());
        if (m) {
          clearInterval(timer);
          res(m[1]!);
        }
      }, 50);
      void p.exit.then((code) => {
        clearInterval(timer);
        rej(new Error(`exited ${String(code)}: ${p.err()}`));
      });
    });
    // The status is public here (web.public_status): this is about the process serving, not about login.
    const status = (await (await fetch(`${url}/api/status`)).json()) as { ups: { name: string; status: string[] }[] };
    expect(status.ups.map((u) => u.name)).toEqual(['demo']);
    expect(status.ups[0]!.status).toContain('OL');
    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
  }, 30_000);

  it('serve refuses an invalid config with every problem, and exits 1', async () => {
    const dir = tempDir();
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'ups:\n  - name: x\n    source: { kind: usb, vendor_id: zz }\nweb: { port: -1 }\n');
    const p = upsguard(['serve', '--config', config]);
    expect(await p.exit).toBe(1);
    expect(p.err()).toMatch(/ups\.0\.source\.vendor_id: expected a 16-bit hex id/);
    expect(p.err()).toMatch(/web\.port: /);
  }, 30_000);

  it('says plainly when the port is taken, and exits 1', async () => {
    const dir = tempDir();
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    const config = join(dir, 'c.yaml');
    writeFileSync(
      config,
      `web: { port: ${port} }\nstore: { path: ':memory:' }\nups:\n  - name: u\n    source: { kind: sim }\n`,
    );
    const p = upsguard(['serve', '--config', config]);
    expect(await p.exit).toBe(1);
    expect(p.err()).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    blocker.close();
  }, 30_000);

  it('unknown commands and options exit 2 with the usage', async () => {
    const p = upsguard(['frobnicate']);
    expect(await p.exit).toBe(2);
    expect(p.err()).toMatch(/unknown command: frobnicate/);
    expect(p.err()).toMatch(/Usage:/);
  }, 30_000);
});
