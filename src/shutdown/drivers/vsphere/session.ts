import { ErrorCode, UpsguardError } from '../../../errors.js';
import { peerText, redactError, redactSecrets } from '../../../util/redact.js';
import { child, childrenNamed, escapeXml, xsiType, type XmlElement } from './xml.js';
import { SoapFault, moref, type MoRef, type SoapTransport } from './soap.js';

/** The morefs every call starts from, read once from RetrieveServiceContent (they differ on vCenter and ESXi). */
export interface ServiceContent {
  readonly rootFolder: MoRef;
  readonly propertyCollector: MoRef;
  readonly viewManager: MoRef;
  readonly sessionManager: MoRef;
  /** `VirtualCenter` or `HostAgent` */
  readonly apiType: string;
  readonly fullName: string;
}

export const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };

function refOf(el: XmlElement | undefined, what: string): MoRef {
  if (!el) throw new UpsguardError(ErrorCode.DriverFailure, `vSphere's service content has no ${what}`);
  return { type: el.attrs.type ?? what, value: el.text.trim() };
}

const LICENCE =
  'the vSphere licence forbids this call: free-licence ESXi (the "hypervisor" edition) refuses every API write, ' +
  'so upsguard cannot shut anything down through the API on this host; apply a paid licence or use the SSH driver';

/** Maps a vim25 fault to the typed error a user can act on; `what` names the call and its target. */
export function faultError(f: SoapFault, what: string): UpsguardError {
  const d = { fault: f.faultType };
  switch (f.faultType) {
    case 'InvalidLogin':
      return new UpsguardError(ErrorCode.DriverAuth, `vSphere login failed: wrong user name or password`, d);
    case 'NotAuthenticated':
      return new UpsguardError(ErrorCode.DriverAuth, `${what}: the session is not authenticated`, d);
    case 'NoPermission':
      return new UpsguardError(ErrorCode.DriverPermission, `${what}: the vSphere user lacks the privilege`, d);
    case 'RestrictedVersion':
      return new UpsguardError(ErrorCode.DriverLicence, `${what}: ${LICENCE}`, d);
    case 'ToolsUnavailable':
      return new UpsguardError(
        ErrorCode.DriverToolsMissing,
        `${what}: VMware Tools is not running in the guest, so it cannot be shut down gracefully`,
        d,
      );
    case 'ManagedObjectNotFound':
      return new UpsguardError(ErrorCode.DriverNotFound, `${what}: the object no longer exists`, d);
    default: {
      const said = peerText(f.faultString);
      return new UpsguardError(ErrorCode.DriverFailure, `${what}: ${f.faultType}${said ? ` (${said})` : ''}`, d);
    }
  }
}

/**
 * A logged-in vim25 session: service content, Login with the cookie kept by the transport, and one re-login when a
 * call (or a property read, whose NotAuthenticated comes as a missingSet entry) finds the session gone.
 */
export class VimSession {
  private content: ServiceContent | undefined;
  private loggingIn: Promise<void> | undefined;
  /** Bumped at each login, so per-session objects (the container view) are recreated. */
  generation = 0;

  constructor(
    readonly transport: SoapTransport,
    private readonly username: string,
    private readonly password: string,
  ) {}

  /** A text from or about this endpoint with the password taken out (any form a peer may echo it in). */
  redact(text: string): string {
    return redactSecrets(text, [this.password]);
  }

  /** The error a caller sees: a fault mapped to its typed error; the password never in its text. */
  private failure(err: unknown, what: string): unknown {
    return redactError(err instanceof SoapFault ? faultError(err, what) : err, [this.password]);
  }

  async serviceContent(): Promise<ServiceContent> {
    if (this.content) return this.content;
    const res = await this.raw('RetrieveServiceContent', moref('_this', SERVICE_INSTANCE), 'RetrieveServiceContent');
    const rv = child(res, 'returnval');
    const about = child(rv, 'about');
    this.content = {
      rootFolder: refOf(child(rv, 'rootFolder'), 'Folder'),
      propertyCollector: refOf(child(rv, 'propertyCollector'), 'PropertyCollector'),
      viewManager: refOf(child(rv, 'viewManager'), 'ViewManager'),
      sessionManager: refOf(child(rv, 'sessionManager'), 'SessionManager'),
      apiType: child(about, 'apiType')?.text ?? 'unknown',
      fullName: child(about, 'fullName')?.text ?? 'unknown',
    };
    return this.content;
  }

  /** Logs in unless a session is held; concurrent callers share one Login. */
  async ensureLogin(): Promise<void> {
    if (this.transport.hasSession) return;
    this.loggingIn ??= this.login().finally(() => (this.loggingIn = undefined));
    await this.loggingIn;
  }

  private async login(): Promise<void> {
    const sc = await this.serviceContent();
    await this.raw(
      'Login',
      `${moref('_this', sc.sessionManager)}<userName>${escapeXml(this.username)}</userName>` +
        `<password>${escapeXml(this.password)}</password>`,
      'login',
    );
    this.generation++;
  }

  async logout(): Promise<void> {
    if (!this.transport.hasSession) return;
    const sc = await this.serviceContent();
    try {
      await this.transport.call('Logout', moref('_this', sc.sessionManager));
    } catch (err) {
      throw this.failure(err, 'logout');
    } finally {
      this.transport.dropSession();
    }
  }

  /** A call that needs the session: logs in first, and once more if the server says the session has gone. */
  async call(method: string, inner: (sc: ServiceContent) => string, what: string): Promise<XmlElement> {
    for (let attempt = 0; ; attempt++) {
      await this.ensureLogin();
      const sc = await this.serviceContent();
      try {
        const res = await this.transport.call(method, inner(sc));
        if (attempt === 0 && method.startsWith('RetrieveProperties') && notAuthenticatedSet(res)) {
          this.transport.dropSession();
          continue;
        }
        return res;
      } catch (err) {
        if (err instanceof SoapFault && err.faultType === 'NotAuthenticated' && attempt === 0) {
          this.transport.dropSession();
          continue;
        }
        throw this.failure(err, what);
      }
    }
  }

  private async raw(method: string, inner: string, what: string): Promise<XmlElement> {
    try {
      return await this.transport.call(method, inner);
    } catch (err) {
      throw this.failure(err, what);
    }
  }
}

/** True when a property read came back with NotAuthenticated in a missingSet (vim25's way for reads). */
function notAuthenticatedSet(res: XmlElement): boolean {
  for (const obj of childrenNamed(child(res, 'returnval'), 'objects')) {
    for (const m of childrenNamed(obj, 'missingSet')) {
      const fault = child(child(m, 'fault'), 'fault');
      if (fault && xsiType(fault) === 'NotAuthenticated') return true;
    }
  }
  return false;
}
