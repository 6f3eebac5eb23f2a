import { isDeepStrictEqual } from 'node:util';
import type { Document, Node, Pair } from 'yaml';
import { yaml } from '../yaml-module.js';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';

/**
 * Writes one section of a YAML config file back the way a person would edit it: the section's nodes are updated in
 * place (a comment on a changed value stays on it; keys keep their order; new keys go last), and only the section's
 * text is replaced, so the rest of the file stays byte for byte what it was. The result is parsed again and must give
 * exactly the intended data, else the whole document is re-stringified (comments kept, layout normalised).
 */
export type SectionPath = readonly [string] | readonly [string, string];

type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(p: Pair): unknown {
  return yaml().isScalar(p.key) ? p.key.value : p.key;
}

/** The node updated to `value`, the same node where its shape allows, so its comments and style survive. */
function updated(doc: Document, node: unknown, value: unknown): unknown {
  if (yaml().isAlias(node)) return doc.createNode(value);
  if (isRecord(value) && yaml().isMap(node)) {
    for (const p of [...node.items]) {
      const k = keyOf(p);
      if (typeof k !== 'string' || !(k in value) || value[k] === undefined) node.delete(p.key);
    }
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const pair = node.items.find((p) => keyOf(p) === k);
      if (pair) pair.value = updated(doc, pair.value, v);
      else node.add(doc.createPair(k, v));
    }
    return node;
  }
  if (Array.isArray(value) && yaml().isSeq(node)) {
    node.items = value.map((v, i) => updated(doc, node.items[i], v));
    return node;
  }
  if (yaml().isScalar(node) && (value === null || typeof value !== 'object')) {
    if (node.value !== value) {
      // A new type gets the default style: a quoted number must not stay a quoted (string) one.
      if (typeof node.value !== typeof value) delete node.type;
      node.value = value;
    }
    return node;
  }
  return doc.createNode(value);
}

/** The pair of `path` in a parsed document, if the file has it. */
function pairAt(doc: Document, path: SectionPath): Pair | null {
  let node: unknown = doc.contents;
  let found: Pair | null = null;
  for (const key of path) {
    if (!yaml().isMap(node)) return null;
    found = node.items.find((p) => keyOf(p) === key) ?? null;
    if (!found) return null;
    node = found.value;
  }
  return found;
}

function rangeOf(pair: Pair): [number, number] | null {
  const k = (pair.key as Node | null)?.range;
  const v = (pair.value as Node | null)?.range;
  if (!k || !v) return null;
  return [k[0], v[1]];
}

/** The file's own indentation, so a re-stringified section lines up with the text around it. */
function layoutOf(text: string): { indent: number; indentSeq: boolean; flowCollectionPadding: boolean } {
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const widths = lines.map((l) => l.length - l.trimStart().length).filter((w) => w > 0);
  const indent = Math.min(8, Math.max(1, widths.length > 0 ? Math.min(...widths) : 2));
  let indentSeq = true;
  for (let i = 1; i < lines.length; i++) {
    const prev = lines[i - 1]!;
    const line = lines[i]!;
    if (/:\s*(#.*)?$/.test(prev) && line.trimStart().startsWith('- ')) {
      indentSeq = line.length - line.trimStart().length > prev.length - prev.trimStart().length;
      break;
    }
  }
  // `[web]` or `[ web ]`: whichever the file writes first.
  const flow = /[[{](\s?)[^\s\]}]/.exec(text.replace(/#.*$/gm, ''));
  return { indent, indentSeq, flowCollectionPadding: flow ? flow[1] === ' ' : true };
}

function toData(text: string): unknown {
  const doc = yaml().parseDocument(text);
  if (doc.errors.length > 0) return Symbol('unparsable');
  return doc.toJS({ maxAliasCount: 100 });
}

/** The whole file's data with the section replaced (undefined removes it). */
export function withSection(data: unknown, path: SectionPath, value: unknown): Record<string, unknown> {
  const set = (obj: unknown, key: string, v: unknown): Record<string, unknown> => {
    const entries = Object.entries(isRecord(obj) ? obj : {}).filter(([k]) => k !== key);
    return Object.fromEntries(v === undefined ? entries : [...entries, [key, v]]);
  };
  const [first, second] = path;
  if (second === undefined) return keepOrder(data, set(data, first, value));
  const root = isRecord(data) ? data : {};
  return keepOrder(data, set(data, first, set(root[first], second, value)));
}

/** The keys in their original order (the result is compared with the file read back, which keeps its order). */
function keepOrder(before: unknown, after: Record<string, unknown>): Record<string, unknown> {
  const order = isRecord(before) ? Object.keys(before) : [];
  const keys = [...order.filter((k) => k in after), ...Object.keys(after).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, after[k]]));
}

/**
 * The file's text with the section at `path` set to `value` (plain data, snake_case as in YAML; undefined removes it).
 * Throws a ConfigError when the text is not YAML it can edit.
 */
export function setSectionText(text: string, path: SectionPath, value: unknown, source = 'config'): string {
  const doc = yaml().parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0] ?? e.code}`),
      source,
    );
  }
  const plain = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as Plain);
  const want = withSection(doc.toJS({ maxAliasCount: 100 }), path, plain);

  const before = pairAt(doc, path);
  const beforeRange = before ? rangeOf(before) : null;
  if (value === undefined) doc.deleteIn([...path]);
  else if (before) before.value = updated(doc, before.value, value);
  else doc.setIn([...path], doc.createNode(value));
  const whole = doc.toString(layoutOf(text));

  // Only the section's own text changes when the file had the section and the splice reads back right.
  if (before && beforeRange && value !== undefined) {
    const after = pairAt(yaml().parseDocument(whole), path);
    const afterRange = after ? rangeOf(after) : null;
    if (afterRange) {
      const spliced =
        text.slice(0, beforeRange[0]) + whole.slice(afterRange[0], afterRange[1]) + text.slice(beforeRange[1]);
      if (isDeepStrictEqual(toData(spliced), want)) return spliced;
    }
  }
  if (isDeepStrictEqual(toData(whole), want)) return whole;
  throw new UpsguardError(ErrorCode.ConfigInvalid, `${source}: cannot write ${path.join('.')} back to the file`, {
    section: path.join('.'),
  });
}

/**
 * Replaces the config file atomically (see util/atomic-write: same directory, same mode, flushed, renamed, written
 * where a symlink points); a failure is a typed error that names the file.
 */
export function writeConfigFile(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (err) {
    throw new UpsguardError(
      ErrorCode.ConfigUnreadable,
      `${path}: cannot write the configuration: ${errorMessage(err)}`,
      {
        file: path,
      },
    );
  }
}
