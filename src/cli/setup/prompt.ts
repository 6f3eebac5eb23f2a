import { readFileSync } from 'node:fs';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { SetupFlags } from './flags.js';
import type { LineSource } from './terminal.js';

/**
 * The one way a setup step gets an answer: its flag when given, else the person (or script) at the line source, else
 * the default; with neither in non-interactive mode, a usage error naming the flag. So every step runs the same from
 * flags, a terminal or a scripted stdin.
 */
export interface Question {
  readonly flag: string;
  readonly text: string;
  /** Offered in brackets and taken on an empty answer; `''` makes the question optional. */
  readonly default?: string | undefined;
  /** The problem with an answer, or null when it will do. */
  readonly check?: (answer: string) => string | null;
}

const MAX_TRIES = 5;

export const usageError = (message: string): UpsguardError => new UpsguardError(ErrorCode.CliUsage, message);

export class Prompter {
  constructor(
    private readonly flags: SetupFlags,
    private readonly lines: LineSource | null,
    private readonly print: (line: string) => void,
  ) {}

  get interactive(): boolean {
    return this.lines !== null;
  }

  has(flag: string): boolean {
    return this.flags.has(flag);
  }

  /** Every value of a repeatable flag. */
  all(flag: string): readonly string[] {
    return this.flags.get(flag) ?? [];
  }

  say(line = ''): void {
    this.print(line);
  }

  async ask(q: Question): Promise<string> {
    const given = this.flags.get(q.flag)?.[0];
    if (given !== undefined) {
      const problem = q.check?.(given) ?? null;
      if (problem !== null) throw usageError(`--${q.flag}: ${problem}`);
      return given;
    }
    if (this.lines === null) {
      if (q.default !== undefined) return q.default;
      throw usageError(`missing --${q.flag} (${q.text})`);
    }
    const shown = q.default === undefined || q.default === '' ? '' : ` [${q.default}]`;
    for (let i = 0; i < MAX_TRIES; i++) {
      const typed = await this.lines.question(`${q.text}${shown}: `, false);
      if (typed === null) {
        if (q.default !== undefined) return q.default;
        throw usageError(`the input ended before ${q.text} (or give --${q.flag})`);
      }
      const answer = typed.trim() === '' ? (q.default ?? '') : typed.trim();
      const problem = answer === '' && q.default === undefined ? 'an answer is needed' : (q.check?.(answer) ?? null);
      if (problem === null) return answer;
      this.say(`  ${problem}`);
    }
    throw usageError(`no usable answer to ${q.text} after ${MAX_TRIES} tries`);
  }

  async yesNo(flag: string, text: string, fallback: boolean): Promise<boolean> {
    if (this.flags.has(flag)) return true;
    if (this.lines === null) return fallback;
    const answer = await this.ask({
      flag,
      text: `${text} (y/n)`,
      default: fallback ? 'y' : 'n',
      check: (a) => (/^(y|yes|n|no)$/i.test(a) ? null : 'answer y or n'),
    });
    return /^y/i.test(answer);
  }

  /**
   * A secret: from the file its flag names (the file's text without its final newline), or typed (without echo and
   * twice on a terminal). Empty with `keep` means keep the one the config already has: null.
   */
  async secret(flag: string, text: string, keep: boolean): Promise<string | null> {
    const file = this.flags.get(flag)?.[0];
    if (file !== undefined) return readSecretFile(file, flag);
    if (this.lines === null) {
      if (keep) return null;
      throw usageError(`missing --${flag} (${text})`);
    }
    const hint = keep ? ' (empty keeps the current one)' : '';
    for (let i = 0; i < MAX_TRIES; i++) {
      const first = await this.lines.question(`${text}${hint}: `, true);
      if (first === null) throw usageError(`the input ended before ${text} (or give --${flag})`);
      if (first === '' && keep) return null;
      if (first === '') {
        this.say('  an answer is needed');
        continue;
      }
      if (!this.lines.tty) return first;
      const again = await this.lines.question('Again: ', true);
      if (again === first) return first;
      this.say('  the two differ; once more');
    }
    throw usageError(`no usable answer to ${text} after ${MAX_TRIES} tries`);
  }
}

export function readSecretFile(file: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw usageError(`--${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw usageError(`--${flag}: ${file} is empty`);
  return secret;
}
