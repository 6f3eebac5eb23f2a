import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { demoConfig } from '../config/demo.js';
import { loadSectionFile } from '../config/load.js';
import { configSchema } from '../config/schema.js';

/** Where the Debian package puts the appliance's config. */
export const SYSTEM_CONFIG = '/etc/upsguard/upsguard.yaml';

/**
 * The config file of the service an operator command (status, backup) talks about: `--config`, else
 * UPSGUARD_CONFIG, else the package's /etc/upsguard/upsguard.yaml when it exists; null means the built-in demo.
 */
export function operatorConfigPath(
  option: string | true | undefined,
  env: NodeJS.ProcessEnv = process.env,
  systemConfig = SYSTEM_CONFIG,
): string | null {
  if (typeof option === 'string') return resolve(option);
  if (env.UPSGUARD_CONFIG) return resolve(env.UPSGUARD_CONFIG);
  return existsSync(systemConfig) ? systemConfig : null;
}

/** The store's path as the service resolves it (relative to the config file's directory; the demo's from here). */
export function storePathOf(configPath: string | null): string {
  if (configPath === null) return resolve(demoConfig.store?.path ?? 'data/demo.db');
  const store = loadSectionFile(configPath, 'store', configSchema.shape.store);
  if (store.path === ':memory:' || isAbsolute(store.path)) return store.path;
  return resolve(dirname(configPath), store.path);
}

/** This upsguard's version, from its package.json. */
export function upsguardVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
