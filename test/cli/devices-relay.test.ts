import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevices } from '../../src/cli/devices.js';
import { startAgent, writeKeys, type RunningProcess } from '../helpers/relay-agent-process.js';

describe('upsguard devices --relay against a real agent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-devices-'));
  let agent: RunningProcess | null = null;
  let port = 0;
  let keyFile = '';

  beforeAll(async () => {
    const keys = writeKeys(dir, ['vm1']);
    keyFile = join(dir, 'vm1.key');
    writeFileSync(keyFile, keys.keys.vm1!.toString('hex'), { mode: 0o600 });
    ({ proc: agent, port } = await startAgent({ dir, keysFile: keys.file }));
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists the agent's exported device with its claim state, and the host's USB devices", async () => {
    const lines: string[] = [];
    const code = await runDevices(
      ['--relay', `relay://127.0.0.1:${port}/`, '--identity', 'vm1', '--psk-file', keyFile],
      (s) => lines.push(s),
    );
    expect(code).toBe(0);
    const text = lines.join('\n');
    // Nobody holds a claim yet: available.
    expect(text).toMatch(/^ {2}ups +ID 051d:0002 Port sim +American Power Conversion Back-UPS .*\[available\]$/m);
    expect(text).toContain('host USB devices:');
  });

  it('a wrong key is refused by the agent with a typed error, not a hang', async () => {
    writeFileSync(keyFile, '00'.repeat(32));
    await expect(
      runDevices(
        ['--relay', `relay://127.0.0.1:${port}/`, '--identity', 'vm1', '--psk-file', keyFile],
        () => undefined,
      ),
    ).rejects.toThrow(/TLS handshake refused by the agent/);
  });
});
