import { z } from 'zod';

/**
 * The real shutdown targets' endpoints and credentials, one entry per driver instance under `shutdown.drivers`; a
 * plan's selector names the instance (`driver: NAME`). Secrets come as `password_file:` / `token_file:` like any
 * secret key. Each kind keeps its own fields here.
 */
const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use 1-64 letters, digits, dot, dash or underscore');

const common = {
  name,
  /** Whether this driver may be reached at all during the daily dry run and the real run. */
  enabled: z.boolean().default(true),
};

export const vsphereDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('vsphere'),
});

export const proxmoxDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('proxmox'),
});

export const libvirtDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('libvirt'),
});

export const sshDriverSchema = z.strictObject({
  ...common,
  kind: z.literal('ssh'),
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
