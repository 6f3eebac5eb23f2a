import type { RedirEndpoint } from './redirdev.js';

/**
 * `upsguard devices attach/detach/attachments`: a VM given a relay agent's usbredir endpoint for one exported
 * device. The attachment lives in the VM's definition (libvirt redirdev, Proxmox args) with QEMU's reconnect on, so
 * the VM boots while the agent or the device is away and gets the device when it returns.
 */

export type AttachPlatform = 'libvirt' | 'proxmox';

export interface AttachResult {
  readonly vm: string;
  readonly device: string;
  /** False when the VM already had exactly this attachment (attach is idempotent). */
  readonly changed: boolean;
  /** Whether the running VM got it now; false: at its next start. */
  readonly live: boolean;
  readonly config: true;
}

export interface DetachResult {
  readonly vm: string;
  readonly device: string;
  /** False when there was nothing to remove. */
  readonly changed: boolean;
}

/** One row of the table: which VM holds which device, and through which endpoint. */
export interface AttachmentRow {
  readonly device: string;
  readonly vm: string;
  readonly platform: AttachPlatform;
  readonly endpoint: RedirEndpoint;
  readonly reconnectS?: number;
  /** Where it is: the running VM and its config, the config only (next start), or live only (lost at shutdown). */
  readonly where: 'live+config' | 'config' | 'live';
  readonly running: boolean;
}

/** The one shape both platforms offer the CLI. */
export interface VmAttachments {
  attach(vm: string, device: string, endpoint: RedirEndpoint, reconnectS?: number): Promise<AttachResult>;
  detach(vm: string, device: string): Promise<DetachResult>;
  list(): Promise<AttachmentRow[]>;
}
