/**
 * Just enough XML for vim25 SOAP: build an envelope with escaped values, parse a response into a small element tree.
 * vim25 answers are plain documents (no DTD, no CDATA in the parts we read), so a tag scanner does; a full XML library
 * would be a dependency for ~100 lines. Namespace prefixes are dropped from element and attribute names (`xsi:type`
 * keeps its prefix, see `xsiType`).
 */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c) ?? 'amp'};`);
}

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

const local = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
const ATTR = /([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Parses a document; throws with the byte offset on malformed input. */
export function parseXml(src: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const top = stack[stack.length - 1] ?? root;
    if (lt < 0) {
      top.text += unescapeXml(src.slice(i));
      break;
    }
    if (lt > i) top.text += unescapeXml(src.slice(i, lt));
    if (src.startsWith('<?', lt) || src.startsWith('<!--', lt)) {
      const end = src.indexOf(src.startsWith('<?', lt) ? '?>' : '-->', lt);
      if (end < 0) throw new Error(`unterminated declaration at byte offset ${lt}`);
      i = end + (src.startsWith('<?', lt) ? 2 : 3);
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(src);
    if (!m) throw new Error(`malformed tag at byte offset ${lt}`);
    const [whole, closing, qname = '', attrText = '', selfClosing] = m;
    i = lt + whole.length;
    if (closing) {
      const open = stack.pop();
      if (!open || open === root || open.name !== local(qname)) {
        throw new Error(`unexpected </${qname}> at byte offset ${lt}`);
      }
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(ATTR)) {
      const key = a[1] ?? '';
      const value = unescapeXml(a[2] ?? a[3] ?? '');
      // `type` (a moref's type) and `xsi:type` (a value's type) both matter: keep the prefixed one under its name.
      attrs[key.startsWith('xmlns') ? key : key.includes(':') ? key : local(key)] = value;
    }
    const el: XmlElement = { name: local(qname), attrs, children: [], text: '' };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack[stack.length - 1]?.name ?? '?'}> at end of document`);
  const doc = root.children[0];
  if (!doc) throw new Error('empty XML document');
  return doc;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** The first element of that name anywhere below `el` (depth first). */
export function descendant(el: XmlElement | undefined, name: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of el.children) {
    if (c.name === name) return c;
    const d = descendant(c, name);
    if (d) return d;
  }
  return undefined;
}

export function descendants(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    descendants(c, name, out);
  }
  return out;
}

/** The value's schema type; servers spell the prefix `xsi:` or `XMLSchema-instance:`. */
export function xsiType(el: XmlElement): string | undefined {
  const key = Object.keys(el.attrs).find((k) => k.endsWith(':type') && !k.startsWith('xmlns'));
  const t = key === undefined ? undefined : el.attrs[key];
  return t === undefined ? undefined : local(t);
}
