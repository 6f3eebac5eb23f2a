// The page: src/web/client/main.ts (Preact + htm, uPlot, their CSS) bundled by esbuild into one app.js and one
// app.css, next to index.html and the favicon, each with .gz and .br copies so the server sends compressed bytes
// without compressing per request. `npm run build` writes dist/web/assets/; the tests' global setup writes
// src/web/assets/build/ (gitignored), which the server run from src/ serves.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/** Files the page is made of; page.ts serves exactly these. */
export const PAGE_FILES = ['index.html', 'app.js', 'app.css', 'favicon.svg'];

/**
 * @param {{ outdir: string, production?: boolean }} opts
 * @returns {Promise<{ file: string, bytes: number, gzip: number, brotli: number }[]>}
 */
export async function buildClient({ outdir, production = true }) {
  // Built aside and renamed into place file by file, so a server reading the folder (another test run, say) never
  // sees a half-written bundle.
  const work = `${outdir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(outdir, { recursive: true });
  try {
    await build({
      entryPoints: { app: resolve(root, 'src/web/client/main.ts') },
      bundle: true,
      format: 'esm',
      target: 'es2020',
      // The tests' build stays readable, so a console error in a test names real code.
      minify: production,
      sourcemap: false,
      outdir: work,
      entryNames: '[name]',
      legalComments: 'none',
      logLevel: 'warning',
    });
    copyFileSync(resolve(root, 'src/web/assets/index.html'), resolve(work, 'index.html'));
    copyFileSync(resolve(root, 'src/web/assets/favicon.svg'), resolve(work, 'favicon.svg'));
    const sizes = PAGE_FILES.map((file) => {
      const path = resolve(work, file);
      const body = readFileSync(path);
      const gz = gzipSync(body, { level: 9 });
      const br = brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: production ? 11 : 5,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      });
      writeFileSync(`${path}.gz`, gz);
      writeFileSync(`${path}.br`, br);
      return { file, bytes: statSync(path).size, gzip: gz.length, brotli: br.length };
    });
    // The compressed copies first: a reader that sees the new plain file finds its copies already new.
    for (const file of PAGE_FILES) {
      for (const suffix of ['.gz', '.br', '']) renameSync(resolve(work, file + suffix), resolve(outdir, file + suffix));
    }
    return sizes;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Run as a script: `node scripts/build-client.mjs [--out DIR] [--dev]`.
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const at = process.argv.indexOf('--out');
  const outdir = resolve(root, at > 0 ? process.argv[at + 1] : 'dist/web/assets');
  const sizes = await buildClient({ outdir, production: !process.argv.includes('--dev') });
  const total = (key) => sizes.reduce((sum, s) => sum + s[key], 0);
  if (!process.argv.includes('--quiet')) {
    console.log(
      `page built into ${outdir}: ${total('bytes')} bytes, ${total('gzip')} gzip, ${total('brotli')} brotli (${sizes
        .map((s) => `${s.file} ${s.brotli}`)
        .join(', ')})`,
    );
  }
}
