import { readFileSync, statSync } from 'node:fs';
import { ErrorCode, UpsguardError } from '../errors.js';

export const MIN_PSK_BYTES = 32;

/** Only SHA-256 suites work with an external PSK in Node/OpenSSL; both give forward secrecy through (EC)DHE. */
export const PSK_CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';

function pskError(message: string): UpsguardError {
  return new UpsguardError(ErrorCode.RelayPskInvalid, message);
}

/** One key in hex; at least 32 bytes. The message names the line, never the key. */
export function parseHexKey(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 2 !== 0) throw pskError(`${where}: the key is not hex`);
  const key = Buffer.from(hex, 'hex');
  if (key.length < MIN_PSK_BYTES) {
    throw pskError(`${where}: the key is ${key.length} bytes; at least ${MIN_PSK_BYTES} are required`);
  }
  return key;
}

/** Lines `IDENTITY HEXKEY`; `#` comments and blank lines ignored. */
export function parsePskFile(text: string, file: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw pskError(`${file} line ${i + 1}: expected "IDENTITY HEXKEY"`);
    const [identity, hex] = parts as [string, string];
    if (!/^[A-Za-z0-9_.@:-]{1,128}$/.test(identity)) throw pskError(`${file} line ${i + 1}: invalid identity`);
    if (keys.has(identity)) throw pskError(`${file} line ${i + 1}: identity ${identity} appears twice`);
    keys.set(identity, parseHexKey(hex, `${file} line ${i + 1}`));
  });
  if (keys.size === 0) throw pskError(`${file}: no keys`);
  return keys;
}

/**
 * Reads the agent's key file, refusing it when group or others may read it: a key anyone on the host can read
 * authenticates nobody.
 */
export function loadPskFile(file: string): Map<string, Buffer> {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    throw pskError(`cannot read PSK file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if ((mode & 0o077) !== 0) {
    throw pskError(
      `PSK file ${file} is readable by others (mode ${(mode & 0o777).toString(8).padStart(3, '0')}); run: chmod 600 ${file}`,
    );
  }
  return parsePskFile(readFileSync(file, 'utf8'), file);
}
