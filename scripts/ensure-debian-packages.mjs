// `npm test` needs a few Debian packages for its real peers. Installs the missing ones when running as root;
// otherwise stops with the exact command to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** package -> a file that exists once it is installed */
const needed = [
  [
    'libusb-1.0-0',
    [
      '/usr/lib/x86_64-linux-gnu/libusb-1.0.so.0',
      '/usr/lib/aarch64-linux-gnu/libusb-1.0.so.0',
      '/lib/x86_64-linux-gnu/libusb-1.0.so.0',
    ],
  ],
  ['chromium', ['/usr/bin/chromium']],
  // real NUT 2.8 peers for the NUT server and client tests
  ['nut-server', ['/lib/nut/upsd']],
  ['nut-client', ['/usr/bin/upsc']],
  // libvirt's test driver inside libvirtd, virsh, and a loopback sshd for the libvirt and SSH driver tests
  ['libvirt-daemon', ['/usr/sbin/libvirtd']],
  ['libvirt-clients', ['/usr/bin/virsh']],
  ['openssh-server', ['/usr/sbin/sshd']],
  ['openssh-client', ['/usr/bin/ssh-keyscan']],
  ['netcat-openbsd', ['/bin/nc.openbsd']],
  // vcsim (vSphere simulator) built from Debian's govmomi sources for the vSphere driver tests
  ['golang-go', ['/usr/bin/go']],
  ['golang-github-vmware-govmomi-dev', ['/usr/share/gocode/src/github.com/vmware/govmomi/simulator/simulator.go']],
  // the package tests: systemd-analyze on the units; the maintainer scripts' adduser and deb-systemd-helper, run by
  // dpkg in a throwaway root made of this machine's /usr
  ['systemd', ['/usr/bin/systemd-analyze']],
  ['adduser', ['/usr/sbin/adduser']],
  ['init-system-helpers', ['/usr/bin/deb-systemd-helper']],
  // a real MQTT broker (and mosquitto_passwd) for the MQTT / Home Assistant integration tests
  ['mosquitto', ['/usr/sbin/mosquitto']],
  // a real SMTP server (STARTTLS, SMTPS, AUTH) for the email notification channel's tests
  ['python3-aiosmtpd', ['/usr/lib/python3/dist-packages/aiosmtpd/controller.py']],
  // python3's pty module drives `upsguard setup` on a real pseudo-terminal (test/cli/setup/setup-tty.test.ts)
  ['python3-minimal', ['/usr/bin/python3']],
  // a BMC (OpenIPMI's ipmi_sim) and ipmitool for IPMI host power; ip for the Wake-on-LAN network namespace
  ['openipmi', ['/usr/bin/ipmi_sim']],
  ['ipmitool', ['/usr/bin/ipmitool']],
  ['iproute2', ['/usr/sbin/ip', '/bin/ip']],
  // usbredir (issue 14): a real QEMU as the usb-redir peer, booting Debian's own kernel with a busybox initramfs made in
  // the test (busybox must be the static build: the initramfs has no libc); xz unpacks the kernel; libvirt's QEMU driver
  // runs the session daemon `devices attach` is tested against
  ['qemu-system-x86', ['/usr/bin/qemu-system-x86_64']],
  ['busybox-static', []],
  ['linux-image-amd64', []],
  ['xz-utils', ['/usr/bin/xz']],
  // .ci/run's booted-package proof (scripts/prove-deb.sh) makes its Debian root with debootstrap
  ['debootstrap', ['/usr/sbin/debootstrap']],
  ['libvirt-daemon-driver-qemu', ['/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so']],
  // Not apcupsd: it conflicts with nut-client (both provide ups-monitor), so installing it removes the NUT peers.
  // test/helpers/apcaccess.ts unpacks apcaccess from the package (apt-get download) instead.
];

function installed(pkg, files) {
  if (files.some((f) => existsSync(f))) return true;
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

const missing = needed.filter(([pkg, files]) => !installed(pkg, files)).map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (process.getuid?.() !== 0) {
  console.error(
    `The tests need these Debian packages: ${missing.join(', ')}. Install them with:\n  sudo sh -c '${command}'`,
  );
  process.exit(1);
}
console.log(`installing Debian packages the tests need: ${missing.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
} catch {
  console.error(`installing failed; run it by hand:\n  ${command}`);
  process.exit(1);
}
