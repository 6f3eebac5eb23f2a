import { errorMessage } from '../../errors.js';
import { encodeWord, parseLine } from '../../ups/nut/line-codec.js';
import { NutConnection } from '../../ups/nut/nut-connection.js';
import type { NutTarget } from '../../ups/nut/nut-url.js';
import { listAgentDevices } from '../../ups/transport/relay-agent-devices.js';
import type { RelayAddress } from '../../ups/transport/relay-url.js';

/** What a probe found: ok with a line saying what answered, or the reason it failed (never the secret). */
export interface ProbeResult {
  readonly ok: boolean;
  readonly message: string;
}

/**
 * Logs in to an existing upsd as the appliance will (USERNAME, PASSWORD, LOGIN), reads ups.status, and logs out: a
 * wrong password or a user without the upsmon role is said now, not at the first outage.
 */
export async function probeNutLogin(target: NutTarget, password: string, timeoutMs: number): Promise<ProbeResult> {
  let conn: NutConnection | null = null;
  try {
    conn = await NutConnection.open({ host: target.host, port: target.port, timeoutMs, starttls: 'off' });
    const ups = encodeWord(target.ups);
    if (target.user !== undefined) {
      await conn.request(`USERNAME ${encodeWord(target.user)}`);
      await conn.request(`PASSWORD ${encodeWord(password)}`);
      await conn.request(`LOGIN ${ups}`);
    }
    const status = parseLine(await conn.request(`GET VAR ${ups} ups.status`))[3] ?? '?';
    await conn.request('LOGOUT').catch(() => undefined);
    return {
      ok: true,
      message: `logged in to ${target.host}:${target.port} as ${target.user ?? '-'}; status ${status}`,
    };
  } catch (e) {
    return { ok: false, message: errorMessage(e) };
  } finally {
    conn?.close();
  }
}

/** Says hello to a relay agent with the key and lists what it exports; an agent not set up yet fails here. */
export async function probeRelay(
  addr: RelayAddress,
  identity: string,
  key: Buffer,
  timeoutMs: number,
): Promise<ProbeResult> {
  try {
    const { devices } = await listAgentDevices(addr, identity, key, timeoutMs, 'upsguard setup');
    const names = devices.map((d) => d.name).join(', ') || 'none';
    return { ok: true, message: `agent ${addr.host}:${addr.port} answered; exported devices: ${names}` };
  } catch (e) {
    return { ok: false, message: errorMessage(e) };
  }
}
