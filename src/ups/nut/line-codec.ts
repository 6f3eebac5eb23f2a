/**
 * The NUT network protocol's framing, as upsd reads it with NUT's parseconf: one request a line, words split on
 * white space, `"…"` groups, `\` makes the next character literal, an unquoted `#` starts a comment, a word that
 * starts with `=` is a word of its own. Pure: no sockets, so it can be fuzzed.
 */

/** A line that cannot be split into words; `offset` is the character offset of the problem. */
export class NutLineError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at offset ${offset})`);
    this.name = 'NutLineError';
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\v' || c === '\f';

/** Splits one request line (without its LF) into words. Throws NutLineError on a quote left open or `#` in quotes. */
export function parseLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let state: 'start' | 'word' | 'quoted' = 'start';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (state === 'quoted') {
      if (c === '\\') {
        if (i + 1 >= line.length) throw new NutLineError('a backslash ends the line inside quotes', i);
        word += line[++i]!;
      } else if (c === '"') {
        words.push(word);
        word = '';
        state = 'start';
      } else if (c === '#') {
        // parseconf refuses it: the sender must write \#
        throw new NutLineError('an unescaped # inside quotes', i);
      } else word += c;
      continue;
    }
    if (state === 'word') {
      if (isSpace(c) || c === '#' || c === '"') {
        words.push(word);
        word = '';
        state = 'start';
        if (c === '#') return words;
        if (c === '"') state = 'quoted';
        continue;
      }
      if (c === '\\') {
        if (i + 1 < line.length) word += line[++i]!;
        continue;
      }
      word += c;
      continue;
    }
    // state === 'start'
    if (isSpace(c)) continue;
    if (c === '#') return words;
    if (c === '"') {
      state = 'quoted';
      continue;
    }
    if (c === '=') {
      words.push('=');
      continue;
    }
    if (c === '\\') {
      if (i + 1 < line.length) word += line[++i]!;
      state = 'word';
      continue;
    }
    word = c;
    state = 'word';
  }
  if (state === 'quoted') throw new NutLineError('a quoted word is not closed', line.length);
  if (state === 'word') words.push(word);
  return words;
}

/** A value as upsd sends it: in double quotes, with `\`, `"` and `#` escaped; line breaks never reach the wire. */
export function quote(value: string): string {
  return `"${value.replace(/[\r\n]+/g, ' ').replace(/[\\"#]/g, (c) => `\\${c}`)}"`;
}

/** A word as a client sends it: bare when it needs no quoting, else quoted. */
export function encodeWord(word: string): string {
  return word !== '' && /^[A-Za-z0-9_.:@/+-][A-Za-z0-9_.:@/+=-]*$/.test(word) ? word : quote(word);
}

export interface SplitResult {
  readonly lines: string[];
  /** Lines that went past the limit (each is answered once and dropped, up to its LF). */
  readonly overflows: number;
}

/**
 * Cuts a byte stream into LF-terminated lines no longer than `maxLength` bytes. A longer line is counted as an
 * overflow and skipped to its LF, so one bad client never makes the server buffer without bound.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private pending = 0;
  private skipping = false;

  constructor(private readonly maxLength: number) {}

  push(chunk: Buffer): SplitResult {
    const lines: string[] = [];
    let overflows = 0;
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(0x0a, start);
      const end = lf < 0 ? chunk.length : lf;
      const piece = chunk.subarray(start, end);
      if (!this.skipping) {
        if (this.pending + piece.length > this.maxLength) {
          this.skipping = true;
          overflows++;
          this.parts = [];
          this.pending = 0;
        } else if (piece.length > 0) {
          this.parts.push(Buffer.from(piece));
          this.pending += piece.length;
        }
      }
      if (lf < 0) break;
      if (!this.skipping) lines.push(Buffer.concat(this.parts).toString('utf8'));
      this.parts = [];
      this.pending = 0;
      this.skipping = false;
      start = lf + 1;
    }
    return { lines, overflows };
  }
}
