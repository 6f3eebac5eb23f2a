// The QEMU guest harness (issue 14, part 3) proved with QEMU's own usb-kbd before the usbredir agent exists: a real
// Debian kernel in a TCG guest sees the device as hidraw, delivers a key press as an input report, keeps doing so
// after a live migration to a second QEMU process, and follows an unplug and a replug.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QmpError } from '../helpers/qmp.js';
import { describeWithPeers } from '../helpers/peers.js';
import { KERNEL_RELEASE } from '../helpers/guest-kernel.js';
import { haveQemuGuest, startGuest, type Guest } from '../helpers/qemu-guest.js';

const d = describeWithPeers({ 'qemu-system-x86_64 with a readable /boot kernel and busybox': haveQemuGuest() });

/** QEMU's usb-kbd report descriptor (hw/input/hid.c's keyboard): what the guest must read back byte for byte. */
const USB_KBD_DESCRIPTOR = [
  '05010906a101', // Generic Desktop, Keyboard, Application collection
  '75019508050719e029e7150025018102', // 8 modifier bits
  '950175088101', // reserved byte
  '950575010508190129059102', // 5 LED outputs
  '950175039101', // LED padding
  '95067508150025ff0507190029ff8100', // 6 key slots
  'c0',
].join('');

const KBD = ['-device', 'usb-kbd,bus=xhci.0,id=kbd'];
const HIDRAW_READY = 'test -e /sys/class/hidraw/hidraw0/device/report_descriptor';

d('QEMU guest harness with usb-kbd', () => {
  let guest: Guest;
  let bootMs = 0;

  beforeAll(async () => {
    const t0 = Date.now();
    guest = await startGuest({ usb: KBD });
    await guest.waitReady(150_000);
    bootMs = Date.now() - t0;
    console.info(`guest booted to its console loop in ${bootMs} ms`);
  }, 180_000);
  afterAll(async () => {
    await guest.stop();
  });

  it('runs commands over the serial console with their exit codes, any bytes and quoting intact', async () => {
    const r = await guest.run(`printf 'a\\000b\\377\\n'; echo "it's \\"quoted\\""\nexit 7`);
    expect(r.code).toBe(7);
    expect(r.raw).toEqual(Buffer.concat([Buffer.from([0x61, 0, 0x62, 0xff, 0x0a]), Buffer.from('it\'s "quoted"\n')]));
    expect((await guest.run('uname -r')).out.trim()).toBe(KERNEL_RELEASE);
    expect((await guest.run('false')).code).toBe(1);
  }, 60_000);

  it('shows the USB HID device with its VID:PID and report descriptor under /sys/class/hidraw', async () => {
    const t0 = Date.now();
    await guest.runUntil('hidraw0 in the guest', HIDRAW_READY, 60_000);
    console.info(`hidraw0 appeared ${Date.now() - t0} ms after the first test`);
    const ids = await guest.run(
      'for d in /sys/bus/usb/devices/*; do [ -e $d/idVendor ] && echo $(cat $d/idVendor):$(cat $d/idProduct); done',
    );
    // 1d6b is Linux's own root hubs; 0627:0001 is QEMU's emulated HID device.
    expect(ids.out.split('\n')).toContain('0627:0001');
    const desc = await guest.run('cat /sys/class/hidraw/hidraw0/device/report_descriptor');
    expect(desc.raw.toString('hex')).toBe(USB_KBD_DESCRIPTOR);
    const link = await guest.run('readlink -f /sys/class/hidraw/hidraw0/device/../..');
    expect((await guest.run(`cat ${link.out.trim()}/idVendor`)).out.trim()).toBe('0627');
  }, 90_000);

  it('delivers a key press as an input report on /dev/hidraw0', async () => {
    await guest.runUntil('hidraw0 in the guest', HIDRAW_READY, 60_000);
    const capture = await guest.captureDevice('/dev/hidraw0', 16);
    await guest.qmp.execute('send-key', { keys: [{ type: 'qcode', data: 'a' }] });
    const got = await capture.bytes();
    // The boot-protocol report: modifiers, reserved, six key slots. 'a' is usage 0x04; then the release.
    expect(got.toString('hex')).toBe('00000400000000000000000000000000');
  }, 90_000);

  it('live-migrates to a second QEMU process and the guest there still receives key presses', async () => {
    await guest.runUntil('hidraw0 in the guest', HIDRAW_READY, 60_000);
    // State that only the same running kernel can have: a file in its tmpfs and its boot id.
    await guest.run('echo before-migration >/tmp/witness');
    const bootId = (await guest.run('cat /proc/sys/kernel/random/boot_id')).out;
    const oldQmp = guest.qmp;

    const times = await guest.migrate();
    console.info(`migration: ${times.migrateMs} ms to completed, ${times.totalMs} ms to a command on the new QEMU`);

    expect(guest.qmp).not.toBe(oldQmp);
    await expect(oldQmp.execute('query-status', undefined, 2000)).rejects.toBeInstanceOf(QmpError);
    expect(await guest.qmp.execute('query-status')).toMatchObject({ status: 'running' });
    expect((await guest.run('cat /tmp/witness')).out).toBe('before-migration\n');
    expect((await guest.run('cat /proc/sys/kernel/random/boot_id')).out).toBe(bootId);

    const capture = await guest.captureDevice('/dev/hidraw0', 16);
    await guest.qmp.execute('send-key', { keys: [{ type: 'qcode', data: 'b' }] });
    expect((await capture.bytes()).toString('hex')).toBe('00000500000000000000000000000000');
  }, 120_000);

  it('follows an unplug and a replug of the USB device while the guest runs', async () => {
    await guest.runUntil('hidraw0 in the guest', HIDRAW_READY, 60_000);
    const from = guest.qmp.events.length;
    await guest.qmp.execute('device_del', { id: 'kbd' });
    await guest.qmp.waitEvent('DEVICE_DELETED', (e) => e.device === 'kbd', 30_000, from);
    await guest.runUntil('hidraw0 to go', '! test -e /dev/hidraw0 && ! test -e /sys/class/hidraw/hidraw0', 30_000);
    expect((await guest.run('cat /sys/bus/usb/devices/*/idVendor')).out).not.toContain('0627');

    await guest.qmp.execute('device_add', { driver: 'usb-kbd', bus: 'xhci.0', id: 'kbd' });
    await guest.runUntil('a hidraw node again', 'ls /sys/class/hidraw | grep -q hidraw', 60_000);
    const node = (await guest.run('ls /sys/class/hidraw | head -1')).out.trim();
    const capture = await guest.captureDevice(`/dev/${node}`, 16);
    await guest.qmp.execute('send-key', { keys: [{ type: 'qcode', data: 'c' }] });
    expect((await capture.bytes()).toString('hex')).toBe('00000600000000000000000000000000');
  }, 120_000);

  it('refuses a bad QMP command with a typed error and keeps serving', async () => {
    const err = await guest.qmp.execute('no-such-command').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(QmpError);
    expect((err as QmpError).qmpClass).toBe('CommandNotFound');
    expect(await guest.qmp.execute('query-status')).toMatchObject({ status: 'running' });
    expect((await guest.run('echo still-here')).out).toBe('still-here\n');
  }, 30_000);
});
