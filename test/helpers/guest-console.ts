/**
 * The command protocol between the test and the guest's serial console. The test writes one line per command,
 * `@@RUN <id> <base64 of a shell script>`; the guest runs it and answers `@@BEGIN <id>`, the output as base64
 * lines, `@@END <id> <exit code>`. Base64 both ways keeps any byte (a binary report, a newline in a command) from
 * being read as part of the framing, and the id ties an answer to its command however the console is shared.
 *
 * Live migration is why the guest looks for `@@RUN ` anywhere in a line rather than at its start: the guest's
 * `read` is blocked in the tty when the machine moves, and whatever half-line the old QEMU had delivered stays in
 * the tty's buffer. The next command's line then carries that junk in front of its marker, which is skipped.
 */

export const READY_MARKER = '@@READY';
const RUN = '@@RUN ';
const BEGIN = /^@@BEGIN (\d+)$/;
const END = /^@@END (\d+) (\d+)$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;

/** The tty's canonical line buffer holds 4095 bytes; a longer line would be cut and its base64 broken. */
export const MAX_COMMAND_LINE = 4000;

/** The guest half: the loop /init ends with, reading commands from ttyS0 and answering on it. */
export function guestLoopScript(): string {
  return [
    'exec </dev/ttyS0 >/dev/ttyS0 2>&1',
    // With echo on, every command line would come back on the console the test reads.
    'stty -echo',
    `echo ${READY_MARKER}`,
    'while :; do',
    '  IFS= read -r line || { sleep 1; continue; }',
    `  case "$line" in *'${RUN}'*) ;; *) continue ;; esac`,
    `  set -- \${line##*${RUN}}`,
    '  [ $# -eq 2 ] || continue',
    // 254 answers a command that arrived damaged, so the test fails on it instead of waiting out its timeout.
    '  if ! echo "$2" | base64 -d >/tmp/.cmd 2>/dev/null; then echo "@@BEGIN $1"; echo "@@END $1 254"; continue; fi',
    '  sh /tmp/.cmd </dev/null >/tmp/.out 2>&1',
    '  rc=$?',
    '  echo "@@BEGIN $1"',
    '  base64 /tmp/.out',
    '  echo "@@END $1 $rc"',
    'done',
  ].join('\n');
}

/** The line the test writes to run `script` as command `id`. */
export function commandLine(id: number, script: string): string {
  const line = `${RUN}${id} ${Buffer.from(script).toString('base64')}\n`;
  if (line.length > MAX_COMMAND_LINE) {
    throw new Error(`a guest command of ${script.length} bytes does not fit one console line (${MAX_COMMAND_LINE})`);
  }
  return line;
}

export interface ConsoleAnswer {
  readonly id: number;
  readonly out: Buffer;
  readonly code: number;
}

/** A frame whose body held a line that is not base64 (a kernel message on the console, a lost byte). */
export interface GarbledAnswer {
  readonly id: number;
  readonly garbled: string;
}

/**
 * Reads the guest's console as it arrives, in chunks cut anywhere, and yields every complete answer. Lines
 * outside a frame (boot messages, a shell's complaint) are kept in `log` for a failing test to show.
 */
export class ConsoleReader {
  private partial = '';
  private frame: { id: number; body: string[]; garbled?: string } | undefined;
  private readonly logLines: string[] = [];
  ready = false;

  constructor(private readonly onAnswer: (a: ConsoleAnswer | GarbledAnswer) => void) {}

  push(chunk: Buffer | string): void {
    // latin1 maps every byte to one char, so a multi-byte character cut between chunks cannot be mangled.
    this.partial += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = this.partial.slice(0, nl).replace(/\r+$/, '');
      this.partial = this.partial.slice(nl + 1);
      this.line(line);
    }
  }

  /** What the console said outside answers, the last `max` lines. */
  log(max = 60): string {
    return this.logLines.slice(-max).join('\n');
  }

  private line(line: string): void {
    const begin = BEGIN.exec(line);
    if (begin) {
      // A BEGIN inside a frame means the frame's END was lost; that answer is not trusted and the new one starts.
      if (this.frame) this.onAnswer({ id: this.frame.id, garbled: `no @@END before ${line}` });
      this.frame = { id: Number(begin[1]), body: [] };
      return;
    }
    if (!this.frame) {
      if (line === READY_MARKER) this.ready = true;
      this.logLines.push(line);
      if (this.logLines.length > 500) this.logLines.splice(0, this.logLines.length - 500);
      return;
    }
    const end = END.exec(line);
    if (end && Number(end[1]) === this.frame.id) {
      const { id, body, garbled } = this.frame;
      this.frame = undefined;
      this.onAnswer(
        garbled !== undefined
          ? { id, garbled }
          : { id, out: Buffer.from(body.join(''), 'base64'), code: Number(end[2]) },
      );
      return;
    }
    if (this.frame.garbled === undefined && (!BASE64_LINE.test(line) || end)) this.frame.garbled = line;
    else this.frame.body.push(line);
  }
}
