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
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly blockMs: number;
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
 * Checks USERNAME/PASSWORD pairs against the configured users when a privileged command runs, and refuses an
 * address that keeps failing for a while. Failures are logged with the user name and address, never the password.
 */
export class NutAuth {
  private readonly users: Map<string, KnownUser>;
  private readonly decoy = decoyPasswordHash();
  private readonly anyHashed: boolean;
  private readonly failures = new Map<string, { times: number[]; blockedUntil: number; told: boolean }>();

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
    const now = this.clock.now();
    const record = this.failures.get(address);
    if (record && record.blockedUntil > now) {
      if (!record.told) {
        record.told = true;
        this.log.warn({ address, user: username }, 'NUT client refused: too many failed logins');
      }
      return false;
    }
    const user = this.users.get(username);
    const ok = user === undefined ? await this.decoyCheck(password) : await this.passwordMatches(user, password);
    if (!ok || user === undefined) {
      this.fail(address, username, right.kind, now);
      return false;
    }
    this.failures.delete(address);
    if (!grants(user, right)) {
      this.log.info({ address, user: username, command: right.kind }, 'NUT command not granted to this user');
      return false;
    }
    return true;
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
    const record = this.failures.get(address) ?? { times: [], blockedUntil: 0, told: false };
    record.times = record.times.filter((t) => now - t < this.limits.windowMs);
    record.times.push(now);
    if (record.times.length >= this.limits.maxFailures) {
      record.blockedUntil = now + this.limits.blockMs;
      record.times = [];
      record.told = false;
    }
    this.failures.set(address, record);
    // Bounded: an address that stops failing is forgotten once its window has passed.
    if (this.failures.size > 10_000) {
      for (const [a, r] of this.failures)
        if (r.blockedUntil < now && r.times.every((t) => now - t >= this.limits.windowMs)) this.failures.delete(a);
    }
    this.log.warn({ address, user: username, command }, 'NUT login failed');
  }
}
