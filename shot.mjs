import { chromium } from 'playwright-core';
const [,, url, out, wait] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const p = await b.newPage({ viewport: { width: 1200, height: 1400 } });
await p.goto(url);
await new Promise((r) => setTimeout(r, Number(wait ?? 2000)));
await p.screenshot({ path: out, fullPage: true });
await b.close();
