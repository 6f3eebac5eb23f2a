import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { checkConfigFiles } from '../../config/file-checks.js';
import { parseConfigText, type LoadedConfig } from '../../config/load.js';
import { setSectionText, type SectionPath } from '../../config/edit/yaml-writeback.js';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { isLoopbackHost } from '../../web/tls/loopback.js';
import { isPlain, ownLikeDirectory, plainAt, without, type Plain, type SetupDraft } from './draft.js';

const HEADER = '# upsguard configuration, written by `upsguard setup` (run it again to change it).\n';

function withAdmin(existing: unknown, admin: SetupDraft['admin']): unknown[] {
  const list = Array.isArray(existing) ? [...(existing as unknown[])] : [];
  if (admin === undefined) return list;
  const i = list.findIndex((u) => isPlain(u) && u.name === admin.name);
  const before: Plain = i >= 0 ? { ...(list[i] as Plain) } : { name: admin.name };
  // One password per user: a new hash replaces whatever plain source it had.
  const entry: Plain =
    admin.hash === null
      ? { ...before, role: 'admin' }
      : { ...without(before, ['password', 'password_file', 'password_env']), role: 'admin', password_hash: admin.hash };
  if (i >= 0) list[i] = entry;
  else list.push(entry);
  return list;
}

/**
 * The config text: the existing file with the sections setup owns replaced in place (comments and everything else
 * kept, see config/edit/yaml-writeback), or a new file holding just those sections.
 */
export function composeConfigText(draft: SetupDraft, existingText: string | null): string {
  const ex = draft.existing;
  const sections: [SectionPath, unknown][] = [];
  const otherUps = Array.isArray(ex.ups) ? (ex.ups as unknown[]).slice(1) : [];
  if (draft.ups !== undefined) sections.push([['ups'], [draft.ups, ...otherUps]]);
  sections.push([['users'], withAdmin(ex.users, draft.admin)]);
  if (draft.store !== undefined) sections.push([['store'], draft.store]);
  if (draft.web !== undefined) sections.push([['web'], draft.web]);
  if (Object.keys(draft.policy).length > 0 || ex.policy !== undefined) sections.push([['policy'], draft.policy]);
  const hadDrivers = plainAt(ex, 'shutdown', 'drivers') !== undefined;
  if (draft.drivers.length > 0 || hadDrivers) sections.push([['shutdown', 'drivers'], draft.drivers]);
  if (draft.simCluster !== undefined) sections.push([['shutdown', 'sim_cluster'], draft.simCluster]);
  for (const [k, v] of Object.entries(draft.shutdownExtra ?? {})) sections.push([['shutdown', k], v]);
  if (draft.plan !== undefined || plainAt(ex, 'shutdown', 'plan') !== undefined) {
    sections.push([['shutdown', 'plan'], draft.plan]);
  }
  let text = existingText ?? HEADER;
  for (const [path, value] of sections) text = setSectionText(text, path, value, draft.file);
  return text;
}

/** Loads the text exactly as serve would (schema, secrets, every file it names); throws every problem at once. */
export function validateConfigText(draft: SetupDraft, text: string): LoadedConfig {
  const loaded = parseConfigText(text, draft.file, draft.dir);
  const problems = checkConfigFiles(loaded.config);
  if (problems.length > 0) throw new ConfigError(problems, draft.file);
  return loaded;
}

/**
 * Step 5: written atomically, mode 600 (it names secret files and holds password hashes); a new file gets the owner
 * of its directory, so the service user reads what root wrote.
 */
export function writeConfig(draft: SetupDraft, text: string): void {
  const isNew = !existsSync(draft.file);
  try {
    mkdirSync(draft.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(draft.file, text, 0o600);
  } catch (e) {
    throw new UpsguardError(
      ErrorCode.ConfigUnreadable,
      `${draft.file}: cannot write the configuration: ${errorMessage(e)}`,
      {
        file: draft.file,
      },
    );
  }
  if (isNew) ownLikeDirectory(draft, draft.file);
}

/** Where the page answers once the service runs with this config. */
export function pageAddress(config: LoadedConfig['config']): string {
  const host = config.web.host;
  const tls = config.web.tls_cert_file !== undefined || !isLoopbackHost(host);
  const shown = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${shown}:${config.web.port}/`;
}
