import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LineSplitter, NutLineError, encodeWord, parseLine, quote } from '../../../src/ups/nut/line-codec.js';

describe('parseLine (upsd parseconf rules)', () => {
  test.each([
    ['GET VAR ups ups.status', ['GET', 'VAR', 'ups', 'ups.status']],
    ['  get   var\tups  x\r', ['get', 'var', 'ups', 'x']],
    ['SET VAR ups device.model "A \\"q\\" b\\\\c \\#x"', ['SET', 'VAR', 'ups', 'device.model', 'A "q" b\\c #x']],
    ['GET VAR ups ups.status # a comment', ['GET', 'VAR', 'ups', 'ups.status']],
    ['GET VAR ups#c', ['GET', 'VAR', 'ups']],
    ['SET VAR ups x ""', ['SET', 'VAR', 'ups', 'x', '']],
    ['a=b', ['a=b']],
    ['= x', ['=', 'x']],
    ['ups\\ name', ['ups name']],
    ['', []],
    ['   ', []],
  ])('%j', (line, words) => {
    expect(parseLine(line)).toEqual(words);
  });

  test.each([
    ['GET "VAR ups', 'a quoted word is not closed (at offset 12)'],
    ['GET VAR ups "a#b"', 'an unescaped # inside quotes (at offset 14)'],
    ['PASSWORD "abc\\', 'a backslash ends the line inside quotes (at offset 13)'],
  ])('%j is refused with the offset', (line, message) => {
    expect(() => parseLine(line)).toThrow(
      new NutLineError(message.replace(/ \(at offset \d+\)$/, ''), Number(/(\d+)\)$/.exec(message)![1])),
    );
  });

  test('fuzz: any text parses to words or fails with NutLineError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (line) => {
        try {
          const words = parseLine(line);
          expect(Array.isArray(words)).toBe(true);
        } catch (e) {
          expect(e).toBeInstanceOf(NutLineError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('fuzz: encoded words parse back to the same words', () => {
    const word = fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(word, { maxLength: 6 }), (words) => {
        expect(parseLine(words.map(encodeWord).join(' '))).toEqual(words);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('quote (values as upsd sends them)', () => {
  test('escapes backslash, double quote and #', () => {
    expect(quote('OL CHRG')).toBe('"OL CHRG"');
    expect(quote('a "b" \\ #c')).toBe('"a \\"b\\" \\\\ \\#c"');
  });
  test('never lets a line break reach the wire', () => {
    expect(quote('a\r\nb')).toBe('"a b"');
  });
});

describe('LineSplitter', () => {
  test('cuts lines across chunks', () => {
    const s = new LineSplitter(100);
    expect(s.push(Buffer.from('VER\nGET VA'))).toEqual({ lines: ['VER'], overflows: 0 });
    expect(s.push(Buffer.from('R x y\n\nHELP'))).toEqual({ lines: ['GET VAR x y', ''], overflows: 0 });
    expect(s.push(Buffer.from('\n'))).toEqual({ lines: ['HELP'], overflows: 0 });
  });
  test('a line over the limit is counted once and skipped to its LF', () => {
    const s = new LineSplitter(8);
    expect(s.push(Buffer.from('12345'))).toEqual({ lines: [], overflows: 0 });
    expect(s.push(Buffer.from('6789abc'))).toEqual({ lines: [], overflows: 1 });
    expect(s.push(Buffer.from('defg\nVER\n'))).toEqual({ lines: ['VER'], overflows: 0 });
    expect(s.push(Buffer.from('12345678\n'))).toEqual({ lines: ['12345678'], overflows: 0 });
  });
  test('fuzz: the same bytes give the same lines however they are chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 10 }), (bytes, cuts) => {
        const whole = new LineSplitter(40).push(Buffer.from(bytes));
        const s = new LineSplitter(40);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const lines: string[] = [];
        let overflows = 0;
        let at = 0;
        for (const p of [...points, bytes.length]) {
          const r = s.push(Buffer.from(bytes.subarray(at, p)));
          lines.push(...r.lines);
          overflows += r.overflows;
          at = p;
        }
        expect({ lines, overflows }).toEqual(whole);
        for (const l of lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(40 * 3);
      }),
      { numRuns: 1000 },
    );
  });
});
