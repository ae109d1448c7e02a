/**
 * esbuild builds of the package: the storefront (storefront/ → storefront-dist/) and the
 * bundle-size measurement of the client library. Workspace packages resolve to their
 * TypeScript sources (`source` condition), so a build never needs another package's dist/.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STOREFRONT_DIST = join(PACKAGE_DIR, 'storefront-dist');

/**
 * Node built-ins abstract-level requires, replaced by small shims in browser bundles (the
 * `events` npm polyfill, a dependency, works too; it is 2 KB gzip larger).
 */
export const BROWSER_ALIASES: Record<string, string> = {
  buffer: join(PACKAGE_DIR, 'scripts', 'shims', 'buffer.ts'),
  events: join(PACKAGE_DIR, 'scripts', 'shims', 'events.ts'),
};

const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['source'],
  logLevel: 'warning',
  alias: BROWSER_ALIASES,
};

/** Builds the storefront into `outdir` (index.html, styles.css, app.js, sw.js). */
export async function buildStorefront(outdir = STOREFRONT_DIST): Promise<void> {
  await mkdir(outdir, { recursive: true });
  await build({
    ...common,
    entryPoints: [join(PACKAGE_DIR, 'storefront', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    minify: true,
    sourcemap: true,
  });
  await build({
    ...common,
    entryPoints: [join(PACKAGE_DIR, 'storefront', 'sw.ts')],
    outfile: join(outdir, 'sw.js'),
    minify: true,
  });
  for (const f of ['index.html', 'styles.css'])
    await copyFile(join(PACKAGE_DIR, 'storefront', f), join(outdir, f));
}

export interface BundleSize {
  readonly entry: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
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
  });
  const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
  return { entry, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}
