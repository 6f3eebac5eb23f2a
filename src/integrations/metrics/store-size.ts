import { statSync } from 'node:fs';

/** The store's bytes on disk: the SQLite file and its write-ahead log; null for `:memory:` or when unreadable. */
export function storeFileSize(path: string): number | null {
  if (path === ':memory:' || path === '') return null;
  let total = 0;
  try {
    total = statSync(path).size;
  } catch {
    return null;
  }
  for (const extra of [`${path}-wal`, `${path}-shm`]) {
    try {
      total += statSync(extra).size;
    } catch {
      // No WAL or shared-memory file right now (checkpointed, or journal mode without one): nothing to add.
    }
  }
  return total;
}
