// The page: src/web/client/main.ts (Preact + htm, every view, their CSS and uPlot's) bundled by esbuild into app.js and
// app.css, with uPlot's code alone split into chunks/ (fetched when the first chart is drawn; its name carries a
// content hash, so page.ts lets browsers keep it), next to index.html and the favicon, each with .gz and .br copies
// so the server sends compressed bytes without compressing per request. One script for the first view: each request
// costs a slow machine's renderer a few ms, and the views' shared code used to come as six chunks (measured: first
// overview p50 287 -> 241 ms with the files' versions below). `npm run build` writes dist/web/assets/; the tests' global setup writes
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
import { createHash } from 'node:crypto';
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
 * The version of a fixed file that index.html asks for (`/app.js?v=…`): src/web/routes/page.ts computes the same from
 * the bytes it serves, and sends a matching request as kept for good, so a new tab loads the shell from the browser's
 * cache instead of revalidating it (a round trip that held up the first overview; index.html itself is revalidated,
 * so a new build still reaches every browser).
 * @param {Buffer} body
 */
export function fileVersion(body) {
  return createHash('sha256').update(body).digest('base64url').slice(0, 16);
}

/**
 * index.html with each fixed file it names asked for at its version.
 * @param {string} page
 * @param {string} dir where the files are
 */
function withVersions(page, dir) {
  let out = page;
  for (const file of ['app.js', 'app.css', 'favicon.svg']) {
    const ref = `"/${file}"`;
    if (!out.includes(ref)) throw new Error(`src/web/assets/index.html does not name /${file}`);
    out = out.replaceAll(ref, `"/${file}?v=${fileVersion(readFileSync(resolve(dir, file)))}"`);
  }
  return out;
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
      target: 'es2022',
      // The tests' build stays readable, so a console error in a test names real code.
      minify: production,
      sourcemap: false,
      outdir: work,
      entryNames: '[name]',
      legalComments: 'none',
      logLevel: 'warning',
      metafile: true,
    });
    copyFileSync(resolve(root, 'src/web/assets/favicon.svg'), resolve(work, 'favicon.svg'));
    const page = readFileSync(resolve(root, 'src/web/assets/index.html'), 'utf8');
    writeFileSync(resolve(work, 'index.html'), withVersions(withModulePreloads(page, result.metafile, work), work));
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
