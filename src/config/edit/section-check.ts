import { ErrorCode, UpsguardError, type ConfigError } from '../../errors.js';
import { policySchema, type PolicyConfig } from '../shutdown-schema.js';
import type { SectionPath } from './yaml-writeback.js';

/** The sections the page may change without a restart, and where each lives in the file. */
export type EditableSection = 'policy' | 'shutdown.plan';

export const SECTION_PATHS: Readonly<Record<EditableSection, SectionPath>> = {
  policy: ['policy'],
  'shutdown.plan': ['shutdown', 'plan'],
};

/** One problem with a candidate, by its full config path (`policy.charge_pct`). */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A candidate section that the schema refuses: every problem at once, each by its field. */
export class SectionInvalidError extends UpsguardError {
  constructor(
    readonly section: EditableSection,
    readonly problems: readonly FieldProblem[],
  ) {
    super(
      ErrorCode.ConfigInvalid,
      `${section} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { problems },
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A candidate as the page sends it, made what the file would hold: a null value means "unset" (a threshold turned
 * off), so the key is left out rather than written as YAML null.
 */
export function normaliseCandidate(candidate: unknown): unknown {
  if (!isRecord(candidate)) return candidate;
  return Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== null && v !== undefined));
}

/** `path: message` lines of a ConfigError as field problems. */
export function configErrorProblems(err: ConfigError): FieldProblem[] {
  return err.problems.map((line) => {
    const at = line.indexOf(': ');
    return at > 0 && !line.slice(0, at).includes(' ')
      ? { path: line.slice(0, at), message: line.slice(at + 2) }
      : { path: '(file)', message: line };
  });
}

/** The policy section through the one schema (policySchema): the parsed policy, or every problem by field. */
export function checkPolicySection(
  candidate: unknown,
): { ok: true; policy: PolicyConfig } | { ok: false; problems: FieldProblem[] } {
  const parsed = policySchema.safeParse(candidate);
  if (parsed.success) return { ok: true, policy: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => ({
      path: ['policy', ...i.path.map(String)].join('.'),
      message: i.message,
    })),
  };
}

/**
 * Shape checks a section gets before the whole config is validated with it (which finds everything else, the plan's
 * ordering rules included): the policy through its own schema, the plan as an object (null removes it).
 */
export function sectionProblems(section: EditableSection, candidate: unknown): FieldProblem[] {
  if (section === 'policy') {
    const r = checkPolicySection(candidate);
    return r.ok ? [] : r.problems;
  }
  if (candidate === null || isRecord(candidate)) return [];
  return [{ path: 'shutdown.plan', message: 'expected an object (or null for no plan)' }];
}
