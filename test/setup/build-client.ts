import { execFileSync } from 'node:child_process';

/**
 * The tests run the server from src/, which serves the page from src/web/assets/build/: bundle it once before any
 * test file runs, so a page test always sees the client as it is in the tree (not a stale build).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-client.mjs', '--out', 'src/web/assets/build', '--dev', '--quiet'], {
    stdio: 'inherit',
  });
}
