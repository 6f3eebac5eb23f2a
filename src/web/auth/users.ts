import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { WebRole } from '../access.js';
import type { WebUserView } from '../api-types/users.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './password-hash.js';
import type { TokenStore } from './token-store.js';

export type ConfigUser = Config['users'][number];

interface Entry {
  readonly name: string;
  readonly role: WebRole | null;
  readonly nut: boolean;
  readonly source: 'config' | 'demo';
  /** Settles once: a plain password is hashed at start, so every check takes the same (scrypt) path. */
  readonly hash: Promise<string> | null;
}

/**
 * The web console's users, from the config's `users:` (and the demo's admin). A user's web role is its own: a NUT
 * primary without `role` has no web login. Passwords are held only as scrypt hashes, never in plain.
 */
export class WebUsers {
  private readonly entries = new Map<string, Entry>();
  private readonly decoy = decoyPasswordHash();

  private constructor(private readonly log: Logger) {}

  /** Hashes the plain passwords of users with a web role once, here; the rest of their life is the hash path. */
  static async create(users: readonly ConfigUser[], log: Logger): Promise<WebUsers> {
    const web = new WebUsers(log);
    for (const u of users) {
      const role = u.role ?? null;
      let hash: Promise<string> | null = null;
      if (role !== null) {
        if (u.password_hash !== undefined) hash = Promise.resolve(u.password_hash);
        else if (u.password !== undefined) hash = hashPassword(u.password);
      }
      web.entries.set(u.name, {
        name: u.name,
        role,
        nut: u.upsmon !== undefined || u.actions.length > 0 || u.instcmds.length > 0,
        source: 'config',
        hash,
      });
    }
    await Promise.all([...web.entries.values()].flatMap((e) => (e.hash ? [e.hash] : [])));
    return web;
  }

  /**
   * The demo's admin, with a password made at start and printed; not written anywhere. It can log in at once (its
   * hash is awaited by the first check); the promise says when the hash is ready.
   */
  addEphemeral(name: string, role: WebRole, password: string): Promise<void> {
    const hash = hashPassword(password);
    this.entries.set(name, { name, role, nut: false, source: 'demo', hash });
    return hash.then(() => undefined);
  }

  /**
   * The user's web role when the password is right; null for an unknown user, a user without a web role, or a wrong
   * password. Every refusal costs one hash check, so timing does not tell which names exist.
   */
  async verify(name: string, password: string): Promise<WebRole | null> {
    const entry = this.entries.get(name);
    const role = entry?.role ?? null;
    const hash = role === null ? null : await entry?.hash;
    if (role === null || hash === null || hash === undefined) {
      await verifyPassword(this.decoy, password);
      return null;
    }
    try {
      return (await verifyPassword(hash, password)) ? role : null;
    } catch (e) {
      // The schema validates hashes; one that cannot be read refuses this user only, and says so (not the hash).
      this.log.error({ user: name, err: errorMessage(e) }, 'web user has an unusable password hash');
      return null;
    }
  }

  list(): readonly WebUserView[] {
    return [...this.entries.values()].map(({ name, role, nut, source }) => ({ name, role, nut, source }));
  }
}

/** What the users and tokens routes get through WebDeps (`deps.accounts`). */
export interface WebAccounts {
  readonly users: Pick<WebUsers, 'list'>;
  readonly tokens: TokenStore;
}
