import { describe, expect, it } from 'vitest';
import { relayAgentSchema } from '../../src/config/relay-schema.js';

describe('relay: usbredir host devices', () => {
  it('takes a device named by VID:PID or by port path, each on its own port', () => {
    const r = relayAgentSchema.parse({
      usbredir: {
        listen: '127.0.0.1:3497',
        host_devices: [
          { name: 'dongle', listen: '127.0.0.1:3498', vendor_id: '0529', product_id: '0001' },
          { name: 'port-4', listen: '127.0.0.1:3499', path: '1-1.4' },
        ],
      },
    });
    expect(r?.usbredir?.host_devices.map((d) => d.name)).toEqual(['dongle', 'port-4']);
    expect(r?.usbredir?.insecure).toBe(false);
  });

  it('refuses a device named by neither, and a name libvirt could not alias, saying which', () => {
    const neither = relayAgentSchema.safeParse({
      usbredir: {
        listen: '127.0.0.1:3497',
        host_devices: [{ name: 'x', listen: '127.0.0.1:3498', vendor_id: '0529' }],
      },
    });
    expect(neither.success).toBe(false);
    expect(JSON.stringify(neither.error?.issues)).toContain('name the device by path, or by vendor_id and product_id');
    const dotted = relayAgentSchema.safeParse({
      usbredir: { listen: '127.0.0.1:3497', host_devices: [{ name: 'a.b', listen: '127.0.0.1:3498', path: '1-1' }] },
    });
    expect(dotted.success).toBe(false);
  });
});
