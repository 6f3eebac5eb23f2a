import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { UsbRedirHostSession } from '../../../src/relay/usbredir/session.js';
import type { UsbControlSetup, UsbDeviceEvents, UsbRedirDevice } from '../../../src/relay/usbredir/usb-device.js';
import { Listeners } from '../../../src/util/listeners.js';
import { until } from '../../helpers/until.js';

// Wire compatibility with the real peer: QEMU 7.2's usb-redir talks to the usb-host as soon as its chardev connects,
// no guest OS needed; its controller enumerates the device (reset, SET_ADDRESS, GET_DESCRIPTOR) by itself.
const DEVICE_DESCRIPTOR = new Uint8Array([18, 1, 0x10, 1, 0, 0, 0, 8, 0x63, 4, 0xff, 0xff, 0, 1, 0, 0, 0, 1]);

const controls: UsbControlSetup[] = [];
const device: UsbRedirDevice = {
  name: 'fake-ups',
  events: new Listeners<UsbDeviceEvents>(),
  isConnected: () => true,
  description: () => ({
    speed: 'full',
    deviceClass: 0,
    deviceSubclass: 0,
    deviceProtocol: 0,
    vendorId: 0x0463,
    productId: 0xffff,
    deviceVersionBcd: 0x0100,
    interfaces: [{ number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 }],
    endpoints: [{ address: 0x81, type: 'interrupt', interval: 10, interfaceNumber: 0, maxPacketSize: 8 }],
  }),
  control: (setup) => {
    controls.push(setup);
    if (setup.requestType === 0x80 && setup.request === 6 && setup.value === 0x100) {
      return Promise.resolve({ status: 'success', data: DEVICE_DESCRIPTOR.subarray(0, setup.length) });
    }
    return Promise.resolve({ status: 'stall' });
  },
  setConfiguration: () => Promise.resolve('success'),
  getConfiguration: () => 1,
  setAltSetting: () => Promise.resolve('success'),
  getAltSetting: () => 0,
  bulk: () => Promise.resolve({ status: 'stall' }),
  interruptOut: () => Promise.resolve('success'),
  startInterruptIn: () => () => undefined,
  reset: () => Promise.resolve(),
};

let qemu: ChildProcess | null = null;
let server: net.Server | null = null;
let session: UsbRedirHostSession | null = null;
afterAll(() => {
  session?.close('test over');
  qemu?.kill('SIGKILL');
  server?.close();
});

describe('usbredir against QEMU 7.2 usb-redir', () => {
  it('exchanges hellos, attaches the device and completes a GET_DESCRIPTOR', async () => {
    server = net.createServer((sock) => {
      session = new UsbRedirHostSession({ log: createLogger({ level: 'silent' }), device, stream: sock, name: 'qemu' });
      session.start();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    let stderr = '';
    qemu = spawn(
      'qemu-system-x86_64',
      [
        '-machine',
        'q35',
        '-accel',
        'tcg',
        '-nodefaults',
        '-display',
        'none',
        '-device',
        'qemu-xhci',
        '-chardev',
        `socket,id=ur,host=127.0.0.1,port=${port}`,
        '-device',
        'usb-redir,chardev=ur,debug=4',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('QEMU to say hello', () => session?.peer, 20_000);
    expect(session!.peer!.version).toMatch(/^qemu usb-redir guest 7\.2/);
    expect(stderr).toMatch(/Peer version: upsguard usb-host, using 64-bits ids/);
    await until('QEMU to attach the device', () => stderr.includes('attaching full speed device 0463:ffff'), 20_000);
    await until('a GET_DESCRIPTOR answered', () => /ctrl-in status 0 len (8|18)/.test(stderr), 20_000);
    expect(controls.some((c) => c.request === 6 && c.value === 0x100)).toBe(true);
    expect(stderr).not.toMatch(/usbredirparser error/);
    expect(session!.isAlive()).toBe(true);
  }, 60_000);
});
