import type { PveCaller } from '../../shutdown/drivers/proxmox/restore.js';
import { pveCall, type PveConnection } from '../../shutdown/drivers/proxmox/http.js';

/**
 * A Proxmox API session as root@pam with a password ticket (POST /access/ticket), for the one thing an API token
 * cannot do: set a VM's `args`. qemu-server lets `root@pam` itself and nobody else set it, and a token acts as
 * `root@pam!ID`, so even root's own token is refused. The ticket goes in the PVEAuthCookie, writes carry the
 * CSRFPreventionToken, as the web UI does. The certificate is pinned before the password is sent, as the driver does
 * (the same HTTP layer: only the proof of who is asking differs).
 */
export interface PveTicketOptions extends PveConnection {
  /** root@pam: the only user qemu-server lets set `args`. */
  readonly username: string;
  readonly password: string;
}

/** Logs in once and returns a caller that uses the ticket (valid two hours on PVE: enough for one command). */
export async function pveTicketCaller(o: PveTicketOptions): Promise<PveCaller> {
  const login = await pveCall<{ ticket: string; CSRFPreventionToken: string }>(
    o,
    { headers: () => ({}), secrets: [o.password], rejected: 'user or password rejected' },
    'POST',
    '/access/ticket',
    { username: o.username, password: o.password },
  );
  const auth = {
    headers: (method: string) => ({
      cookie: `PVEAuthCookie=${encodeURIComponent(login.ticket)}`,
      ...(method === 'GET' ? {} : { csrfpreventiontoken: login.CSRFPreventionToken }),
    }),
    secrets: [o.password, login.ticket, login.CSRFPreventionToken],
    rejected: 'ticket rejected',
  };
  return <T>(method: 'GET' | 'POST' | 'PUT', path: string, params: Record<string, string | number> = {}) =>
    pveCall<T>(o, auth, method, path, params);
}
