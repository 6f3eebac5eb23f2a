import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { demoConfig } from './demo.js';
import { checkConfigFiles, resolveConfigPaths, resolveSectionPaths } from './file-checks.js';
import { FILE_TOO_LARGE_PROBLEM, FileTooLargeError, describeReadFailure, readCappedFile } from './read-file.js';
import { configSchema, type Config } from './schema.js';
import { SECRET_KEYS, resolveSecrets } from './secrets.js';
import { yaml } from './yaml-module.js';

/**
 * Keys whose values are the text the user wrote, never a YAML number or boolean: USB IDs as lsusb prints them
 * (`vendor_id: 0764` is hex 0764, not the integer 764), serials, fingerprints, identities and secrets.
 */
export const TEXT_KEYS: ReadonlySet<string> = new Set([
  'vendor_id',
  'product_id',
  'serial',
  'identity',
  'fingerprint_sha256',
  'thumbprint_sha256',
  'host_key_sha256',
  ...SECRET_KEYS,
]);

export interface LoadedConfig {
  readonly config: Readonly<Config>;
  /** Where it came from: a file path, or `demo`. */
  readonly source: string;
  readonly isDemo: boolean;
  /** Secret values, for scrubbing log lines and error messages. */
  readonly secrets: readonly string[];
  /**
   * The directory the config's relative paths were resolved from (the file's own; the working directory for the
   * demo). Every path in `config` is already absolute; this is for parts that take a base directory.
   */
  readonly baseDir: string;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const v of Object.values(obj)) deepFreeze(v);
  }
  return obj;
}

/** Validates an already-parsed object; every problem at once as `path: reason`. */
export function validateConfig(raw: unknown, source: string, baseDir: string, env = process.env): LoadedConfig {
  const { value, problems, secrets, unresolved } = resolveSecrets(raw ?? {}, baseDir, env);
  const parsed = configSchema.safeParse(value);
  const all = [...problems];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.') || '(top level)';
      if (unresolved.has(path)) continue;
      all.push(`${path}: ${issue.message}`);
    }
  }
  if (all.length > 0 || !parsed.success) throw new ConfigError(all, source);
  // One rule for relative paths: from the config file's directory (baseDir), resolved here, once.
  resolveConfigPaths(parsed.data, baseDir);
  return { config: deepFreeze(parsed.data), source, isDemo: false, secrets, baseDir };
}

function parseYaml(text: string, source: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0] ?? e.code}`),
      source,
    );
  }
  yaml().visit(doc, {
    Pair(_, pair) {
      if (!yaml().isPair(pair) || !yaml().isScalar(pair.key) || !yaml().isScalar(pair.value)) return;
      const v = pair.value;
      if (TEXT_KEYS.has(String(pair.key.value)) && typeof v.value !== 'string' && typeof v.source === 'string') {
        v.value = v.source;
      }
    },
  });
  try {
    // toJS resolves aliases: an unknown one, or one that expands too far, is an error of the file, not a crash.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([`YAML: ${errorMessage(err)}`], source);
  }
}

/** The config file's text, read through the size cap; a CLI prints the error as `upsguard: <message>`. */
function readText(path: string): { file: string; text: string } {
  const file = resolve(path);
  try {
    return { file, text: readCappedFile(file).toString('utf8') };
  } catch (err) {
    if (err instanceof FileTooLargeError) throw new ConfigError([FILE_TOO_LARGE_PROBLEM], file);
    const reason = describeReadFailure(err);
    throw new UpsguardError(ErrorCode.ConfigUnreadable, `${file}: cannot read configuration: ${reason}`, {
      file,
      reason,
    });
  }
}

/**
 * One section of a config file validated alone, for a program that needs only that part (the relay agent reads
 * `relay:`). Problems carry the section's name in their paths.
 */
export function loadSectionFile<T extends z.ZodType>(path: string, key: string, schema: T): z.output<T> {
  const { file, text } = readText(path);
  const raw = parseYaml(text, file);
  const section = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined;
  const parsed = schema.safeParse(section ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${[key, ...i.path.map(String)].join('.')}: ${i.message}`),
      file,
    );
  }
  resolveSectionPaths(key, parsed.data, dirname(file));
  return parsed.data;
}

export function parseConfigText(text: string, source: string, baseDir: string, env = process.env): LoadedConfig {
  return validateConfig(parseYaml(text, source), source, baseDir, env);
}

function withFilesChecked(loaded: LoadedConfig): LoadedConfig {
  const problems = checkConfigFiles(loaded.config);
  if (problems.length > 0) throw new ConfigError(problems, loaded.source);
  return loaded;
}

/** A config file as serve and config check load it: validated, paths resolved, and every file it names read. */
export function loadConfigFile(path: string, env = process.env): LoadedConfig {
  const { file, text } = readText(path);
  return withFilesChecked(parseConfigText(text, file, dirname(file), env));
}

/** `--config FILE`, else `UPSGUARD_CONFIG`, else the demo (its relative paths from the working directory). */
export function loadConfig(path: string | undefined, env = process.env): LoadedConfig {
  const chosen = path ?? env.UPSGUARD_CONFIG;
  if (chosen) return loadConfigFile(chosen, env);
  const demo = withFilesChecked(validateConfig(demoConfig, 'demo', process.cwd(), env));
  return { ...demo, source: 'demo', isDemo: true };
}
