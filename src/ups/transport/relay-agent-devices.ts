import { MessageType, type ExportedDeviceInfo, type HostUsbDeviceInfo } from '../../relay/protocol.js';
import { RelayLink } from './relay-link.js';
import type { RelayAddress } from './relay-url.js';

/**
 * Asks a relay agent what it exports (and the host's USB devices), as the appliance would (hello, then the device list) on a short-lived link:
 * `upsguard devices --relay` and `upsguard setup` both. A null key is the agent's insecure plain-TCP mode.
 */
export async function listAgentDevices(
  addr: RelayAddress,
  identity: string,
  key: Buffer | null,
  timeoutMs: number,
  client: string,
): Promise<{ devices: ExportedDeviceInfo[]; host: HostUsbDeviceInfo[] }> {
  const link = new RelayLink({
    host: addr.host,
    port: addr.port,
    identity,
    key,
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
    onPush: () => undefined,
    onClose: () => undefined,
  });
  try {
    await link.connect();
    await link.request(MessageType.Hello, { versions: [1], client, capabilities: [] }, MessageType.Welcome);
    return await link.request(MessageType.ListDevices, {}, MessageType.Devices);
  } finally {
    link.close('done');
  }
}
