import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { yaml } from '../yaml-module.js';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { demoConfig } from '../demo.js';
import type { LiveConfig } from '../live-config.js';
import { parseConfigText, validateConfig, type LoadedConfig } from '../load.js';
import type { Config } from '../schema.js';
import {
  SECTION_PATHS,
  SectionInvalidError,
  configErrorProblems,
  normaliseCandidate,
  sectionProblems,
  type EditableSection,
  type FieldProblem,
} from './section-check.js';
import { describeDifferences, diffSections, type SectionDifference } from './section-diff.js';
import { setSectionText, withSection, writeConfigFile } from './yaml-writeback.js';

export interface ConfigEditorOptions {
  readonly loaded: LoadedConfig;
  readonly live: LiveConfig;
  /** For the secrets named by `*_env` keys, as at load. */
  readonly env?: NodeJS.ProcessEnv;
  /** The raw config to edit in memory when there is no file (the demo's own by default). */
  readonly memoryRaw?: unknown;
  /** Called once a section is in force: re-evaluate the decision, refresh the plan. */
  readonly applied?: (section: EditableSection, config: Readonly<Config>) => void | Promise<void>;
}

export type CandidateCheck =
  | { readonly ok: true; readonly config: Readonly<Config>; readonly differences: readonly SectionDifference[] }
  | { readonly ok: false; readonly problems: readonly FieldProblem[] };

export interface SectionSaveResult {
  readonly saved: boolean;
  readonly applied: boolean;
  readonly file: string | null;
  readonly note?: string;
  readonly differences: readonly SectionDifference[];
  /** For the audit row: `policy: charge_pct 30 -> 40`. */
  readonly auditDetail: string;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function sectionOf(config: Readonly<Config>, section: EditableSection): unknown {
  return section === 'policy' ? config.policy : config.shutdown.plan;
}

/**
 * Edits `policy` and `shutdown.plan` of the running config: each candidate is validated with the whole config through
 * the one schema, written back to the YAML file the service started with (comments and layout kept, atomically), and
 * put in force. A file changed on disk since it was loaded (or last saved here) is never overwritten. Without a file
 * (the demo), edits apply in memory only.
 */
export class ConfigEditor {
  /** The YAML file written to; null in memory mode. */
  readonly file: string | null;
  readonly demo: boolean;
  private text: string | null = null;
  private fingerprint: string | null = null;
  private memory: unknown;
  private readonly appliedListeners = new Set<(section: EditableSection) => void>();

  constructor(private readonly o: ConfigEditorOptions) {
    const { loaded } = o;
    this.demo = loaded.isDemo;
    const file = !loaded.isDemo && existsSync(loaded.source) && statSync(loaded.source).isFile() ? loaded.source : null;
    this.file = file;
    if (file) {
      this.text = readFileSync(file, 'utf8');
      this.fingerprint = sha256(this.text);
    }
    this.memory = o.memoryRaw ?? (loaded.isDemo ? demoConfig : undefined);
  }

  /** Whether a save can go anywhere: a file, or the demo's memory. */
  get editable(): boolean {
    return this.file !== null || this.memory !== undefined;
  }

  /** The section as written in the file (or the raw demo config), snake_case; undefined when absent. */
  written(section: EditableSection): unknown {
    let data: unknown;
    try {
      data = this.text !== null ? yaml().parse(this.text) : this.memory;
    } catch {
      data = undefined;
    }
    let v: unknown = data;
    for (const k of SECTION_PATHS[section])
      v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
    return v;
  }

  /** Validates a candidate with the whole config; nothing is written or applied. */
  check(section: EditableSection, candidate: unknown): CandidateCheck {
    const r = this.candidate(section, normaliseCandidate(candidate));
    return r.ok ? { ok: true, config: r.config, differences: r.differences } : r;
  }

  /**
   * Validates, writes (or keeps in memory), applies and reports. Throws SectionInvalidError with every problem,
   * CONFIG_CHANGED when the file changed on disk since it was read, and nothing is written in either case.
   */
  async save(section: EditableSection, candidate: unknown): Promise<SectionSaveResult> {
    if (!this.editable) {
      throw new UpsguardError(ErrorCode.Forbidden, 'this configuration was not loaded from a file: nothing to save to');
    }
    if (this.file) this.assertUnchanged(this.file);
    const r = this.candidate(section, normaliseCandidate(candidate));
    if (!r.ok) throw new SectionInvalidError(section, r.problems);
    if (this.file && r.text !== null) {
      writeConfigFile(this.file, r.text);
      this.text = r.text;
      this.fingerprint = sha256(r.text);
    } else {
      this.memory = r.raw;
    }
    await this.putInForce(section, r.config);
    return {
      saved: this.file !== null,
      applied: true,
      file: this.file,
      ...(this.file ? {} : { note: 'demo: not written to a file' }),
      differences: r.differences,
      auditDetail: describeDifferences(section, r.differences),
    };
  }

  /**
   * Puts `section` of a config validated whole in force: the live config, the `applied` hook, then the listeners.
   * A reload of the file (SIGHUP) goes through here as a page edit does.
   */
  async putInForce(section: EditableSection, validated: Readonly<Config>): Promise<Readonly<Config>> {
    const config =
      section === 'policy' ? this.o.live.setPolicy(validated.policy) : this.o.live.setPlan(validated.shutdown.plan);
    await this.o.applied?.(section, config);
    for (const fn of [...this.appliedListeners]) fn(section);
    return config;
  }

  /**
   * The file was read again and put in force (a reload): it is the base of the next edit, so a save after a reload
   * is not refused as "changed on disk".
   */
  adoptFile(): void {
    if (this.file === null) return;
    this.text = readFileSync(this.file, 'utf8');
    this.fingerprint = sha256(this.text);
  }

  /** Called after each edit is in force (and the `applied` hook has run); returns the unsubscribe. */
  onApplied(fn: (section: EditableSection) => void): () => void {
    this.appliedListeners.add(fn);
    return () => this.appliedListeners.delete(fn);
  }

  private assertUnchanged(file: string): void {
    let now: string;
    try {
      now = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UpsguardError(ErrorCode.ConfigUnreadable, `${file}: cannot read configuration: ${errorMessage(err)}`);
    }
    if (sha256(now) !== this.fingerprint) {
      throw new UpsguardError(
        ErrorCode.ConfigChanged,
        `${file} changed on disk since upsguard read it: reload the page to edit the current file, or restart upsguard to load it`,
        { file },
      );
    }
  }

  private candidate(
    section: EditableSection,
    value: unknown,
  ):
    | { ok: true; config: Readonly<Config>; text: string | null; raw: unknown; differences: SectionDifference[] }
    | { ok: false; problems: FieldProblem[] } {
    const shape = sectionProblems(section, value);
    if (shape.length > 0) return { ok: false, problems: shape };
    const path = SECTION_PATHS[section];
    const v = value === null ? undefined : value;
    const env = this.o.env ?? process.env;
    let loaded: LoadedConfig;
    let text: string | null = null;
    let raw: unknown = undefined;
    try {
      if (this.file && this.text !== null) {
        text = setSectionText(this.text, path, v, this.file);
        loaded = parseConfigText(text, this.file, dirname(this.file), env);
      } else {
        raw = withSection(this.memory ?? {}, path, v);
        loaded = validateConfig(raw, this.o.loaded.source, this.o.loaded.baseDir, env);
      }
    } catch (err) {
      if (err instanceof ConfigError) return { ok: false, problems: configErrorProblems(err) };
      throw err;
    }
    const prefix = section === 'policy' ? 'policy' : 'shutdown.plan';
    const differences = diffSections(
      prefix,
      sectionOf(this.o.live.current(), section),
      sectionOf(loaded.config, section),
    );
    return { ok: true, config: loaded.config, text, raw, differences };
  }
}
