import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { openDatabase } from '../../store/database.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { TokenStore } from '../../web/auth/token-store.js';
import { STATUS_TOKEN_FILE } from '../status-token-path.js';
import { ownLikeDirectory, type SetupDraft } from './draft.js';

/** The store's name for that token: one of them, replaced when setup makes a new one. */
export const STATUS_TOKEN_NAME = 'upsguard status';

/** The token text of the file, or null when there is none (or it is not one). */
function tokenInFile(file: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  return text === '' ? null : text;
}

/**
 * A store file root makes here would be root's, and the service (its own user) could not write it: it goes to the
 * owner of its directory, as the package made /var/lib/upsguard. Only files this step created are changed.
 */
function ownStoreFiles(storePath: string, existedBefore: ReadonlySet<string>): void {
  if (process.getuid?.() !== 0) return;
  const dir = statSync(dirname(storePath));
  for (const f of [storePath, `${storePath}-wal`, `${storePath}-shm`]) {
    if (existedBefore.has(f) || !existsSync(f)) continue;
    const st = statSync(f);
    if (st.uid !== dir.uid || st.gid !== dir.gid) chownSync(f, dir.uid, dir.gid);
  }
}

/**
 * Step 6: the read-scope API token `upsguard status` sends, so that it works right after setup. The store keeps its
 * hash (as every API token); the token text goes to status.token next to the config, mode 600 and owned like the
 * config. A token file the store still accepts is kept, so a re-run does not break a monitoring script that copied
 * it; otherwise the old one is revoked and a new one made. Returns the line to print.
 */
export function statusTokenStep(draft: SetupDraft, storePath: string, now: () => number = Date.now): string {
  const file = join(draft.dir, STATUS_TOKEN_FILE);
  if (storePath === ':memory:') {
    return `No ${file}: the store is in memory (store.path), so an API token would not outlive the service.`;
  }
  const existedBefore = new Set([storePath, `${storePath}-wal`, `${storePath}-shm`].filter((f) => existsSync(f)));
  let db;
  try {
    db = openDatabase(storePath);
  } catch (err) {
    if (err instanceof UpsguardError) throw err;
    throw new UpsguardError(ErrorCode.StoreFailure, `cannot open the store at ${storePath}: ${errorMessage(err)}`);
  }
  try {
    const tokens = new TokenStore(db, now);
    const current = tokenInFile(file);
    const principal = current === null ? null : tokens.verifyToken(current);
    if (principal !== null && principal.role === 'viewer') return `Kept ${file} (the read token of upsguard status).`;
    for (const t of tokens.list()) if (t.name === STATUS_TOKEN_NAME) tokens.revoke(t.id);
    const { token } = tokens.create(STATUS_TOKEN_NAME, 'read', 'upsguard setup');
    writeFileAtomic(file, `${token}\n`, 0o600);
    ownLikeDirectory(draft, file);
    return `Wrote ${file} (mode 600): a read-only API token for upsguard status (revoke it on the page: Admin > Tokens).`;
  } finally {
    db.close();
    ownStoreFiles(storePath, existedBefore);
  }
}
