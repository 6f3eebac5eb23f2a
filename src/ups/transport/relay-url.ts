import { ErrorCode, UpsguardError } from '../../errors.js';

export const DEFAULT_RELAY_PORT = 3496;

export interface RelayAddress {
  readonly host: string;
  readonly port: number;
  /** Device name, `VVVV:PPPP`, `serial:S`, `path:1-1.4`, or empty for the agent's only device. */
  readonly selector: string;
}

/** `relay://HOST[:PORT]/SELECTOR`; IPv6 hosts in brackets. */
export function parseRelayUrl(url: string): RelayAddress {
  const m = /^relay:\/\/(\[[0-9a-fA-F:.]+\]|[^/:[\]]+)(?::(\d{1,5}))?(?:\/(.*))?$/.exec(url.trim());
  if (!m) {
    throw new UpsguardError(
      ErrorCode.ConfigInvalid,
      `relay URL ${JSON.stringify(url)} is not relay://HOST[:PORT]/SELECTOR`,
    );
  }
  const port = m[2] === undefined ? DEFAULT_RELAY_PORT : Number(m[2]);
  if (port < 1 || port > 65_535)
    throw new UpsguardError(ErrorCode.ConfigInvalid, `relay URL port ${port} is out of range`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port, selector: decodeURIComponent(m[3] ?? '') };
}

export function formatRelayUrl(a: RelayAddress): string {
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `relay://${host}:${a.port}/${a.selector}`;
}
