import { isDeepStrictEqual } from 'node:util';
import type { EditableSection } from '../config/edit/section-check.js';
import { describeDifferences, diffSections } from '../config/edit/section-diff.js';
import { loadConfigFile, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError, errorMessage } from '../errors.js';
import { scrubSecrets, type Logger } from '../log.js';
import type { NewUpsEvent } from '../ups/events.js';

/** What a reload did: applied these sections, kept the old value of those (each needs a restart). */
export type ReloadOutcome =
  | { readonly ok: true; readonly applied: readonly string[]; readonly kept: readonly string[] }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface ConfigReloaderOptions {
  /** The config as loaded at start: its file is read again, its secrets scrub the log lines. */
  readonly loaded: LoadedConfig;
  /** The config in force now (policy and plan may have been edited on the page since start). */
  readonly current: () => Readonly<Config>;
  /**
   * Puts one live section of the validated config in force, as a page edit does: policy (the decision is evaluated
   * again) or shutdown.plan (the plan is refreshed; a run in progress goes on as it started).
   */
  readonly apply: (section: EditableSection, validated: Readonly<Config>) => Promise<unknown>;
  /**
   * Sections whose part can be restarted alone (the NUT server, the web console) with the new config; a section
   * without one here is kept as it was and named as needing a restart. A restart that throws (the new address cannot
   * be bound) must leave the old part serving: the reload is then refused whole, and a part already restarted by it
   * is restarted again with the config in force before.
   */
  readonly restart?: Partial<Record<RestartableSection, (validated: Readonly<Config>) => Promise<void>>>;
  /** The file was read and is in force where it can be: the page's editor takes it as its new base. */
  readonly adopted?: () => void;
  readonly recordEvent: (e: NewUpsEvent) => void;
  readonly log: Logger;
  readonly now: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The top-level sections read once at start by a part that holds connections (the UPS sources, the store, the web
 * and NUT listeners, the scheduled jobs): changing one needs a restart, so a reload keeps the old one and says so.
 * `shutdown` is compared without its plan, which changes live.
 */
const RESTART_SECTIONS = [
  'ups',
  'store',
  'monitor',
  'web',
  'nut_server',
  'users',
  'relay',
  'notify',
  'schedule',
  'restore',
  'log',
  'stop_timeout_s',
] as const satisfies readonly (keyof Config)[];

/** The sections a part restart can take. */
export type RestartableSection = 'web' | 'nut_server';

const withoutPlan = (s: Config['shutdown']): unknown => ({ ...s, plan: undefined });

/**
 * SIGHUP: the config file is read and validated again. An invalid one is refused whole (each problem one log line,
 * one CONFIG_RELOAD_FAILED event) and the old one stays in force. A valid one restarts the parts of the changed
 * sections that can restart alone (a restart that fails refuses the reload, the old parts serving), then puts its
 * policy and shutdown plan in force through the same path as the page's edits, and names every other changed section
 * it kept. The UPS sources, the store and a run in progress are never touched, so no UPS connection drops.
 */
export class ConfigReloader {
  private running: Promise<ReloadOutcome> | null = null;

  constructor(private readonly o: ConfigReloaderOptions) {}

  /** One reload at a time: a second signal during a reload waits for it and gets its outcome. */
  reload(): Promise<ReloadOutcome> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(): Promise<ReloadOutcome> {
    const { loaded, log } = this.o;
    const part = log.child({ part: 'config' });
    if (loaded.isDemo) {
      const problems = ['the built-in demo has no config file to read again'];
      part.warn(`config reload refused: ${problems[0] ?? ''}`);
      return { ok: false, problems };
    }
    let next: LoadedConfig;
    try {
      next = loadConfigFile(loaded.source, this.o.env ?? process.env);
    } catch (err) {
      const problems = err instanceof ConfigError ? [...err.problems] : [errorMessage(err)];
      return this.refused(problems.map((p) => scrubSecrets(p, loaded.secrets)));
    }
    const now = this.o.current();
    const cfg = next.config;
    const applied: string[] = [];
    const kept: string[] = [];
    // Restarts first: one whose new part cannot serve refuses the reload before anything else changed.
    const restarted: RestartableSection[] = [];
    for (const key of RESTART_SECTIONS) {
      if (isDeepStrictEqual(now[key], cfg[key])) continue;
      const restart = key === 'web' || key === 'nut_server' ? this.o.restart?.[key] : undefined;
      if (restart === undefined || (key !== 'web' && key !== 'nut_server')) {
        kept.push(key);
        continue;
      }
      try {
        await restart(cfg);
        restarted.push(key);
        applied.push(`${key}: restarted with the new settings`);
      } catch (err) {
        const problem = `${key}: restart failed: ${scrubSecrets(errorMessage(err), loaded.secrets)}`;
        return this.refused([problem, ...(await this.restoreRestarted(restarted, now))]);
      }
    }
    try {
      if (!isDeepStrictEqual(now.policy, cfg.policy)) {
        await this.o.apply('policy', cfg);
        applied.push(describeDifferences('policy', diffSections('policy', now.policy, cfg.policy), 4));
      }
      if (!isDeepStrictEqual(now.shutdown.plan, cfg.shutdown.plan)) {
        await this.o.apply('shutdown.plan', cfg);
        const diffs = diffSections('shutdown.plan', now.shutdown.plan, cfg.shutdown.plan);
        applied.push(describeDifferences('shutdown.plan', diffs, 4));
      }
    } catch (err) {
      // Validated with the whole schema above; a failure here is the service's, and what was applied stays.
      return this.refused([`applying the new config failed: ${scrubSecrets(errorMessage(err), loaded.secrets)}`]);
    }
    if (!isDeepStrictEqual(withoutPlan(now.shutdown), withoutPlan(cfg.shutdown))) kept.push('shutdown');
    this.o.adopted?.();
    for (const line of applied) part.info(`config reload applied ${line}`);
    for (const key of kept) part.warn({ section: key }, `${key}: change needs a restart; kept the old one`);
    const summary =
      applied.length === 0 && kept.length === 0
        ? `config reloaded from ${loaded.source}: no change`
        : `config reloaded from ${loaded.source}: ${applied.length} section(s) applied` +
          (kept.length > 0 ? `; needs a restart to change: ${kept.join(', ')}` : '');
    part.info({ applied: applied.length, kept }, summary);
    this.event('CONFIG_RELOADED', summary);
    return { ok: true, applied, kept };
  }

  /** A refused reload puts back the parts it had already restarted; what cannot be put back is one more problem. */
  private async restoreRestarted(sections: readonly RestartableSection[], before: Readonly<Config>): Promise<string[]> {
    const problems: string[] = [];
    for (const key of [...sections].reverse()) {
      try {
        await this.o.restart?.[key]?.(before);
      } catch (err) {
        problems.push(
          `${key}: could not be put back as it was: ${scrubSecrets(errorMessage(err), this.o.loaded.secrets)}`,
        );
      }
    }
    return problems;
  }

  private refused(problems: readonly string[]): ReloadOutcome {
    const part = this.o.log.child({ part: 'config' });
    for (const p of problems) part.error({ file: this.o.loaded.source }, `config reload: ${p}`);
    const message = `config reload refused (${problems.length} problem(s)); the old config stays in force: ${problems.join('; ')}`;
    part.error(message);
    this.event('CONFIG_RELOAD_FAILED', message);
    return { ok: false, problems };
  }

  private event(type: 'CONFIG_RELOADED' | 'CONFIG_RELOAD_FAILED', message: string): void {
    try {
      this.o.recordEvent({ at: this.o.now(), type, ups: '', message: message.slice(0, 2000) });
    } catch (err) {
      this.o.log.error({ part: 'config', err: errorMessage(err) }, 'cannot record the reload event');
    }
  }
}
