import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPskFile, parsePskFile } from '../../src/relay/psk.js';
import { tempDir } from '../helpers/tmp.js';

const KEY = 'ab'.repeat(32);

describe('PSK files', () => {
  it('reads IDENTITY HEXKEY lines', () => {
    const keys = parsePskFile(`# appliances\nvm1 ${KEY}\n\nvm2 ${'cd'.repeat(40)}\n`, 'f');
    expect([...keys.keys()]).toEqual(['vm1', 'vm2']);
    expect(keys.get('vm1')?.length).toBe(32);
  });

  it.each([
    [`vm1 ${'ab'.repeat(31)}`, /f line 1: the key is 31 bytes; at least 32 are required/],
    ['vm1 xyz', /f line 1: the key is not hex/],
    [`vm1`, /f line 1: expected "IDENTITY HEXKEY"/],
    [`vm1 ${KEY}\nvm1 ${KEY}`, /f line 2: identity vm1 appears twice/],
    ['# nothing', /f: no keys/],
  ])('refuses %j saying why, without the key', (text, message) => {
    expect(() => parsePskFile(text, 'f')).toThrow(message);
    try {
      parsePskFile(text, 'f');
    } catch (e) {
      expect((e as Error).message).not.toContain('abab');
    }
  });

  it('refuses a key file that group or others can read', () => {
    const dir = tempDir();
    const file = join(dir, 'keys');
    writeFileSync(file, `vm1 ${KEY}\n`);
    chmodSync(file, 0o644);
    expect(() => loadPskFile(file)).toThrow(/readable by others \(mode 644\); run: chmod 600/);
    chmodSync(file, 0o600);
    expect(loadPskFile(file).size).toBe(1);
  });
});
