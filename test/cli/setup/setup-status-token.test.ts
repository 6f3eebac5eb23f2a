/**
 * `upsguard setup` makes the read-scope API token `upsguard status` sends: hashed in the store, its text in
 * status.token next to the config (mode 600); then `upsguard status` reads the running service with no further step.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../../src/app.js';
import { runSetup } from '../../../src/cli/setup/run-setup.js';
import { runStatus } from '../../../src/cli/status.js';
import { loadConfigFile } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { freePort } from '../../helpers/nut-peers.js';
import { tempDir } from '../../helpers/tmp.js';

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

async function cli(
  run: typeof runSetup | typeof runStatus,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    { env: {} },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function statusTokens(db: string): { name: string; scope: string; token_sha256: string }[] {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare("SELECT name, scope, token_sha256 FROM api_tokens WHERE name = 'upsguard status' ORDER BY rowid")
      .all() as { name: string; scope: string; token_sha256: string }[];
  } finally {
    d.close();
  }
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

describe('upsguard setup: the status token', () => {
  it('writes status.token (600, read scope, only its hash in the store); status works with it; a re-run keeps it', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const store = join(dir, 's.db');
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'a good password\n');
    const port = await freePort();
    const args = [
      '--config',
      file,
      '--non-interactive',
      '--ups',
      'sim',
      '--admin-password-file',
      pw,
      '--store',
      store,
      '--web-port',
      String(port),
      '--skip-dry-run',
    ];
    const r = await cli(runSetup, args);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    const tokenFile = join(dir, 'status.token');
    expect(r.out).toContain(`Wrote ${tokenFile} (mode 600)`);
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^ugt_[A-Za-z0-9_-]{43}$/);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const rows = statusTokens(store);
    expect(rows).toEqual([{ name: 'upsguard status', scope: 'read', token_sha256: sha256(token) }]);
    expect(readFileSync(store).includes(Buffer.from(token))).toBe(false);

    // The service on that config; status finds the token next to the config by itself.
    const app = new App({ loaded: loadConfigFile(file, {}), log: createLogger({ level: 'silent' }) });
    apps.push(app);
    await app.start();
    await app.listen();
    const s = await cli(runStatus, ['--config', file]);
    expect(s.err).not.toMatch(/token|401|refused/i);
    expect([0, 1]).toContain(s.code);
    expect(s.out).toMatch(/UPS/);

    // Run again: the token the store still accepts is kept (a monitoring script may have copied it).
    const again = await cli(runSetup, args);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    expect(again.out).toContain(`Kept ${tokenFile}`);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);

    // A file whose token the store does not know: a new one replaces it, and the old row is revoked.
    writeFileSync(tokenFile, 'ugt_not-a-token\n');
    const third = await cli(runSetup, args);
    expect(third.code, `${third.out}\n${third.err}`).toBe(0);
    const fresh = readFileSync(tokenFile, 'utf8').trim();
    expect(fresh).not.toBe(token);
    expect(statusTokens(store).map((t) => t.token_sha256)).toEqual([sha256(fresh)]);
    expect((await cli(runStatus, ['--config', file])).err).not.toMatch(/token|401|refused/i);
  }, 60_000);

  it('without status.token, status on the same service exits 2: the token is what the test above relies on', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const pw = join(dir, 'pw');
    writeFileSync(pw, 'a good password\n');
    const port = await freePort();
    const r = await cli(runSetup, [
      '--config',
      file,
      '--non-interactive',
      '--ups',
      'sim',
      '--admin-password-file',
      pw,
      '--store',
      join(dir, 's.db'),
      '--web-port',
      String(port),
      '--skip-dry-run',
    ]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    rmSync(join(dir, 'status.token'));
    const app = new App({ loaded: loadConfigFile(file, {}), log: createLogger({ level: 'silent' }) });
    apps.push(app);
    await app.start();
    await app.listen();
    const s = await cli(runStatus, ['--config', file]);
    expect(s.code, `${s.out}\n${s.err}`).toBe(2);
  }, 60_000);
});
