import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { PveCaller } from '../../shutdown/drivers/proxmox/restore.js';
import type { AttachResult, AttachmentRow, DetachResult, VmAttachments } from './attachments.js';
import { parseProxmoxAttachments, withProxmoxAttachment, withoutProxmoxAttachment } from './proxmox-args.js';
import { DEFAULT_RECONNECT_S, checkDeviceName, type RedirEndpoint } from './redirdev.js';

interface PveVm {
  readonly vmid: number;
  readonly node: string;
  readonly name?: string;
  readonly status: string;
  readonly type: string;
}

interface PveQemuConfig {
  readonly args?: string;
  readonly digest?: string;
}

/**
 * Attachments on a Proxmox cluster, in each VM's `args`. Proxmox reads `args` when it starts the VM, so a change
 * reaches a running VM at its next start (`live: false`). Writes carry the config's digest, so an edit made by
 * someone else in between is refused rather than overwritten.
 *
 * Proxmox lets only `root@pam` itself set `args` (qemu-server's check_vm_modify_config_perm): an API token, even
 * root's own, is refused with "only root can set 'args' config". The caller passed in must therefore be a root@pam
 * ticket session; a token caller gets a typed error that says so.
 */
export class ProxmoxAttachments implements VmAttachments {
  constructor(private readonly call: PveCaller) {}

  async attach(
    vm: string,
    device: string,
    endpoint: RedirEndpoint,
    reconnectS = DEFAULT_RECONNECT_S,
  ): Promise<AttachResult> {
    return this.wrap('attach', vm, device, async () => {
      const guest = await this.find(vm);
      const config = await this.config(guest);
      const before = config.args ?? '';
      const after = withProxmoxAttachment(before, device, endpoint, reconnectS);
      const changed = after !== before;
      if (changed) await this.write(guest, after, config.digest);
      return { vm, device, changed, live: false, config: true };
    });
  }

  async detach(vm: string, device: string): Promise<DetachResult> {
    checkDeviceName(device);
    return this.wrap('detach', vm, device, async () => {
      const guest = await this.find(vm);
      const config = await this.config(guest);
      const before = config.args ?? '';
      const after = withoutProxmoxAttachment(before, device);
      const changed = after !== before;
      if (changed) await this.write(guest, after, config.digest);
      return { vm, device, changed };
    });
  }

  async list(): Promise<AttachmentRow[]> {
    const vms = await this.vms();
    const rows: AttachmentRow[] = [];
    for (const g of vms) {
      const args = (await this.config(g)).args ?? '';
      for (const a of parseProxmoxAttachments(args)) {
        rows.push({
          device: a.device,
          vm: g.name ?? String(g.vmid),
          platform: 'proxmox',
          endpoint: a.endpoint,
          ...(a.reconnectS === undefined ? {} : { reconnectS: a.reconnectS }),
          where: 'config',
          running: g.status === 'running',
        });
      }
    }
    return rows;
  }

  private async vms(): Promise<PveVm[]> {
    const all = await this.call<PveVm[]>('GET', '/cluster/resources', { type: 'vm' });
    return all.filter((r) => r.type === 'qemu');
  }

  /** By VMID, or by name when exactly one VM has it. */
  private async find(vm: string): Promise<PveVm> {
    const vms = await this.vms();
    const hits = /^\d+$/.test(vm) ? vms.filter((g) => String(g.vmid) === vm) : vms.filter((g) => g.name === vm);
    if (hits.length === 1) return hits[0]!;
    throw new UpsguardError(
      ErrorCode.UsbAttachFailed,
      hits.length === 0
        ? `no QEMU VM '${vm}' on this Proxmox cluster`
        : `${hits.length} QEMU VMs are named '${vm}' (VMIDs ${hits.map((h) => h.vmid).join(', ')}): give the VMID`,
    );
  }

  private config(g: PveVm): Promise<PveQemuConfig> {
    return this.call<PveQemuConfig>('GET', `/nodes/${g.node}/qemu/${g.vmid}/config`);
  }

  private async write(g: PveVm, args: string, digest: string | undefined): Promise<void> {
    const params: Record<string, string> = args.trim() === '' ? { delete: 'args' } : { args };
    if (digest !== undefined) params.digest = digest;
    await this.call('PUT', `/nodes/${g.node}/qemu/${g.vmid}/config`, params);
  }

  private async wrap<T>(action: string, vm: string, device: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UpsguardError && err.code === ErrorCode.UsbAttachFailed) throw err;
      const said = errorMessage(err);
      const why = /only root can set 'args'/.test(said)
        ? `${said} (Proxmox lets only root@pam itself, not an API token, change a VM's args)`
        : said;
      throw new UpsguardError(
        ErrorCode.UsbAttachFailed,
        `${action} ${device} ${action === 'attach' ? 'to' : 'from'} Proxmox VM ${vm} failed: ${why}`,
        { vm, device, ...(err instanceof UpsguardError ? { cause: err.code } : {}) },
        { cause: err },
      );
    }
  }
}
