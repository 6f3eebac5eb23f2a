import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { demoConfig } from './demo.js';
import { configSchema, type Config } from './schema.js';
import { resolveSecrets } from './secrets.js';

export interface LoadedConfig {
  readonly config: Readonly<Config>;
  /** Where it came from: a file path, or `demo`. */
  readonly source: string;
  readonly isDemo: boolean;
  /** Secret values, for scrubbing log lines and error messages. */
  readonly secrets: readonly string[];
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
  return { config: deepFreeze(parsed.data), source, isDemo: false, secrets };
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0] ?? e.code}`),
      source,
    );
  }
  try {
    // toJS resolves aliases: an unknown one, or one that expands too far, is an error of the file, not a crash.
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([`YAML: ${errorMessage(err)}`], source);
  }
}

function readText(path: string): { file: string; text: string } {
  const file = resolve(path);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new UpsguardError(
      ErrorCode.ConfigUnreadable,
      `cannot read configuration ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
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
  return parsed.data;
}

export function parseConfigText(text: string, source: string, baseDir: string, env = process.env): LoadedConfig {
  return validateConfig(parseYaml(text, source), source, baseDir, env);
}

export function loadConfigFile(path: string, env = process.env): LoadedConfig {
  const { file, text } = readText(path);
  return parseConfigText(text, file, dirname(file), env);
}

/** `--config FILE`, else `UPSGUARD_CONFIG`, else the demo. */
export function loadConfig(path: string | undefined, env = process.env): LoadedConfig {
  const chosen = path ?? env.UPSGUARD_CONFIG;
  if (chosen) return loadConfigFile(chosen, env);
  const demo = validateConfig(demoConfig, 'demo', process.cwd(), env);
  return { ...demo, source: 'demo', isDemo: true };
}
