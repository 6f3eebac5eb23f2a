/**
 * The one list of paths a configuration names, used twice at load: every relative path is made absolute from the
 * config file's directory (the demo's from the working directory), then every file serve would read at start is
 * read now, through the size cap, so `config check` refuses what `serve` would refuse.
 */
import { isAbsolute, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { builtinScenarios, parseScenario } from '../ups/sim/scenario.js';
import { readConfigFileText } from './read-file.js';
import type { Config } from './schema.js';

/**
 * file: read at start (certificates, keys, CA bundles, known_hosts); scenario: a scenario file, read and parsed;
 * output: a file upsguard creates (databases); command: a program, a path only when it has a slash.
 */
export type ConfigPathKind = 'file' | 'scenario' | 'output' | 'command';

export interface ConfigPath {
  /** Where it is, as problems name it: `nut_server.tls_cert_file`. */
  readonly key: string;
  readonly value: string;
  readonly kind: ConfigPathKind;
  set(value: string): void;
}

type Holder = Record<string, unknown>;

function entry(list: ConfigPath[], key: string, holder: Holder, field: string, kind: ConfigPathKind): void {
  const value = holder[field];
  if (typeof value !== 'string' || value === '') return;
  if (kind === 'output' && value === ':memory:') return;
  if (kind === 'scenario' && builtinScenarios[value] !== undefined) return;
  if (kind === 'command' && !value.includes('/')) return;
  list.push({
    key: `${key}.${field}`,
    value,
    kind,
    set: (v) => {
      holder[field] = v;
    },
  });
}

/** The relay agent's section, alone (`upsguard relay --config`) or within the whole configuration. */
function relayPaths(list: ConfigPath[], relay: Holder): void {
  entry(list, 'relay', relay, 'keys_file', 'file');
  entry(list, 'relay', relay, 'db', 'output');
  entry(list, 'relay', relay, 'scenario', 'scenario');
}

/** Sections a program loads alone (loadSectionFile) that name paths: resolved by the same rule. */
export function resolveSectionPaths(key: string, section: unknown, baseDir: string): void {
  if (key !== 'relay' || section === null || typeof section !== 'object') return;
  const list: ConfigPath[] = [];
  relayPaths(list, section as Holder);
  for (const p of list) if (!isAbsolute(p.value)) p.set(resolve(baseDir, p.value));
}

/** Every path field of a validated configuration, in the order of the file. */
export function configPaths(config: Config): ConfigPath[] {
  const list: ConfigPath[] = [];
  entry(list, 'store', config.store, 'path', 'output');
  entry(list, 'web', config.web, 'tls_cert_file', 'file');
  entry(list, 'web', config.web, 'tls_key_file', 'file');
  entry(list, 'web', config.web, 'tls_dir', 'output');
  config.ups.forEach((u, i) => {
    const at = `ups.${i}.source`;
    if (u.source.kind === 'sim') entry(list, at, u.source, 'scenario', 'scenario');
    if (u.source.kind === 'nut') entry(list, at, u.source, 'ca_file', 'file');
  });
  entry(list, 'nut_server', config.nut_server, 'tls_cert_file', 'file');
  entry(list, 'nut_server', config.nut_server, 'tls_key_file', 'file');
  if (config.relay) relayPaths(list, config.relay);
  if (config.mqtt) entry(list, 'mqtt', config.mqtt, 'ca_file', 'file');
  config.shutdown.drivers.forEach((d, i) => {
    const at = `shutdown.drivers.${i}`;
    switch (d.kind) {
      case 'vsphere':
      case 'proxmox':
        entry(list, at, d, 'ca_file', 'file');
        break;
      case 'libvirt':
        entry(list, at, d, 'ssh_key_file', 'file');
        entry(list, at, d, 'ssh_known_hosts', 'file');
        break;
      case 'ssh':
        d.hosts.forEach((h, j) => {
          entry(list, `${at}.hosts.${j}`, h, 'key_file', 'file');
          entry(list, `${at}.hosts.${j}`, h, 'known_hosts', 'file');
        });
        break;
    }
  });
  if (config.notify.command) entry(list, 'notify.command', config.notify.command, 'path', 'command');
  config.notify.channels.forEach((c, i) => {
    if (c.kind === 'command') entry(list, `notify.channels.${i}`, c, 'path', 'command');
    if (c.kind === 'email') entry(list, `notify.channels.${i}`, c, 'ca_file', 'file');
    if (c.kind === 'mqtt') entry(list, `notify.channels.${i}`, c, 'ca_file', 'file');
  });
  return list;
}

/** Makes every relative path absolute from `baseDir`, in place (before the config is frozen). */
export function resolveConfigPaths(config: Config, baseDir: string): void {
  for (const p of configPaths(config)) if (!isAbsolute(p.value)) p.set(resolve(baseDir, p.value));
}

/** Reads every file the (resolved) configuration names, as serve would at start; one `path: reason` per failure. */
export function checkConfigFiles(config: Config): string[] {
  const problems: string[] = [];
  for (const p of configPaths(config)) {
    if (p.kind !== 'file' && p.kind !== 'scenario') continue;
    const read = readConfigFileText(p.value, p.key);
    if (!read.ok) {
      problems.push(read.problem);
      continue;
    }
    if (p.kind === 'scenario') {
      try {
        parseScenario(read.text, p.value);
      } catch (err) {
        problems.push(`${p.key}: ${errorMessage(err)}`);
      }
    }
  }
  return problems;
}
