/** Fixed texts and codes of the NUT network protocol (docs/net-protocol.txt, server/neterr.h). One list. */

export const NUT_ERROR_CODES = [
  'ACCESS-DENIED',
  'UNKNOWN-UPS',
  'VAR-NOT-SUPPORTED',
  'CMD-NOT-SUPPORTED',
  'INVALID-ARGUMENT',
  'INSTCMD-FAILED',
  'SET-FAILED',
  'READONLY',
  'TOO-LONG',
  'FEATURE-NOT-SUPPORTED',
  'FEATURE-NOT-CONFIGURED',
  'ALREADY-SSL-MODE',
  'DRIVER-NOT-CONNECTED',
  'DATA-STALE',
  'ALREADY-LOGGED-IN',
  'INVALID-PASSWORD',
  'ALREADY-SET-PASSWORD',
  'INVALID-USERNAME',
  'ALREADY-SET-USERNAME',
  'USERNAME-REQUIRED',
  'PASSWORD-REQUIRED',
  'UNKNOWN-COMMAND',
  'INVALID-VALUE',
  'PASSWORD-INCORRECT',
  'UNKNOWN',
  'FAILED',
] as const;
export type NutErrorCode = (typeof NUT_ERROR_CODES)[number];

/** The upsd version upsguard answers as: the protocol it speaks is NUT 2.8.0's. */
export const NUT_COMPAT_VERSION = '2.8.0';
export const PROTOCOL_VERSION = '1.3';
export const NUT_URL = 'https://www.networkupstools.org/';

export function verText(upsguardVersion: string): string {
  return `Network UPS Tools upsd ${NUT_COMPAT_VERSION} (upsguard ${upsguardVersion}) - ${NUT_URL}`;
}

export const HELP_TEXT = 'Commands: HELP VER PROTVER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS';

export const err = (code: NutErrorCode): string => `ERR ${code}`;

/** Reads `ERR CODE [words…]`; clients match on the code only. */
export function parseErr(line: string): string | null {
  const m = /^ERR (\S+)/.exec(line);
  return m ? m[1]! : null;
}
