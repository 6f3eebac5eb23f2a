import { readFileSync } from 'node:fs';
import { ErrorCode, UpsguardError } from '../errors.js';
import { AgentStore } from '../relay/agent-store.js';
import { formatDeviceTable, listHostUsbDevices } from '../relay/host-inventory.js';
import { parseHexKey } from '../relay/psk.js';
import { listAgentDevices } from '../ups/transport/relay-agent-devices.js';
import { parseRelayUrl } from '../ups/transport/relay-url.js';
import { usbId } from '../util/hex.js';
import { parseOptions } from './args.js';
import { existsSync } from 'node:fs';

/** `upsguard devices`: this host's USB devices like lsusb, or with --relay an agent's exported devices. */
export async function runDevices(args: readonly string[], out: (s: string) => void): Promise<number> {
  const { options } = parseOptions(args, {
    values: ['db', 'relay', 'identity', 'psk-file'],
    flags: ['insecure', 'json'],
  });
  if (typeof options.relay === 'string') {
    if (typeof options.identity !== 'string') throw new UpsguardError(ErrorCode.CliUsage, '--relay needs --identity');
    const key =
      options.insecure === true
        ? null
        : typeof options['psk-file'] === 'string'
          ? parseHexKey(readFileSync(options['psk-file'], 'utf8'), options['psk-file'])
          : null;
    if (key === null && options.insecure !== true)
      throw new UpsguardError(ErrorCode.CliUsage, '--relay needs --psk-file');
    const { devices, host } = await listAgentDevices(
      parseRelayUrl(options.relay),
      options.identity,
      key,
      5000,
      'upsguard devices',
    );
    if (options.json === true) {
      out(JSON.stringify({ exported: devices, host }, null, 2));
      return 0;
    }
    out('exported:');
    for (const d of devices) {
      out(
        `  ${d.name.padEnd(10)} ID ${usbId(d.vendorId, d.productId)} Port ${(d.portPath ?? '-').padEnd(9)} ${[d.manufacturer, d.product].filter(Boolean).join(' ') || '-'}  [${d.state}${d.controller ? ` by ${d.controller} until ${d.leaseUntil ?? ''}` : ''}]`,
      );
    }
    if (devices.length === 0) out('  none');
    out('host USB devices:');
    for (const line of formatDeviceTable(host)) out(`  ${line}`);
    return 0;
  }
  const db = typeof options.db === 'string' ? options.db : 'data/relay.db';
  const store = existsSync(db) ? new AgentStore(db) : null;
  try {
    const rows = await listHostUsbDevices(store, Date.now());
    if (options.json === true) out(JSON.stringify(rows, null, 2));
    else for (const line of formatDeviceTable(rows)) out(line);
    return 0;
  } finally {
    store?.close();
  }
}
