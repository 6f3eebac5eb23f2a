import { isDeepStrictEqual } from 'node:util';

/** One changed setting, by its YAML path; undefined on a side where it is unset. */
export interface SectionDifference {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

function leaves(prefix: string, v: unknown, out: Map<string, unknown>): void {
  if (Array.isArray(v)) {
    if (v.length === 0) out.set(prefix, []);
    v.forEach((x, i) => leaves(`${prefix}.${i}`, x, out));
  } else if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined);
    if (entries.length === 0) out.set(prefix, {});
    for (const [k, x] of entries) leaves(`${prefix}.${k}`, x, out);
  } else if (v !== undefined) out.set(prefix, v);
}

/** What differs between two versions of a section, leaf by leaf (`policy.hosts.0.min_supplies`). */
export function diffSections(prefix: string, before: unknown, after: unknown): SectionDifference[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  leaves(prefix, before, a);
  leaves(prefix, after, b);
  const out: SectionDifference[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (!isDeepStrictEqual(a.get(path), b.get(path))) out.push({ path, from: a.get(path), to: b.get(path) });
  }
  return out;
}

const shown = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));

/** For the audit row: `policy: charge_pct 30 -> 40, runtime_s (unset) -> 300`; the first few changes only. */
export function describeDifferences(section: string, diffs: readonly SectionDifference[], max = 8): string {
  if (diffs.length === 0) return `${section}: no change`;
  const strip = (p: string): string => (p.startsWith(`${section}.`) ? p.slice(section.length + 1) : p);
  const parts = diffs.slice(0, max).map((d) => `${strip(d.path)} ${shown(d.from)} -> ${shown(d.to)}`);
  const more = diffs.length > max ? `, and ${diffs.length - max} more` : '';
  return `${section}: ${parts.join(', ')}${more}`;
}
