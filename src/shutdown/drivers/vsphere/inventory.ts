import { ErrorCode, UpsguardError } from '../../../errors.js';
import { SoapFault, moref, type MoRef } from './soap.js';
import { faultError, type VimSession } from './session.js';
import { child, childrenNamed, descendants, type XmlElement } from './xml.js';
import { systemClock, type Clock } from '../../../util/clock.js';
import { sleep } from '../../limits.js';

/** One managed object as the property collector returned it: its moref and the requested properties. */
export interface ObjectProps {
  readonly ref: MoRef;
  readonly props: ReadonlyMap<string, XmlElement>;
}

export const VM_PATHS = ['name', 'runtime.powerState', 'runtime.host', 'guest.toolsRunningStatus', 'guest.net'];
export const HOST_PATHS = ['name', 'runtime.powerState', 'runtime.connectionState', 'runtime.inMaintenanceMode'];

const pathSet = (paths: readonly string[]): string => paths.map((p) => `<pathSet>${p}</pathSet>`).join('');

function parseObjects(res: XmlElement): { objects: ObjectProps[]; token: string | undefined } {
  const rv = child(res, 'returnval');
  const objects = childrenNamed(rv, 'objects').map((o) => {
    const obj = child(o, 'obj');
    const props = new Map<string, XmlElement>();
    for (const p of childrenNamed(o, 'propSet')) {
      const name = child(p, 'name')?.text;
      const val = child(p, 'val');
      if (name !== undefined && val) props.set(name, val);
    }
    return { ref: { type: obj?.attrs.type ?? '', value: obj?.text.trim() ?? '' }, props };
  });
  return { objects, token: child(rv, 'token')?.text };
}

export const text = (o: ObjectProps, path: string): string | undefined => o.props.get(path)?.text.trim();

export const macsOf = (o: ObjectProps): string[] => {
  const net = o.props.get('guest.net');
  return net ? descendants(net, 'macAddress').map((m) => m.text.trim().toLowerCase()) : [];
};

export const refProp = (o: ObjectProps, path: string): MoRef | undefined => {
  const v = o.props.get(path);
  return v ? { type: v.attrs.type ?? '', value: v.text.trim() } : undefined;
};

/**
 * Reads the whole inventory through one ContainerView (created once per session) and RetrievePropertiesEx, paging
 * with ContinueRetrievePropertiesEx: two calls for a few hundred VMs, however many there are per host.
 */
export class Inventory {
  private view: { ref: MoRef; generation: number } | undefined;

  constructor(
    private readonly session: VimSession,
    private readonly pageSize = 1000,
    private readonly clock: Clock = systemClock,
  ) {}

  private async containerView(): Promise<MoRef> {
    await this.session.ensureLogin();
    if (this.view && this.view.generation === this.session.generation) return this.view.ref;
    const res = await this.session.call(
      'CreateContainerView',
      (sc) =>
        `${moref('_this', sc.viewManager)}${moref('container', sc.rootFolder)}` +
        '<type>VirtualMachine</type><type>HostSystem</type><recursive>true</recursive>',
      'create the inventory view',
    );
    const rv = child(res, 'returnval');
    const ref = { type: rv?.attrs.type ?? 'ContainerView', value: rv?.text.trim() ?? '' };
    this.view = { ref, generation: this.session.generation };
    return ref;
  }

  async all(): Promise<ObjectProps[]> {
    for (let attempt = 0; ; attempt++) {
      const view = await this.containerView();
      const generation = this.session.generation;
      const spec =
        `<specSet><propSet><type>VirtualMachine</type>${pathSet(VM_PATHS)}</propSet>` +
        `<propSet><type>HostSystem</type>${pathSet(HOST_PATHS)}</propSet>` +
        `<objectSet>${moref('obj', view)}<skip>true</skip><selectSet xsi:type="TraversalSpec"><name>view</name>` +
        '<type>ContainerView</type><path>view</path><skip>false</skip></selectSet></objectSet></specSet>';
      let res: XmlElement;
      try {
        res = await this.session.call(
          'RetrievePropertiesEx',
          (sc) =>
            `${moref('_this', sc.propertyCollector)}${spec}<options><maxObjects>${this.pageSize}</maxObjects></options>`,
          'read the inventory',
        );
      } catch (err) {
        // The view lives in the session: once the session has gone (vcsim and vCenter then say the view does not
        // exist rather than NotAuthenticated), creating it again goes through the re-login.
        if (attempt === 0 && err instanceof UpsguardError && err.code === ErrorCode.DriverNotFound) {
          this.view = undefined;
          continue;
        }
        throw err;
      }
      // A re-login inside the call made the view (a per-session object) stale: create it again and re-read.
      if (generation !== this.session.generation && attempt === 0) continue;
      let page = parseObjects(res);
      const out = [...page.objects];
      while (page.token !== undefined) {
        const token = page.token;
        const more = await this.session.call(
          'ContinueRetrievePropertiesEx',
          (sc) => `${moref('_this', sc.propertyCollector)}<token>${token}</token>`,
          'read the inventory (next page)',
        );
        page = parseObjects(more);
        out.push(...page.objects);
      }
      return out;
    }
  }

  /** Properties of one object; ManagedObjectNotFound comes back as the typed not-found error. */
  async one(ref: MoRef, paths: readonly string[], what: string): Promise<ObjectProps> {
    const res = await this.session.call(
      'RetrievePropertiesEx',
      (sc) =>
        `${moref('_this', sc.propertyCollector)}<specSet><propSet><type>${ref.type}</type>${pathSet(paths)}</propSet>` +
        `<objectSet>${moref('obj', ref)}</objectSet></specSet><options/>`,
      what,
    );
    const o = parseObjects(res).objects[0];
    if (!o) throw new UpsguardError(ErrorCode.DriverNotFound, `${what}: vSphere returned nothing for ${ref.value}`);
    return o;
  }

  /**
   * Polls a task until it succeeds or fails, every `intervalMs`, for at most `timeoutMs`. A failed task rejects with
   * its fault mapped like a call's fault (RestrictedVersion, NoPermission, InvalidState…).
   */
  async waitTask(task: MoRef, what: string, timeoutMs: number, intervalMs = 200): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const o = await this.one(task, ['info.state', 'info.error'], what);
      const state = text(o, 'info.state');
      if (state === 'success') return;
      if (state === 'error') {
        const err = o.props.get('info.error');
        const fault = err ? child(err, 'fault') : undefined;
        const type = fault ? (Object.entries(fault.attrs).find(([k]) => k.endsWith(':type'))?.[1] ?? '') : '';
        const msg = err ? (child(err, 'localizedMessage')?.text ?? '') : '';
        throw faultError(new SoapFault(type.replace(/^.*:/, '') || 'TaskFailed', this.session.redact(msg)), what);
      }
      if (this.clock.now() >= deadline) {
        throw new UpsguardError(
          ErrorCode.DriverTimeout,
          `${what}: the task was still ${state ?? '?'} after ${timeoutMs} ms`,
        );
      }
      await sleep(this.clock, intervalMs);
    }
  }
}
