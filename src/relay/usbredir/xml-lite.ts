import { ErrorCode, UpsguardError } from '../../errors.js';

/**
 * A minimal XML reader for the one document upsguard reads: libvirt's domain XML as `virsh dumpxml` prints it. The
 * tree has no XML dependency to lean on, and a regex over the text would find a `<redirdev>` quoted inside another
 * application's <metadata> or a comment. This reads elements, attributes, comments, CDATA and processing
 * instructions, refuses DOCTYPE (entity definitions have no place in a domain) and anything unbalanced, and records
 * each element's span so a caller can hand libvirt back the element exactly as libvirt wrote it.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Offset of its `<`, and the offset just after its closing `>`: `text.slice(start, end)` is the element. */
  readonly start: number;
  readonly end: number;
}

/** Bounds that keep a hostile or broken document from costing more than a real one: libvirt's are a few KiB. */
export const XML_LIMITS = { maxChars: 4 * 1024 * 1024, maxDepth: 128, maxAttributes: 64 } as const;

const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const SPACE = /[ \t\r\n]*/y;

interface Building {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  start: number;
}

function fail(what: string, reason: string, at: number): never {
  throw new UpsguardError(ErrorCode.UsbAttachFailed, `${what} is not well-formed XML: ${reason} at offset ${at}`, {
    offset: at,
  });
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string, what: string, at: number): string {
  return raw.replace(/&([^;&]{0,10});?/g, (whole, body: string) => {
    if (!whole.endsWith(';')) fail(what, `a bare '&'`, at);
    const named = ENTITIES[body];
    if (named !== undefined) return named;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
    const code = m ? (m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2])) : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff))
      fail(what, `unknown entity &${body};`, at);
    return String.fromCodePoint(code);
  });
}

/** Parses a whole document into its root element. `what` names the document in errors ("domain 'web' XML"). */
export function parseXml(text: string, what: string): XmlElement {
  if (text.length > XML_LIMITS.maxChars) fail(what, `longer than ${XML_LIMITS.maxChars} characters`, 0);
  const stack: Building[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const skipPast = (marker: string, from: number, reason: string): number => {
    const j = text.indexOf(marker, from);
    if (j < 0) fail(what, reason, from);
    return j + marker.length;
  };
  const close = (el: XmlElement): void => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root === undefined) root = el;
    else fail(what, 'a second root element', el.start);
  };
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const textEnd = lt < 0 ? text.length : lt;
    if (stack.length === 0 && text.slice(i, textEnd).trim() !== '') fail(what, 'text outside the root element', i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      i = skipPast('-->', i + 4, 'an unterminated comment');
    } else if (text.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail(what, 'CDATA outside the root element', i);
      i = skipPast(']]>', i + 9, 'an unterminated CDATA section');
    } else if (text.startsWith('<?', i)) {
      i = skipPast('?>', i + 2, 'an unterminated processing instruction');
    } else if (text.startsWith('<!', i)) {
      fail(what, 'a DOCTYPE or declaration (not allowed in a domain)', i);
    } else if (text.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(text);
      if (!m) fail(what, 'an end tag without a name', i);
      SPACE.lastIndex = NAME.lastIndex;
      SPACE.exec(text);
      if (text[SPACE.lastIndex] !== '>') fail(what, `an unterminated end tag </${m[0]}`, i);
      const open = stack.pop();
      if (!open || open.name !== m[0]) fail(what, `</${m[0]}> does not close <${open?.name ?? 'nothing'}>`, i);
      i = SPACE.lastIndex + 1;
      close({ ...open, end: i });
    } else {
      const start = i;
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (!m) fail(what, "a '<' that starts no tag", i);
      const el: Building = { name: m[0], attributes: new Map(), children: [], start };
      let j = NAME.lastIndex;
      for (;;) {
        SPACE.lastIndex = j;
        SPACE.exec(text);
        const spaced = SPACE.lastIndex > j;
        j = SPACE.lastIndex;
        if (text.startsWith('/>', j) || text[j] === '>') break;
        if (!spaced) fail(what, `no space before an attribute of <${el.name}>`, j);
        NAME.lastIndex = j;
        const a = NAME.exec(text);
        if (!a) fail(what, `a malformed attribute in <${el.name}>`, j);
        j = NAME.lastIndex;
        SPACE.lastIndex = j;
        SPACE.exec(text);
        j = SPACE.lastIndex;
        if (text[j] !== '=') fail(what, `attribute ${a[0]} of <${el.name}> has no value`, j);
        SPACE.lastIndex = j + 1;
        SPACE.exec(text);
        j = SPACE.lastIndex;
        const quote = text[j];
        if (quote !== '"' && quote !== "'") fail(what, `attribute ${a[0]} of <${el.name}> is not quoted`, j);
        const endQuote = text.indexOf(quote, j + 1);
        if (endQuote < 0) fail(what, `attribute ${a[0]} of <${el.name}> is not closed`, j);
        const raw = text.slice(j + 1, endQuote);
        if (raw.includes('<')) fail(what, `a '<' inside attribute ${a[0]}`, j);
        if (el.attributes.has(a[0])) fail(what, `attribute ${a[0]} twice in <${el.name}>`, j);
        if (el.attributes.size >= XML_LIMITS.maxAttributes) fail(what, `too many attributes in <${el.name}>`, j);
        el.attributes.set(a[0], decodeEntities(raw, what, j));
        j = endQuote + 1;
      }
      if (text.startsWith('/>', j)) {
        i = j + 2;
        close({ ...el, end: i });
      } else {
        i = j + 1;
        if (stack.length >= XML_LIMITS.maxDepth) fail(what, `nested deeper than ${XML_LIMITS.maxDepth}`, start);
        if (stack.length === 0 && root !== undefined) fail(what, 'a second root element', start);
        stack.push(el);
      }
    }
  }
  const open = stack[stack.length - 1];
  if (open) fail(what, `<${open.name}> is never closed`, open.start);
  if (root === undefined) fail(what, 'no root element', 0);
  return root;
}

/** The direct children of `el` named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** Escapes text for a single- or double-quoted attribute value. */
export function escapeXmlAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
