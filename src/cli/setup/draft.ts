import { chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/** A plain YAML mapping as the file holds it (snake_case keys). */
export type Plain = Record<string, unknown>;

/**
 * What the steps decide, in the config's own shape, before it is written: each step fills its part and reads the
 * existing file's part as its defaults, so a re-run edits instead of starting over.
 */
export interface SetupDraft {
  /** The config file and its directory (secrets and relative paths live there). */
  readonly file: string;
  readonly dir: string;
  /** The existing file's data, or {} for a new one. */
  readonly existing: Plain;
  ups?: Plain;
  drivers: Plain[];
  simCluster?: Plain;
  /** Other `shutdown:` keys the demo's simulated cluster needs (its timings and estimates). */
  shutdownExtra?: Plain;
  plan?: Plain;
  policy: Plain;
  admin?: { readonly name: string; readonly hash: string | null };
  store?: Plain;
  web?: Plain;
  /** Lines printed once the config is written (what to do on the relay agent's host). */
  readonly afterwards: string[];
}

export const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

export function plainAt(obj: unknown, ...path: (string | number)[]): unknown {
  let node = obj;
  for (const k of path) {
    if (typeof k === 'number') node = Array.isArray(node) ? (node[k] as unknown) : undefined;
    else node = isPlain(node) ? node[k] : undefined;
  }
  return node;
}

export const textAt = (obj: unknown, ...path: (string | number)[]): string | undefined => {
  const v = plainAt(obj, ...path);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

/**
 * Writes a secret into the config's directory, mode 600 from its first byte, and returns the name the config refers
 * to it by (relative, so the directory can move as a whole).
 */
export function writeSecretFile(draft: SetupDraft, name: string, secret: string): string {
  mkdirSync(draft.dir, { recursive: true, mode: 0o700 });
  const file = join(draft.dir, name);
  writeFileAtomic(file, `${secret}\n`, 0o600);
  ownLikeDirectory(draft, file);
  return name;
}

/**
 * Root writing into /etc/upsguard: a new file goes to the owner of the config file (else of its directory), the
 * service user, so the service reads what root wrote; the mode stays 600.
 */
export function ownLikeDirectory(draft: SetupDraft, file: string): void {
  if (process.getuid?.() !== 0) return;
  const dir = statSync(file !== draft.file && existsSync(draft.file) ? draft.file : draft.dir);
  const st = statSync(file);
  if (st.uid !== dir.uid || st.gid !== dir.gid) chownSync(file, dir.uid, dir.gid);
}

/** The mapping without these keys. */
export function without(obj: Plain, keys: readonly string[]): Plain {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}
