import type { Socket } from 'node:net';

export interface ConnectionLimitSettings {
  /** Connections one remote address may hold at once. */
  readonly perAddress: number;
  /** Connections all addresses together may hold at once. */
  readonly total: number;
}

export type Admission =
  { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly reason: string };

/** The address a client is counted under: IPv4-mapped IPv6 is the IPv4 address it maps. */
export function remoteKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Counts live connections per remote address and in all, so one client cannot take every slot a server has. Web,
 * NUT and the relay agent each keep their own; pure bookkeeping, no I/O.
 */
export class ConnectionLimits {
  private readonly byAddress = new Map<string, number>();
  private all = 0;

  constructor(readonly settings: ConnectionLimitSettings) {}

  /** Takes a slot for `address`; the release it returns is idempotent. */
  admit(address: string): Admission {
    const n = this.byAddress.get(address) ?? 0;
    if (this.all >= this.settings.total) {
      return { ok: false, reason: `connection limit reached (${String(this.settings.total)} in all)` };
    }
    if (n >= this.settings.perAddress) {
      return {
        ok: false,
        reason: `connection limit reached (${String(this.settings.perAddress)} from ${address})`,
      };
    }
    this.byAddress.set(address, n + 1);
    this.all++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.all--;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.byAddress.delete(address);
        else this.byAddress.set(address, left);
      },
    };
  }

  /** Admits a socket, releasing its slot when it closes; null when admitted, else why it was refused. */
  admitSocket(socket: Socket, address = remoteKey(socket.remoteAddress)): string | null {
    const a = this.admit(address);
    if (!a.ok) return a.reason;
    socket.once('close', a.release);
    return null;
  }

  count(address?: string): number {
    return address === undefined ? this.all : (this.byAddress.get(address) ?? 0);
  }
}
