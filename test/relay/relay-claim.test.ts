import { afterEach, describe, expect, it } from 'vitest';
import { RelayTransport } from '../../src/ups/transport/relay-transport.js';
import { type RunningProcess, startAgent, writeKeys } from '../helpers/relay-agent-process.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

// The agent runs as its own process; the transports talk to it over real TLS on loopback.
const procs: RunningProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const p of procs.splice(0)) await p.stop();
});

function transport(port: number, identity: string, key: Buffer, mode: 'control' | 'observe' = 'control') {
  const t = new RelayTransport({
    address: { host: '127.0.0.1', port, selector: '' },
    identity,
    key,
    mode,
    clientName: `test ${identity}`,
    heartbeatMs: 200,
    lostAfterMs: 3000,
    requestTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnectBaseMs: 100,
    reconnectMaxMs: 400,
  });
  closers.push(() => t.close());
  return t;
}

describe('relay client: status() reports the claim actually held', () => {
  it('controller only after the agent granted the claim; a refused claim is not a controller and says who holds it', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1', 'vm2', 'nas']);
    const a = await startAgent({ dir, keysFile: keys.file });
    procs.push(a.proc);

    const holder = transport(a.port, 'vm1', keys.keys.vm1!);
    // Before any reply from the agent, nothing is held.
    expect(holder.status()).toMatchObject({ controller: false, claim: 'none' });
    await holder.open();
    expect(holder.status()).toMatchObject({
      link: 'connected',
      controller: true,
      claim: 'controller',
      claimProblem: null,
    });

    const refused = transport(a.port, 'vm2', keys.keys.vm2!);
    await refused.open();
    await until('the refusal', () => refused.status().claimProblem);
    const s = refused.status();
    expect(s.controller).toBe(false);
    expect(s.claim).toBe('refused');
    expect(s.claimProblem).toMatch(/^CLAIM_BUSY: ups is controlled by vm1 \(lease until .*\)/);

    const observer = transport(a.port, 'nas', keys.keys.nas!, 'observe');
    await observer.open();
    expect(observer.status()).toMatchObject({
      link: 'connected',
      controller: false,
      claim: 'observer',
      claimProblem: null,
    });
  }, 30_000);
});
