import { z } from 'zod';
import { nameRule } from './names.js';

/**
 * The real shutdown targets' endpoints and credentials, one entry per driver instance under `shutdown.drivers`; a
 * plan's selector names the instance (`driver: NAME`). Secrets come as `password_file:` / `token_file:` like any
 * secret key. Each kind keeps its own fields here.
 */
const name = nameRule();

const common = {
  name,
  /** Whether this driver may be reached at all during the daily dry run and the real run. */
  enabled: z.boolean().default(true),
};

export const vsphereDriverSchema = z
  .strictObject({
    ...common,
    kind: z.literal('vsphere'),
    /** vCenter or standalone ESXi: https://vcenter.lan/sdk (the /sdk path is added when missing). */
    url: z.string().regex(/^https:\/\/[^/\s]+(\/sdk)?\/?$/, 'expected https://HOST[:PORT][/sdk]'),
    username: z.string().min(1),
    /** Give it as password_file: or password_env:. */
    password: z.string().min(1),
    /** The endpoint certificate's SHA-256 thumbprint (ESXi's self-signed one), or a CA file, or insecure. */
    thumbprint_sha256: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){32}$/, 'expected 32 hex bytes, colons optional')
      .optional(),
    ca_file: z.string().min(1).optional(),
    /** Skips certificate verification entirely; logged as a warning at every start. */
    insecure: z.boolean().default(false),
    /** Put a host into maintenance mode before shutting it down (then ShutdownHost_Task without force). */
    maintenance_mode: z.boolean().default(false),
    /** Bound on each SOAP request (connect + answer). */
    request_timeout_ms: z.number().int().positive().default(10_000),
    /** Bound on waiting for a power-off, maintenance-mode or host-shutdown task to finish. */
    task_timeout_ms: z.number().int().positive().default(60_000),
  })
  .superRefine((c, ctx) => {
    const ways = [c.thumbprint_sha256 !== undefined, c.ca_file !== undefined, c.insecure].filter(Boolean).length;
    if (ways !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['thumbprint_sha256'],
        message: 'give exactly one of thumbprint_sha256, ca_file or insecure: true',
      });
    }
  });

export const proxmoxDriverSchema = z
  .strictObject({
    ...common,
    kind: z.literal('proxmox'),
    /** Any node of the cluster: https://pve1.lan:8006 */
    url: z.string().regex(/^https:\/\/[^/]+$/, 'expected https://HOST[:PORT]'),
    /** USER@REALM!TOKENID, e.g. upsguard@pve!shutdown */
    token_id: z.string().regex(/^[^@\s]+@[^!\s]+![A-Za-z0-9_.-]+$/, 'expected USER@REALM!TOKENID'),
    /** The token's secret (give it as token_file: or token_env:). */
    token: z.string().min(1).optional(),
    /** The node certificate's SHA-256 fingerprint (pveproxy's self-signed certificate), or a CA file, or insecure. */
    fingerprint_sha256: z
      .string()
      .regex(/^([0-9A-Fa-f]{2}:?){32}$/, 'expected 32 hex bytes, colons optional')
      .optional(),
    ca_file: z.string().optional(),
    insecure: z.boolean().default(false),
    request_timeout_ms: z.number().int().positive().default(10_000),
    /** Passed to each guest's shutdown task; the plan's timeout decides when the hard stop comes. */
    guest_timeout_s: z.number().int().positive().default(180),
    task_timeout_s: z.number().positive().default(60),
    task_poll_ms: z.number().int().positive().default(500),
  })
  .superRefine((d, ctx) => {
    if (d.token === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['token_file'],
        message: 'the API token secret is required (token_file or token_env)',
      });
    const ways = [d.fingerprint_sha256 !== undefined, d.ca_file !== undefined, d.insecure].filter(Boolean).length;
    if (ways !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['fingerprint_sha256'],
        message: 'give exactly one of fingerprint_sha256, ca_file or insecure: true',
      });
    }
  });

export const libvirtDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('libvirt'),
  /** Any libvirt URI virsh accepts: qemu:///system, qemu+ssh://root@kvm1/system, test+unix:///default?socket=… */
  uri: z.string().min(1),
  /** The name the host carries in the plan (an `ssh` driver host), so `vms_of:` selects its domains. */
  host: z.string().min(1).optional(),
  /** The `ssh` driver instance that halts that host; libvirt itself cannot. Leave out to keep the host out. */
  host_ssh: name.optional(),
  /** For `+ssh` URIs: the private key (added as the URI's `keyfile`) and a pinned known_hosts file. */
  ssh_key_file: z.string().min(1).optional(),
  ssh_known_hosts: z.string().min(1).optional(),
  /** Every virsh call gives up after this. */
  call_timeout_ms: z.number().int().min(100).max(600_000).default(15_000),
});

const sshHostSchema = z
  .strictObject({
    name,
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1).default('root'),
    key_file: z.string().min(1),
    /** The host key pinned: a known_hosts file, or the key's `SHA256:…` fingerprint (`ssh-keygen -lf`). */
    known_hosts: z.string().min(1).optional(),
    host_key_sha256: z
      .string()
      .regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'give the SHA256 fingerprint as ssh-keygen -l prints it')
      .optional(),
    command: z.string().min(1).default('sudo /sbin/poweroff'),
    /** Run by the daily check; a forced-command key must allow it. */
    check_command: z.string().min(1).default('uptime'),
    tags: z.array(z.string()).default([]),
  })
  .refine((h) => (h.known_hosts === undefined) !== (h.host_key_sha256 === undefined), {
    message: 'pin the host key with exactly one of known_hosts or host_key_sha256',
  });

export const sshDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('ssh'),
  hosts: z.array(sshHostSchema).min(1),
  /** TCP connect and key exchange limit for every ssh call and for the "still answering" probe. */
  connect_timeout_s: z.number().int().min(1).max(120).default(5),
  /** Every ssh call (connect + command) gives up after this. */
  call_timeout_ms: z.number().int().min(100).max(600_000).default(20_000),
});

export const driverSchema = z.discriminatedUnion('kind', [
  vsphereDriverSchema,
  proxmoxDriverSchema,
  libvirtDriverSchema,
  sshDriverSchema,
]);

export type DriverConfig = z.output<typeof driverSchema>;
export type VsphereDriverConfig = z.output<typeof vsphereDriverSchema>;
export type ProxmoxDriverConfig = z.output<typeof proxmoxDriverSchema>;
export type LibvirtDriverConfig = z.output<typeof libvirtDriverSchema>;
export type SshDriverConfig = z.output<typeof sshDriverSchema>;
