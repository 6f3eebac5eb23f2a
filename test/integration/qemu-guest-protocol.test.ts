// The QEMU guest harness's parsers, without QEMU: the console framing (against arbitrary bytes and cut anywhere),
// QMP's line parser, and the newc writer read back by Debian's cpio.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newcArchive } from '../helpers/cpio-newc.js';
import {
  ConsoleReader,
  MAX_COMMAND_LINE,
  READY_MARKER,
  commandLine,
  type ConsoleAnswer,
  type GarbledAnswer,
} from '../helpers/guest-console.js';
import { QmpError, parseQmpLine } from '../helpers/qmp.js';

/** What the guest's loop prints for one answer: busybox base64 wraps at 76, the tty turns \n into \r\n. */
function guestAnswer(id: number, out: Buffer, code: number): string {
  const b64 = out.toString('base64');
  const lines = b64.match(/.{1,76}/g) ?? [];
  return [`@@BEGIN ${id}`, ...lines, `@@END ${id} ${code}`].map((l) => l + '\r\n').join('');
}

/** Cuts `text` at the given points (any byte, even inside \r\n) and feeds the pieces in order. */
function feed(reader: ConsoleReader, text: string, cuts: number[]): void {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of [...points, text.length]) {
    reader.push(Buffer.from(text.slice(at, p), 'latin1'));
    at = p;
  }
}

// Lines the kernel or a shell might put between answers: anything without a newline and not a frame marker.
const noiseLine = fc
  .string({ unit: 'binary-ascii', maxLength: 80 })
  .map((s) => s.replace(/[\r\n]/g, '').replace(/@@/g, '@'));

describe('guest console framing', () => {
  it('property: answers come back exactly, with noise between them and the stream cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            out: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
            code: fc.integer({ min: 0, max: 255 }),
            noise: fc.array(noiseLine, { maxLength: 3 }),
          }),
          { maxLength: 6 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        (answers, cuts) => {
          const got: (ConsoleAnswer | GarbledAnswer)[] = [];
          const reader = new ConsoleReader((a) => got.push(a));
          const text = answers
            .map((a, i) => a.noise.map((n) => n + '\r\n').join('') + guestAnswer(i + 1, a.out, a.code))
            .join('');
          feed(reader, text, cuts);
          expect(got).toEqual(answers.map((a, i) => ({ id: i + 1, out: a.out, code: a.code })));
        },
      ),
    );
  });

  it('fuzz: arbitrary console bytes never throw, and what comes out is well formed', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 60 }).map((a) => Buffer.from(a).toString('latin1')),
            fc.constantFrom('@@BEGIN 3\r\n', '@@END 3 0\r\n', '@@END 4 1\n', 'QUJD\r\n', '@@READY\r\n', '\n'),
          ),
          { maxLength: 30 },
        ),
        (pieces) => {
          const got: (ConsoleAnswer | GarbledAnswer)[] = [];
          const reader = new ConsoleReader((a) => got.push(a));
          for (const p of pieces) reader.push(p);
          for (const a of got) {
            expect(Number.isInteger(a.id)).toBe(true);
            if ('garbled' in a) expect(typeof a.garbled).toBe('string');
            else expect(a.out).toBeInstanceOf(Buffer);
          }
        },
      ),
    );
  });

  it('marks an answer garbled when a foreign line lands inside it, instead of decoding it into the output', () => {
    const got: (ConsoleAnswer | GarbledAnswer)[] = [];
    const reader = new ConsoleReader((a) => got.push(a));
    reader.push('@@BEGIN 9\r\naGVsbG8=\r\n[   12.5] usb 1-1: new device\r\n@@END 9 0\r\n');
    expect(got).toEqual([{ id: 9, garbled: '[   12.5] usb 1-1: new device' }]);
  });

  it('treats a BEGIN without its END as a lost answer and reads the next one', () => {
    const got: (ConsoleAnswer | GarbledAnswer)[] = [];
    const reader = new ConsoleReader((a) => got.push(a));
    reader.push('@@BEGIN 1\r\nQQ==\r\n@@BEGIN 2\r\nQg==\r\n@@END 2 0\r\n@@END 1 0\r\n');
    expect(got).toEqual([
      { id: 1, garbled: 'no @@END before @@BEGIN 2' },
      { id: 2, out: Buffer.from('B'), code: 0 },
    ]);
  });

  it('sees the ready marker only as a line of its own outside answers', () => {
    const reader = new ConsoleReader(() => undefined);
    reader.push(`boot noise ${READY_MARKER}\r\n@@BEGIN 1\r\n`);
    expect(reader.ready).toBe(false);
    reader.push(`@@END 1 0\r\n${READY_MARKER}\r`);
    expect(reader.ready).toBe(false);
    reader.push('\n');
    expect(reader.ready).toBe(true);
  });

  it('encodes a command as one line the guest can find behind junk, and refuses one that would not fit', () => {
    const line = commandLine(12, 'echo "a\nb" | od -c');
    expect(line).toMatch(/^@@RUN 12 [A-Za-z0-9+/=]+\n$/);
    expect(Buffer.from(line.trim().split(' ')[2]!, 'base64').toString()).toBe('echo "a\nb" | od -c');
    expect(() => commandLine(1, 'x'.repeat(MAX_COMMAND_LINE))).toThrow(/does not fit one console line/);
  });
});

describe('QMP line parser', () => {
  it.each([
    ['{"QMP": {"version": {}, "capabilities": []}}', { kind: 'greeting' }],
    ['{"return": {}, "id": 3}', { kind: 'return', id: 3, value: {} }],
    [
      '{"error": {"class": "CommandNotFound", "desc": "The command x has not been found"}, "id": 4}',
      { kind: 'error', id: 4, qmpClass: 'CommandNotFound', desc: 'The command x has not been found' },
    ],
    [
      '{"event": "MIGRATION", "data": {"status": "completed"}, "timestamp": {"seconds": 1, "microseconds": 2}}',
      { kind: 'event', event: 'MIGRATION', data: { status: 'completed' } },
    ],
    ['{"event": "RESUME", "timestamp": {}}', { kind: 'event', event: 'RESUME', data: {} }],
  ])('%s', (line, message) => {
    expect(parseQmpLine(line)).toEqual(message);
  });

  it.each(['not json', '[1,2]', '"text"', 'null', '{"neither": 1}', '{"error": "flat"}'])(
    '%s is a QmpError of class Protocol',
    (line) => {
      expect(() => parseQmpLine(line)).toThrow(QmpError);
      try {
        parseQmpLine(line);
      } catch (e) {
        expect((e as QmpError).qmpClass).toBe('Protocol');
      }
    },
  );

  it('fuzz: any line or JSON value parses to a message or fails with QmpError, nothing else', () => {
    const line = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          {
            return: fc.jsonValue({ maxDepth: 2 }),
            error: fc.jsonValue({ maxDepth: 2 }),
            event: fc.jsonValue({ maxDepth: 2 }),
            id: fc.jsonValue({ maxDepth: 2 }),
          },
          {
            requiredKeys: [],
          },
        )
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(line, (l) => {
        try {
          expect(['greeting', 'return', 'error', 'event']).toContain(parseQmpLine(l).kind);
        } catch (e) {
          expect(e).toBeInstanceOf(QmpError);
        }
      }),
    );
  });
});

describe('newc cpio writer', () => {
  const haveCpio = existsSync('/usr/bin/cpio');

  it.runIf(haveCpio)('writes an archive Debian cpio lists and unpacks to the same tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'upsguard-cpio-'));
    try {
      const archive = newcArchive([
        { kind: 'dir', path: 'bin' },
        { kind: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
        { kind: 'symlink', path: 'bin/sh', target: 'tool' },
        { kind: 'file', path: 'odd', data: Buffer.from([0, 1, 2]) },
        { kind: 'dir', path: 'dev' },
        { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
      ]);
      const list = execFileSync('cpio', ['-t', '--quiet'], { input: archive, encoding: 'utf8' });
      expect(list.trim().split('\n')).toEqual(['bin', 'bin/tool', 'bin/sh', 'odd', 'dev', 'dev/console']);
      const verbose = execFileSync('cpio', ['-tv', '--quiet'], { input: archive, encoding: 'utf8' });
      expect(verbose).toMatch(/^crw------- .* 5, +1 .* dev\/console$/m);
      execFileSync('cpio', ['-id', '--quiet', '--no-absolute-filenames', '--nonmatching', 'dev/console'], {
        input: archive,
        cwd: dir,
      });
      expect(readFileSync(join(dir, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
      expect(readlinkSync(join(dir, 'bin/sh'))).toBe('tool');
      expect(readFileSync(join(dir, 'odd'))).toEqual(Buffer.from([0, 1, 2]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('property: every archive is 4-byte aligned records ending in the trailer, whatever the names and sizes', () => {
    const name = fc.stringMatching(/^[a-z0-9_.-]{1,20}$/).filter((n) => n !== '.' && n !== '..');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name, data: fc.uint8Array({ maxLength: 40 }) }), {
          selector: (f) => f.name,
          maxLength: 8,
        }),
        (files) => {
          const archive = newcArchive(files.map((f) => ({ kind: 'file', path: f.name, data: Buffer.from(f.data) })));
          let at = 0;
          const names: string[] = [];
          for (;;) {
            expect(archive.toString('ascii', at, at + 6)).toBe('070701');
            const field = (i: number): number =>
              parseInt(archive.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
            const size = field(6);
            const nameSize = field(11);
            const n = archive.toString('latin1', at + 110, at + 110 + nameSize - 1);
            at += Math.ceil((110 + nameSize) / 4) * 4 + Math.ceil(size / 4) * 4;
            if (n === 'TRAILER!!!') break;
            names.push(n);
          }
          expect(at).toBe(archive.length);
          expect(names).toEqual(files.map((f) => f.name));
        },
      ),
    );
  });

  it.each(['', '/', 'a//b', '../etc', 'a/./b'])('refuses the path %j', (path) => {
    expect(() => newcArchive([{ kind: 'dir', path }])).toThrow(/not a plain relative path/);
  });
});
