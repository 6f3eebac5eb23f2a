import { resolve } from 'node:path';
import { readConfigFileText } from './read-file.js';

/** Keys that hold secrets; each may instead be given as `KEY_file` (a file's contents) or `KEY_env` (a variable). */
export const SECRET_KEYS = new Set(['password', 'token', 'api_token', 'secret', 'psk']);

export interface SecretResolution {
  value: unknown;
  problems: string[];
  /** Every secret value found, so log lines and errors can be scrubbed of them. */
  secrets: string[];
  /** Paths of secrets that could not be resolved (already reported; the schema need not say they are missing). */
  unresolved: Set<string>;
}

/**
 * Replaces `password_file:` and `password_env:` (and the other secret keys) by the secret itself, before validation.
 * Problems name the path and the file or variable, never the secret.
 */
export function resolveSecrets(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv): SecretResolution {
  const problems: string[] = [];
  const secrets: string[] = [];
  const unresolved = new Set<string>();
  const walk = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((v, i) => walk(v, path ? `${path}.${i}` : String(i)));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const here = path ? `${path}.${k}` : k;
      const m = /^(.*)_(file|env)$/.exec(k);
      if (m && SECRET_KEYS.has(m[1]!)) {
        const target = m[1]!;
        unresolved.add(path ? `${path}.${target}` : target);
        if (typeof v !== 'string' || v === '') {
          problems.push(`${here}: expected a ${m[2] === 'file' ? 'file path' : 'variable name'}`);
          continue;
        }
        if (target in (node as Record<string, unknown>)) {
          problems.push(`${here}: give ${target} or ${k}, not both`);
          continue;
        }
        if (m[2] === 'file') {
          // Relative to the config file's directory, like every path in it; read through the size cap.
          const file = resolve(baseDir, v);
          const read = readConfigFileText(file, here);
          if (read.ok) {
            const secret = read.text.replace(/\r?\n$/, '');
            secrets.push(secret);
            out[target] = secret;
            unresolved.delete(path ? `${path}.${target}` : target);
          } else {
            problems.push(read.problem);
          }
        } else {
          const secret = env[v];
          if (secret === undefined) problems.push(`${here}: environment variable ${v} is not set`);
          else {
            secrets.push(secret);
            out[target] = secret;
            unresolved.delete(path ? `${path}.${target}` : target);
          }
        }
        continue;
      }
      if (SECRET_KEYS.has(k) && typeof v === 'string') secrets.push(v);
      out[k] = walk(v, here);
    }
    return out;
  };
  return { value: walk(raw, ''), problems, secrets, unresolved };
}
