import { readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The processes that hold the store open (its file, WAL or shared-memory index), from /proc: a running upsguard keeps
 * its store open for as long as it runs. Processes this user may not look into are not seen, so run a restore as
 * root or as the service's own user. Linux only, like the appliance.
 */
export function storeHolders(path: string, proc = '/proc'): number[] {
  let file: string;
  try {
    file = join(realpathSync(dirname(path)), basename(path));
  } catch {
    return [];
  }
  const names = new Set([file, `${file}-wal`, `${file}-shm`]);
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  const holders: number[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(join(proc, pid, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(proc, pid, 'fd', fd));
      } catch {
        continue;
      }
      if (names.has(target.replace(/ \(deleted\)$/, ''))) {
        holders.push(Number(pid));
        break;
      }
    }
  }
  return holders;
}
