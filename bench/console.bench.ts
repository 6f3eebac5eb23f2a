// The console as its owner meets it, against `upsguard serve` in demo mode (the installed entry point, so its
// interpreter line's node flags apply) in real Chromium: the page's weight on the wire (compressed), the time to the
// first complete overview on loopback, and the server's resident memory after a soak with the console open
// (10 minutes by default; BENCH_SOAK_S to change). It needs 127.0.0.1:8080 free, as `npm start` does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/chromium.js';
import { quantile } from './stats.js';

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

interface Demo {
  child: ChildProcess;
  url: string;
  user: string;
  password: string;
}

/** Starts the demo and reads, from its terminal, where the page is and the login it printed. */
function startDemo(dir: string): Promise<Demo> {
  const env = { ...process.env };
  delete env.UPSGUARD_CONFIG;
  const child = spawn(resolve(import.meta.dirname, '../dist/main.js'), ['serve'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<Demo>((res, rej) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const login = /demo login (\w+) \/ (\w+) at (http:\/\/[^\s"]+)/.exec(out);
      if (login) res({ child, user: login[1]!, password: login[2]!, url: login[3]!.replace(/\/$/, '') });
    });
    child.on('exit', (code) => {
      rej(new Error(`serve exited ${String(code)}`));
    });
  });
}

async function logIn(page: Page, demo: Demo): Promise<void> {
  await page.goto(demo.url);
  await page.getByLabel('User').fill(demo.user);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('who').waitFor({ timeout: 15_000 });
}

/** The overview is complete when the decision line has its sentence and every UPS card its charge. */
const OVERVIEW_COMPLETE = `(() => {
  const decision = document.querySelector('[data-testid="decision"]');
  const cards = [...document.querySelectorAll('article.ups')];
  return !!decision && decision.textContent.trim() !== '' && cards.length > 0 &&
    cards.every((c) => /\\d+ %/.test(c.querySelector('[data-field="charge"]')?.textContent ?? ''));
})()`;

/**
 * Installed in every page before its own scripts: notes, from the page's navigation start, the first frame that shows
 * the complete overview (a DOM observer sees it complete; the time is taken in the animation frame that paints it).
 * Watching from inside the page keeps the bench's own round trips to the browser out of the figure.
 */
const WATCH_OVERVIEW = `(() => {
  const complete = () => ${OVERVIEW_COMPLETE};
  const watch = new MutationObserver(() => {
    if (!complete()) return;
    watch.disconnect();
    requestAnimationFrame(() => { window.__overviewShownAt = performance.now(); });
  });
  watch.observe(document, { childList: true, subtree: true, characterData: true });
})()`;

/**
 * Waits until the page's watch has seen the overview complete, checks that it is (the same test, asked from here), and
 * returns when it was first shown. Asked with evaluate: the page's CSP (no eval) refuses waitForFunction's strings.
 */
async function overviewComplete(page: Page): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const shownAt = await page.evaluate<number | null>('window.__overviewShownAt ?? null');
    if (shownAt !== null) {
      if (!(await page.evaluate<boolean>(OVERVIEW_COMPLETE))) throw new Error('the overview was shown, then lost');
      return shownAt;
    }
    if (Date.now() > deadline) throw new Error('no complete overview within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Bytes on the wire (compressed bodies and headers) of everything a first visit loads, the live stream aside. */
async function pageWeight(context: BrowserContext, demo: Demo): Promise<{ bytes: number; requests: number }> {
  const page = await context.newPage();
  const sizes: Promise<number>[] = [];
  page.on('requestfinished', (req) => {
    if (new URL(req.url()).pathname === '/api/stream') return;
    // A request still finishing when the page closes (the stream's reconnect reload, say) has no sizes: it counts 0.
    sizes.push(
      req.sizes().then(
        (s) => s.responseBodySize + s.responseHeadersSize,
        () => 0,
      ),
    );
  });
  await page.goto(demo.url);
  await overviewComplete(page);
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
  const all = await Promise.all(sizes);
  await page.close();
  return { bytes: all.reduce((a, b) => a + b, 0), requests: all.length };
}

export async function run(): Promise<Record<string, number>> {
  const soakS = Number(process.env.BENCH_SOAK_S ?? 600);
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-console-'));
  const demo = await startDemo(dir);
  const browser = await launchChromium();
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addInitScript(WATCH_OVERVIEW);
    const first = await context.newPage();
    await logIn(first, demo);
    await first.close();

    // A fresh cache each time (a new page in the logged-in context keeps the cookie, not the HTTP cache's effect on
    // size: requestfinished reports what crossed the wire).
    const fresh = await browser.newContext({ storageState: await context.storageState() });
    await fresh.addInitScript(WATCH_OVERVIEW);
    const weight = await pageWeight(fresh, demo);

    // From the page's navigation start to the first frame showing every card and the decision, as a person at the
    // browser sees it (the target); and from the bench's side, the new tab's own cost and the bench's round trips
    // to the browser included.
    const firstOverviewMs: number[] = [];
    const benchSideMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const page = await context.newPage();
      const t0 = performance.now();
      await page.goto(demo.url);
      firstOverviewMs.push(await overviewComplete(page));
      benchSideMs.push(performance.now() - t0);
      await page.close();
    }

    // The soak: one console tab left open on the overview, following the demo's outages live.
    const tab = await context.newPage();
    await tab.goto(demo.url);
    await overviewComplete(tab);
    const samples: number[] = [];
    const started = Date.now();
    while (Date.now() - started < soakS * 1000) {
      await new Promise((r) => setTimeout(r, Math.min(10_000, soakS * 100)));
      samples.push(rssKiB(demo.child.pid!));
    }
    const stillLive = await tab.locator('article.ups').count();
    await context.close();
    return {
      'page weight compressed (KB)': weight.bytes / 1024,
      'page requests': weight.requests,
      'first overview from navigation start p50 (ms)': quantile(firstOverviewMs, 0.5),
      'first overview from navigation start p99 (ms)': quantile(firstOverviewMs, 0.99),
      'first overview bench side, tab opening included p50 (ms)': quantile(benchSideMs, 0.5),
      'first overview bench side, tab opening included p99 (ms)': quantile(benchSideMs, 0.99),
      'soak seconds': soakS,
      'rss at end, console open (MB)': samples.at(-1)! / 1024,
      'rss peak (MB)': Math.max(...samples) / 1024,
      // Flat is the goal: the end of the soak against its first minute (the console open, the demo's loop running).
      'rss growth over soak (MB)':
        (samples.at(-1)! - Math.max(...samples.slice(0, Math.max(1, Math.ceil(samples.length / 10))))) / 1024,
      'ups cards shown after soak': stillLive,
    };
  } finally {
    await browser.close();
    demo.child.kill('SIGTERM');
    await new Promise((res) => demo.child.once('exit', res));
    rmSync(dir, { recursive: true, force: true });
  }
}
