import { ErrorCode, UpsguardError } from '../../errors.js';
import { NUT_DEFAULT_PORT } from '../../config/nut-schema.js';

export interface NutTarget {
  readonly user?: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly ups: string;
}

/** `nut://USER@HOST:PORT/UPSNAME`; user and port optional, IPv6 hosts in brackets. */
export function parseNutUrl(url: string): NutTarget {
  const m = /^nut:\/\/(?:([^@/\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:/@\s]+)(?::(\d{1,5}))?\/([^/\s]+)$/.exec(url);
  const port = m?.[3] === undefined ? NUT_DEFAULT_PORT : Number(m[3]);
  if (!m || port < 1 || port > 65_535) {
    throw new UpsguardError(
      ErrorCode.ConfigInvalid,
      `not a NUT URL: ${JSON.stringify(url)} (expected nut://USER@HOST:PORT/UPSNAME)`,
    );
  }
  return {
    user: m[1] === undefined ? undefined : decodeURIComponent(m[1]),
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port,
    ups: decodeURIComponent(m[4]!),
  };
}

export function formatNutUrl(t: NutTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `nut://${t.user === undefined ? '' : `${t.user}@`}${host}:${t.port}/${t.ups}`;
}
