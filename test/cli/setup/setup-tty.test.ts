/**
 * `upsguard setup` on a real pseudo-terminal (python3's pty module drives it as a person would): the questions come
 * with their defaults, the admin password is typed twice without echo, and the config is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../../..');

/** Waits for each prompt, types its answer and Enter; writes everything the terminal showed to a file. */
const DRIVER = `
import json, os, pty, select, sys, time
pairs = json.loads(sys.argv[1]); transcript = sys.argv[2]; cmd = sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen = b''
pos = 0
def fill(deadline):
    global seen
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    if not data:
        return None
    seen += data
    return True
code = 0
for want, answer in pairs:
    deadline = time.time() + 20
    while want.encode() not in seen[pos:]:
        got = fill(deadline)
        if not got:
            open(transcript, 'wb').write(seen)
            sys.stderr.write('no prompt %r\\n' % want)
            sys.exit(3)
    pos = seen.index(want.encode(), pos) + len(want)
    time.sleep(0.05)
    os.write(fd, (answer + '\\r').encode())
deadline = time.time() + 30
while fill(deadline):
    pass
_, status = os.waitpid(pid, 0)
open(transcript, 'wb').write(seen)
sys.exit(os.waitstatus_to_exitcode(status))
`;

// Debian's own (scripts/ensure-debian-packages.mjs installs it), not whatever python3 comes first on PATH.
const python = '/usr/bin/python3';

describe('upsguard setup on a terminal', () => {
  it('asks with defaults, takes the password twice without echo, writes the config', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const transcript = join(dir, 'transcript');
    const secret = 'tty-secret-password';
    const pairs: [string, string][] = [
      ['Name of the UPS [ups]: ', ''],
      ['UPS source (usb, relay, nut, sim) [usb]: ', 'sim'],
      ['Simulated UPS', ''],
      ['Platforms to shut down', ''],
      ['on battery [40]: ', '120'],
      ['charge (percent) [none]: ', ''],
      ['runtime left (seconds) [none]: ', ''],
      ['Web console admin user [admin]: ', 'root-admin'],
      ['Password for root-admin: ', secret],
      ['Again: ', secret],
      ['store (history, events, runs) file', join(dir, 't.db')],
      ['web console port [8080]: ', ''],
    ];
    const code = await new Promise<number>((done) => {
      execFile(
        python,
        [
          '-c',
          DRIVER,
          JSON.stringify(pairs),
          transcript,
          resolve(root, 'node_modules/.bin/tsx'),
          resolve(root, 'src/main.ts'),
          'setup',
          '--config',
          file,
          '--skip-dry-run',
        ],
        { cwd: root, timeout: 120_000 },
        (err, _out, stderr) => {
          if (stderr) process.stderr.write(stderr);
          done(err === null ? 0 : typeof err.code === 'number' ? err.code : -1);
        },
      );
    });
    const shown = existsSync(transcript) ? readFileSync(transcript, 'utf8') : '';
    expect(code, shown).toBe(0);
    expect(shown).toContain(`Wrote ${file} (mode 600).`);
    // Typed answers echo; the password never does.
    expect(shown).toContain('root-admin');
    expect(shown).not.toContain(secret);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/- name: root-admin\n\s+role: admin\n\s+password_hash: scrypt\$/);
    expect(text).toMatch(/on_battery_s: 120/);
    expect(text).not.toContain(secret);
  }, 60_000);
});
