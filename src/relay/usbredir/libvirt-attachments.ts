import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { Virsh, parseDomstate, virshQuote } from '../../shutdown/drivers/libvirt/virsh.js';
import { scratchFile } from '../../shutdown/drivers/ssh/ssh-exec.js';
import {
  DEFAULT_RECONNECT_S,
  checkDeviceName,
  libvirtRedirdevXml,
  parseLibvirtAttachments,
  type LibvirtAttachment,
  type RedirEndpoint,
} from './redirdev.js';
import type { AttachResult, AttachmentRow, DetachResult, VmAttachments } from './attachments.js';

type Scope = 'live' | 'config';

const sameTarget = (a: LibvirtAttachment, e: RedirEndpoint, reconnectS: number): boolean =>
  a.endpoint.host === e.host &&
  a.endpoint.port === e.port &&
  (a.endpoint.tls?.kind ?? 'none') === (e.tls?.kind ?? 'none') &&
  a.reconnectS === reconnectS;

/**
 * Attachments on one libvirt connection, through virsh. A running domain is changed live and in its persistent
 * config; a shut-off one in its config only (virsh refuses --live there). Detach hands libvirt back the element as
 * libvirt printed it, because its redirdev matching compares the whole source (host, service, tls, reconnect) and a
 * rebuilt element would not match once libvirt has filled in defaults.
 */
export class LibvirtAttachments implements VmAttachments {
  constructor(private readonly virsh: Virsh) {}

  async attach(
    vm: string,
    device: string,
    endpoint: RedirEndpoint,
    reconnectS = DEFAULT_RECONNECT_S,
  ): Promise<AttachResult> {
    const xml = libvirtRedirdevXml(device, endpoint, reconnectS);
    return this.wrap('attach', vm, device, async () => {
      const running = await this.running(vm);
      const scopes: Scope[] = running ? ['live', 'config'] : ['config'];
      const toAttach: Scope[] = [];
      for (const scope of scopes) {
        const current = (await this.ours(vm, scope)).find((a) => a.device === device);
        if (current !== undefined && sameTarget(current, endpoint, reconnectS)) continue;
        // A different endpoint for the same device: replaced, since one device goes to one place.
        if (current !== undefined) await this.detachElement(vm, current.elementXml, scope);
        toAttach.push(scope);
      }
      if (toAttach.length > 0) {
        const file = scratchFile(`redirdev-${device}`, xml, 0o600);
        await this.virsh.run(
          ['attach-device', '--domain', vm, '--file', file, ...toAttach.map((s) => `--${s}`)],
          `attach ${device} to ${vm}`,
        );
      }
      return { vm, device, changed: toAttach.length > 0, live: running, config: true };
    });
  }

  async detach(vm: string, device: string): Promise<DetachResult> {
    checkDeviceName(device);
    return this.wrap('detach', vm, device, async () => {
      const running = await this.running(vm);
      const scopes: Scope[] = running ? ['live', 'config'] : ['config'];
      let changed = false;
      for (const scope of scopes) {
        const current = (await this.ours(vm, scope)).find((a) => a.device === device);
        if (current === undefined) continue;
        await this.detachElement(vm, current.elementXml, scope);
        changed = true;
      }
      return { vm, device, changed };
    });
  }

  /**
   * Every domain's attachments, in one virsh process whatever the number of domains: each domain's state, its
   * persistent XML and its live XML.
   */
  async list(): Promise<AttachmentRow[]> {
    const names = (await this.virsh.run(['list', '--all', '--name'], 'list domains'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const sections = await this.virsh.batch(
      names.flatMap((n) => [
        `domstate ${virshQuote(n)}`,
        `dumpxml --inactive ${virshQuote(n)}`,
        `dumpxml ${virshQuote(n)}`,
      ]),
      'read domain XML',
    );
    const rows: AttachmentRow[] = [];
    names.forEach((vm, i) => {
      const running = parseDomstate(sections[3 * i] ?? '').state === 'on';
      const config = parseOrEmpty(sections[3 * i + 1] ?? '', vm);
      const live = running ? parseOrEmpty(sections[3 * i + 2] ?? '', vm) : [];
      const devices = new Set([...config, ...live].map((a) => a.device));
      for (const device of [...devices].sort()) {
        const c = config.find((a) => a.device === device);
        const l = live.find((a) => a.device === device);
        const a = (c ?? l)!;
        rows.push({
          device,
          vm,
          platform: 'libvirt',
          endpoint: a.endpoint,
          ...(a.reconnectS === undefined ? {} : { reconnectS: a.reconnectS }),
          where: c && l ? 'live+config' : c ? 'config' : 'live',
          running,
        });
      }
    });
    return rows.sort((a, b) => a.vm.localeCompare(b.vm) || a.device.localeCompare(b.device));
  }

  private async running(vm: string): Promise<boolean> {
    const out = await this.virsh.run(['domstate', '--domain', vm], `state of ${vm}`);
    return parseDomstate(out).state === 'on';
  }

  private async ours(vm: string, scope: Scope): Promise<LibvirtAttachment[]> {
    const xml = await this.virsh.run(
      ['dumpxml', '--domain', vm, ...(scope === 'config' ? ['--inactive'] : [])],
      `read ${vm}'s XML`,
    );
    return parseLibvirtAttachments(xml, `domain ${vm} XML`);
  }

  private async detachElement(vm: string, elementXml: string, scope: Scope): Promise<void> {
    const file = scratchFile('redirdev-detach', elementXml, 0o600);
    await this.virsh.run(['detach-device', '--domain', vm, '--file', file, `--${scope}`], `detach from ${vm}`);
  }

  private async wrap<T>(action: string, vm: string, device: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UpsguardError && err.code === ErrorCode.UsbAttachFailed) throw err;
      throw new UpsguardError(
        ErrorCode.UsbAttachFailed,
        `${action} ${device} ${action === 'attach' ? 'to' : 'from'} libvirt domain ${vm} failed: ${errorMessage(err)}`,
        { vm, device, ...(err instanceof UpsguardError ? { cause: err.code } : {}) },
        { cause: err },
      );
    }
  }
}

function parseOrEmpty(xml: string, vm: string): LibvirtAttachment[] {
  // A domain that vanished between the list and the batch has an empty section: nothing attached to it.
  return xml.trim() === '' ? [] : parseLibvirtAttachments(xml, `domain ${vm} XML`);
}
