/**
 * esbuild builds of the package: the storefront (storefront/ → storefront-dist/) and the
 * bundle-size measurement of the client library. Workspace packages resolve to their
 * TypeScript sources (`source` condition), so a build never needs another package's dist/.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlibConstants } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STOREFRONT_DIST = join(PACKAGE_DIR, 'storefront-dist');

/**
 * Plain browser builds: no aliases, no polyfills. The browser code paths of @cartwheel/crdt and
 * this package use only Uint8Array, TextEncoder, btoa/atob, IndexedDB and WebSocket, so an app
 * bundling the packages with any bundler gets the same bytes as this measurement.
 */
const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['@cartwheel/source'],
  logLevel: 'warning',
};

/** Static files copied as they are (the icon at /favicon.ico and the SVG one the page links). */
const STATIC_FILES = ['favicon.ico', 'favicon.svg'];
/** Bodies worth compressing at build time; the server sends the .br/.gz twin when accepted. */
const COMPRESSIBLE = /\.(js|css|html|svg)$/;

const contentHash = (bytes: Uint8Array | string): string =>
  createHash('sha256').update(bytes).digest('base64url').replace(/[-_]/g, '').slice(0, 10);

/**
 * Builds the storefront into `outdir`: index.html, app.<hash>.js, styles.<hash>.css, sw.js,
 * favicon.ico, favicon.svg, each compressible file with .br and .gz twins. Hashed names are
 * served as immutable (cart-server/src/http/static-files.ts); no source map is emitted, so none
 * is public (`sourcemap: 'inline'` in a local build is the way to debug).
 */
export async function buildStorefront(outdir = STOREFRONT_DIST): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const src = (f: string) => join(PACKAGE_DIR, 'storefront', f);
  const app = await build({
    ...common,
    entryPoints: [src('main.ts')],
    write: false,
    minify: true,
    sourcemap: false,
  });
  const js = app.outputFiles?.[0]?.contents ?? new Uint8Array();
  const css = await readFile(src('styles.css'));
  const appName = `app.${contentHash(js)}.js`;
  const cssName = `styles.${contentHash(css)}.css`;
  await writeFile(join(outdir, appName), js);
  await writeFile(join(outdir, cssName), css);
  const html = (await readFile(src('index.html'), 'utf8'))
    .replace('./app.js', `./${appName}`)
    .replace('./styles.css', `./${cssName}`);
  if (!html.includes(appName) || !html.includes(cssName))
    throw new Error('index.html must link ./app.js and ./styles.css');
  await writeFile(join(outdir, 'index.html'), html);
  for (const f of STATIC_FILES) await copyFile(src(f), join(outdir, f));
  const shell = ['./index.html', `./${appName}`, `./${cssName}`, './favicon.svg', './favicon.ico'];
  await build({
    ...common,
    entryPoints: [src('sw.ts')],
    outfile: join(outdir, 'sw.js'),
    minify: true,
    define: { __SHELL__: JSON.stringify(shell), __BUILD__: JSON.stringify(contentHash(shell.join())) },
  });
  for (const f of await readdir(outdir)) {
    if (!COMPRESSIBLE.test(f)) continue;
    const body = await readFile(join(outdir, f));
    const twins: Array<[string, Uint8Array]> = [
      ['gz', gzipSync(body, { level: 9 })],
      ['br', brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } })],
    ];
    for (const [ext, packed] of twins)
      if (packed.length < body.length) await writeFile(join(outdir, `${f}.${ext}`), packed);
  }
}

/** The library bundle's budget: 30 KB = 30,000 bytes of gzip (issue 15), not 30 KiB. */
export const BUNDLE_BUDGET_GZIP_BYTES = 30_000;

export interface BundleSize {
  readonly entry: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  /** Every file that ended up in the bundle (to prove no polyfill sneaked in). */
  readonly inputs: readonly string[];
}

/** Size of what a browser app pays for the client: SyncClient + the IndexedDB store, minified. */
export async function measureClientBundle(): Promise<BundleSize> {
  const entry = "export { SyncClient, createBrowserReplicaStore } from '@cartwheel/sync-client';";
  const result = await build({
    ...common,
    stdin: { contents: entry, resolveDir: PACKAGE_DIR, loader: 'ts' },
    minify: true,
    write: false,
    treeShaking: true,
    metafile: true,
  });
  const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
  const inputs = Object.values(result.metafile?.outputs ?? {}).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([path]) => path),
  );
  return { entry, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, inputs };
}
