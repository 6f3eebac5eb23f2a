// `npm test`: the Debian packages first (they may need installing), then lint, the type check and the tests side by
// side. On 2 cores the tests leave a quarter of the CPU idle waiting on peers and browsers, and lint and the type
// check are pure CPU: run one after the other, the three took over nine minutes; side by side they fit well inside
// the ten the suite is allowed. Lint's and the type check's output is printed as each finishes, the tests' as they
// run; the exit code is the first failure's.
import { execFileSync, spawn } from 'node:child_process';

execFileSync(process.execPath, ['scripts/ensure-debian-packages.mjs'], { stdio: 'inherit' });

/** Runs one npm script with its output held back, printed whole (prefixed) when it ends. */
function buffered(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    child.on('close', (code) => {
      const text = out.trimEnd();
      if (text !== '')
        process.stdout.write(
          `${text
            .split('\n')
            .map((l) => `[${script}] ${l}`)
            .join('\n')}\n`,
        );
      process.stdout.write(`[${script}] ${code === 0 ? 'ok' : `FAILED (exit ${code})`}\n`);
      resolve(code ?? 1);
    });
  });
}

function streamed(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const [lint, typecheck, tests] = await Promise.all([
  buffered('lint'),
  buffered('typecheck'),
  streamed('npx', ['vitest', 'run']),
]);
process.stdout.write(`lint ${lint === 0 ? 'ok' : 'FAILED'}, typecheck ${typecheck === 0 ? 'ok' : 'FAILED'}\n`);
process.exit([lint, typecheck, tests].find((c) => c !== 0) ?? 0);
