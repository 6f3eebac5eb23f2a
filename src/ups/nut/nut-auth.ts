import { createHash, timingSafeEqual } from 'node:crypto';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import { decoyPasswordHash, verifyPassword } from '../../web/auth/password-hash.js';

/** A user as upsd.users would define it, with its password in plain or as a scrypt hash (one of the two). */
export interface NutUser {
  readonly name: string;
  readonly password?: string | undefined;
  readonly passwordHash?: string | undefined;
  readonly upsmon?: 'primary' | 'secondary' | undefined;
  readonly actions: readonly ('SET' | 'FSD')[];
  readonly instcmds: readonly string[];
}

/** What a privileged command needs, as upsd's user_checkaction / user_checkinstcmd see it. */
export type NutRight =
  | { readonly kind: 'LOGIN' }
  | { readonly kind: 'PRIMARY' }
  | { readonly kind: 'FSD' }
  | { readonly kind: 'SET' }
  | { readonly kind: 'INSTCMD'; readonly cmd: string };

export interface LoginLimits {
  /** Wrong passwords an address may send at full speed. */
  readonly freeFailures: number;
  /** An address that has not failed for this long starts afresh. */
  readonly windowMs: number;
  /** The cap of the growing delay. */
  readonly maxDelayMs: number;
}

/** The first delay after the free failures; it doubles with each further failure up to the cap. */
const FIRST_DELAY_MS = 250;
const MAX_TRACKED_ADDRESSES = 10_000;

interface FailureRecord {
  failures: number;
  lastFailureAt: number;
}

type KnownUser = NutUser & { hash: Buffer | null };

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function grants(user: NutUser, right: NutRight): boolean {
  switch (right.kind) {
    case 'LOGIN':
      return user.upsmon !== undefined;
    case 'PRIMARY':
      return user.upsmon === 'primary';
    case 'FSD':
      return user.upsmon === 'primary' || user.actions.includes('FSD');
    case 'SET':
      return user.actions.includes('SET');
    case 'INSTCMD':
      return user.instcmds.some((c) => c === 'ALL' || c.toLowerCase() === right.cmd.toLowerCase());
  }
}

/**
 * Checks USERNAME/PASSWORD pairs against the configured users when a privileged command runs. An address that keeps
 * sending wrong passwords is slowed down (a growing delay before each of its checks, capped), never locked out: a
 * right password is always accepted, so a real upsmon that logs in after someone else's guessing still counts in
 * NUMLOGINS and the primary waits for it. Failures are logged with the user name and address, never the password.
 */
export class NutAuth {
  private readonly users: Map<string, KnownUser>;
  private readonly decoy = decoyPasswordHash();
  private readonly anyHashed: boolean;
  private readonly failures = new Map<string, FailureRecord>();

  constructor(
    users: readonly NutUser[],
    private readonly limits: LoginLimits,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.users = new Map(
      users.map((u) => [u.name, { ...u, hash: u.password === undefined ? null : digest(u.password) }]),
    );
    this.anyHashed = users.some((u) => u.passwordHash !== undefined);
  }
  /** True when the credentials are right and the user holds the right. */
  async check(address: string, username: string, password: string, right: NutRight): Promise<boolean> {
    const wait = this.delayFor(address, this.clock.now());
    if (wait > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    const user = this.users.get(username);
    const ok = user === undefined ? await this.decoyCheck(password) : await this.passwordMatches(user, password);
    if (!ok || user === undefined) {
      this.fail(address, username, right.kind, this.clock.now());
      return false;
    }
    this.failures.delete(address);
    if (!grants(user, right)) {
      this.log.info({ address, user: username, command: right.kind }, 'NUT command not granted to this user');
      return false;
    }
    return true;
  }

  /** How long the address's next check waits: 0 for its first free failures, then 250 ms doubling, capped. */
  delayFor(address: string, now: number): number {
    const r = this.failures.get(address);
    if (!r || now - r.lastFailureAt >= this.limits.windowMs) return 0;
    const over = r.failures - this.limits.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.limits.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(over, 30));
  }

  /**
   * upsmon sends its password before every privileged command, so a scrypt user would pay a hash per command: once a
   * password has matched the hash, its SHA-256 is remembered in memory (as a plain password's is) and later checks
   * are a compare. A wrong password always pays the full hash, so guessing stays slow.
   */
  private async passwordMatches(user: KnownUser, password: string): Promise<boolean> {
    const given = digest(password);
    if (user.hash !== null && timingSafeEqual(user.hash, given)) return true;
    if (user.passwordHash === undefined) return false;
    let matches = false;
    try {
      matches = await verifyPassword(user.passwordHash, password);
    } catch (e) {
      // The schema validates hashes; one that cannot be read still only refuses this user.
      this.log.error({ user: user.name, err: errorMessage(e) }, 'NUT user has an unusable password hash');
    }
    if (matches) user.hash = given;
    return matches;
  }

  /** An unknown name costs what a hashed user's wrong password does, so timing does not tell which names exist. */
  private async decoyCheck(password: string): Promise<false> {
    if (this.anyHashed) await verifyPassword(this.decoy, password);
    return false;
  }

  private fail(address: string, username: string, command: string, now: number): void {
    const previous = this.failures.get(address);
    const fresh = !previous || now - previous.lastFailureAt >= this.limits.windowMs;
    const record: FailureRecord = { failures: fresh ? 1 : previous.failures + 1, lastFailureAt: now };
    this.failures.set(address, record);
    // Bounded: addresses whose window has passed are forgotten first; past the cap the oldest entry goes.
    if (this.failures.size > MAX_TRACKED_ADDRESSES) {
      for (const [a, r] of this.failures) if (now - r.lastFailureAt >= this.limits.windowMs) this.failures.delete(a);
      if (this.failures.size > MAX_TRACKED_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    }
    const delayMs = this.delayFor(address, now);
    this.log.warn(
      { address, user: username, command, failures: record.failures, nextDelayMs: delayMs },
      delayMs > 0 ? 'NUT login failed; slowing this address down' : 'NUT login failed',
    );
  }
}
