import { ErrorCode, UpsguardError } from '../../errors.js';

/**
 * Every question `upsguard setup` asks has a flag, so a script gives the same answers a person types. This table is
 * the one list of them: the parser, the usage text and the README read it.
 */
export interface FlagSpec {
  readonly name: string;
  /** Takes a value (`--name VALUE`); else a switch. */
  readonly value: boolean;
  /** May be given more than once (`--ssh-host a --ssh-host b`). */
  readonly repeat?: boolean;
  readonly help: string;
}

export const SETUP_FLAGS: readonly FlagSpec[] = [
  { name: 'config', value: true, help: 'the configuration file to write or edit (default: UPSGUARD_CONFIG)' },
  { name: 'non-interactive', value: false, help: 'ask nothing: every answer from a flag or its default' },
  { name: 'prompt-timeout-s', value: true, help: 'give up when a question is not answered in this long (1800)' },
  { name: 'ups', value: true, help: 'where the UPS is read: usb, relay, nut or sim' },
  { name: 'ups-name', value: true, help: 'the UPS name in the config (ups)' },
  { name: 'usb-device', value: true, help: 'usb: the number in the list, VVVV:PPPP or the serial' },
  { name: 'relay-address', value: true, help: 'relay: the agent as HOST[:PORT] (port 3496)' },
  { name: 'relay-identity', value: true, help: "relay: this appliance's PSK identity (upsguard-HOSTNAME)" },
  { name: 'relay-device', value: true, help: "relay: the agent's device (name, VVVV:PPPP; empty: its only one)" },
  { name: 'nut-url', value: true, help: 'nut: nut://USER:PASSWORD@HOST[:PORT]/UPS (the login is tested)' },
  { name: 'nut-password-file', value: true, help: 'nut: the password in a file instead of in the URL' },
  { name: 'sim-device', value: true, help: 'sim: a recorded UPS (upsguard sim devices)' },
  { name: 'platforms', value: true, help: 'platforms to shut down: vsphere,proxmox,libvirt,ssh or none' },
  { name: 'vsphere-url', value: true, help: 'vSphere: https://VCENTER-OR-ESXI[/sdk]' },
  { name: 'vsphere-user', value: true, help: 'vSphere: the user name' },
  { name: 'vsphere-password-file', value: true, help: "vSphere: a file holding the user's password" },
  { name: 'vsphere-thumbprint', value: true, help: "vSphere: the certificate's SHA-256 thumbprint" },
  { name: 'vsphere-insecure', value: false, help: 'vSphere: do not verify the certificate' },
  { name: 'proxmox-url', value: true, help: 'Proxmox VE: https://NODE:8006' },
  { name: 'proxmox-token-id', value: true, help: 'Proxmox VE: USER@REALM!TOKENID' },
  { name: 'proxmox-token-file', value: true, help: "Proxmox VE: a file holding the token's secret" },
  { name: 'proxmox-fingerprint', value: true, help: "Proxmox VE: the node certificate's SHA-256 fingerprint" },
  { name: 'proxmox-insecure', value: false, help: 'Proxmox VE: do not verify the certificate' },
  { name: 'libvirt-uri', value: true, help: 'libvirt: qemu:///system, qemu+ssh://root@kvm1/system, …' },
  { name: 'libvirt-host', value: true, help: 'libvirt: the ssh host (--ssh-host NAME) its domains run on' },
  {
    name: 'ssh-host',
    value: true,
    repeat: true,
    help: 'SSH: NAME=USER@ADDRESS[:PORT] of a host to power off (repeat for more)',
  },
  { name: 'ssh-key', value: true, help: 'SSH: the private key file upsguard logs in with' },
  { name: 'ssh-known-hosts', value: true, help: "SSH: a known_hosts file pinning the hosts' keys" },
  { name: 'ssh-command', value: true, help: 'SSH: the power-off command (sudo /sbin/poweroff)' },
  { name: 'plan-by', value: true, help: 'VMs in the plan: host (one selector per host) or tag' },
  { name: 'vm-tags', value: true, help: 'plan-by tag: tags in shutdown order, comma-separated (first goes first)' },
  { name: 'self-vm', value: true, help: "the appliance's own VM (found by MAC address when left out)" },
  { name: 'self-host', value: true, help: 'the host the appliance runs on (goes last)' },
  { name: 'ups-host', value: true, help: 'the host the UPS is plugged into (goes last)' },
  { name: 'phase-timeout-s', value: true, help: 'graceful shutdown time per phase before the hard power-off (120)' },
  { name: 'off-delay-s', value: true, help: "the UPS's delay before it cuts its output" },
  { name: 'on-delay-s', value: true, help: "the UPS's delay, mains back, before it powers its output again" },
  { name: 'on-battery-s', value: true, help: 'policy: shut down after this long on battery (none: off)' },
  { name: 'charge-pct', value: true, help: 'policy: shut down at or below this charge (none: off)' },
  { name: 'runtime-s', value: true, help: 'policy: shut down at or below this runtime left (none: off)' },
  { name: 'admin-user', value: true, help: 'the web console admin (admin)' },
  { name: 'admin-password-file', value: true, help: "a file holding the admin's password (stored as a hash)" },
  { name: 'web-port', value: true, help: 'the web console port (8080)' },
  { name: 'store', value: true, help: 'the SQLite store file' },
  { name: 'skip-dry-run', value: false, help: 'write the config without running the plan dry afterwards' },
];

export type SetupFlags = ReadonlyMap<string, readonly string[]>;

const usage = (m: string): UpsguardError => new UpsguardError(ErrorCode.CliUsage, m);

/** `--name VALUE`, `--name=VALUE` and switches from the table; anything else is an error naming it. */
export function parseSetupFlags(args: readonly string[]): SetupFlags {
  const out = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw usage(`setup takes no positional argument (${JSON.stringify(a)})`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = SETUP_FLAGS.find((f) => f.name === name);
    if (!spec) throw usage(`unknown option --${name}`);
    let value = 'true';
    if (spec.value) {
      const v = eq < 0 ? args[++i] : a.slice(eq + 1);
      if (v === undefined) throw usage(`--${name} needs a value`);
      value = v;
    } else if (eq >= 0) throw usage(`--${name} takes no value`);
    const list = out.get(name) ?? [];
    if (list.length > 0 && spec.repeat !== true) throw usage(`--${name} is given twice`);
    out.set(name, [...list, value]);
  }
  return out;
}

/** The usage lines for `upsguard setup`, from the table. */
export function setupFlagHelp(): string[] {
  return SETUP_FLAGS.map((f) => `  --${f.name}${f.value ? ' VALUE' : ''}`.padEnd(32) + f.help);
}
