// The page: src/web/client/main.ts (Preact + htm, uPlot, their CSS) bundled by esbuild into app.js (the shell, the
// login and the overview) and app.css, with every other view split into chunks/ (fetched when first shown; their
// names carry a content hash, so page.ts lets browsers keep them), next to index.html and the favicon, each with .gz
// and .br copies so the server sends compressed bytes without compressing per request. `npm run build` writes dist/web/assets/; the tests' global setup writes
// src/web/assets/build/ (gitignored), which the server run from src/ serves.
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { relative, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');

/** The page's fixed files; page.ts serves these and the files of chunks/. */
export const PAGE_FILES = ['index.html', 'app.js', 'app.css', 'favicon.svg'];
export const CHUNK_DIR = 'chunks';

/**
 * The chunks app.js imports statically (the view library it shares with the split views), announced in index.html
 * as modulepreloads: the browser fetches them beside app.js instead of after reading it.
 * @param {string} page index.html
 * @param {import('esbuild').Metafile} metafile
 * @param {string} outdir where esbuild wrote (its output paths are relative to the working directory)
 */
function withModulePreloads(page, metafile, outdir) {
  const entry = Object.entries(metafile.outputs).find(([path]) => resolve(path) === resolve(outdir, 'app.js'));
  const chunks = (entry?.[1].imports ?? [])
    .filter((i) => i.kind === 'import-statement')
    .map((i) => `/${relative(outdir, resolve(i.path))}`);
  const links = chunks.map((href) => `<link rel="modulepreload" href="${href}" />`).join('\n    ');
  const script = '<script type="module" src="/app.js"></script>';
  if (!page.includes(script)) throw new Error(`src/web/assets/index.html has no ${script}`);
  return links ? page.replace(script, `${links}\n    ${script}`) : page;
}

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
    const result = await build({
      entryPoints: { app: resolve(root, 'src/web/client/main.ts') },
      bundle: true,
      format: 'esm',
      splitting: true,
      chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
      target: 'es2020',
      // The tests' build stays readable, so a console error in a test names real code.
      minify: production,
      sourcemap: false,
      outdir: work,
      entryNames: '[name]',
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
    });
    writeFileSync(
      resolve(work, 'index.html'),
      withModulePreloads(readFileSync(resolve(root, 'src/web/assets/index.html'), 'utf8'), result.metafile, work),
    );
    copyFileSync(resolve(root, 'src/web/assets/favicon.svg'), resolve(work, 'favicon.svg'));
    mkdirSync(resolve(work, CHUNK_DIR), { recursive: true });
    const chunks = readdirSync(resolve(work, CHUNK_DIR)).map((name) => `${CHUNK_DIR}/${name}`);
    const files = [...PAGE_FILES, ...chunks];
    const sizes = files.map((file) => {
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
    // Chunks first, then the entry that imports them; old chunks stay (a page loaded before may still ask for them).
    mkdirSync(resolve(outdir, CHUNK_DIR), { recursive: true });
    for (const file of [...chunks, ...PAGE_FILES]) {
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
