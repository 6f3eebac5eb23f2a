// Resident memory of `upsguard serve` in demo mode after a soak (10 minutes by default; BENCH_SOAK_S to change),
// with the page's live stream connected the whole time, as a browser tab left open would be.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export async function run(): Promise<Record<string, number>> {
  const soakS = Number(process.env.BENCH_SOAK_S ?? 600);
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-soak-'));
  // The demo itself (no configuration: the simulated UPS, the cluster, the plan, the NUT server), run through the
  // installed entry point so its interpreter line (the node flags users get) applies, in a scratch directory for its
  // store. It needs 127.0.0.1:8080 free, as `npm start` does.
  const env = { ...process.env };
  delete env.UPSGUARD_CONFIG;
  const child = spawn(resolve(import.meta.dirname, '../dist/main.js'), ['serve'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /Open (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.on('exit', (code) => rej(new Error(`serve exited ${String(code)}`)));
  });
  let frames = 0;
  const stream = http.get(`${url}/api/stream`, (res) => res.on('data', () => frames++));
  const samples: number[] = [];
  const started = Date.now();
  while (Date.now() - started < soakS * 1000) {
    await new Promise((r) => setTimeout(r, Math.min(10_000, soakS * 100)));
    samples.push(rssKiB(child.pid!));
  }
  const status = await new Promise<number>((res) => http.get(`${url}/api/status`, (r) => res(r.statusCode ?? 0)));
  stream.destroy();
  child.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((res) => child.on('exit', res));
  rmSync(dir, { recursive: true, force: true });
  return {
    'soak seconds': soakS,
    'rss at end (MB)': samples.at(-1)! / 1024,
    'rss peak (MB)': Math.max(...samples) / 1024,
    'rss after 10 % of soak (MB)': samples[Math.floor(samples.length / 10)]! / 1024,
    'stream frames received': frames,
    'status after soak (http)': status,
    'exit code after SIGTERM': exitCode ?? -1,
  };
}
