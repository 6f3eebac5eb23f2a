import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { ErrorCode, UpsguardError } from '../../errors.js';

/** Where answers are typed: a terminal, or a script on stdin (one answer per line). */
export interface LineSource {
  /** True on a terminal: secrets are typed without echo and asked twice. */
  readonly tty: boolean;
  /** The next answer; null once the input has ended. */
  question(prompt: string, hidden: boolean): Promise<string | null>;
  close(): void;
}

export interface TerminalStreams {
  readonly input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

/**
 * Lines from readline's async iterator, which buffers them: a script piped in whole is read one answer per question,
 * none lost between questions. On a terminal a hidden answer is typed with readline's echo muted.
 */
export function openLineSource(io: TerminalStreams, timeoutMs: number): LineSource {
  const tty = io.input.isTTY === true;
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      if (!muted) io.output.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: io.input, output: echo, terminal: tty });
  // Ctrl-C at a question ends the input: the step asking says it was cancelled.
  rl.on('SIGINT', () => rl.close());
  const lines = rl[Symbol.asyncIterator]();
  return {
    tty,
    async question(prompt, hidden) {
      io.output.write(prompt);
      muted = hidden && tty;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new UpsguardError(ErrorCode.CliUsage, `no answer within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      });
      try {
        const next = await Promise.race([lines.next(), timeout]);
        return next.done === true ? null : next.value;
      } finally {
        clearTimeout(timer);
        if (muted) io.output.write('\n');
        muted = false;
      }
    },
    close() {
      rl.close();
    },
  };
}
