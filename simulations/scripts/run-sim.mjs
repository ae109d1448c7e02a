// `npm run sim` and `npm run sim:soak`: bundle the CLI and its worker from the TypeScript sources
// (esbuild, well under a second) into a private temporary directory, run the bundle in this
// process, and remove it on exit. The sources are always the current ones, as with tsx; what
// differs is the cost of running them. tsx compiles with esbuild's `keepNames`, which wraps every
// function and closure the simulated replicas create in a `__name` call (an
// Object.defineProperty each: ~5% of a sweep's CPU), and every worker thread would transform
// each module again on start. Names do not change in a bundle that is not minified.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cartwheel-sim-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

try {
  await build({
    // The worker must sit next to the CLI: sweep.ts spawns `./worker.js` beside itself.
    entryPoints: { cli: join(src, 'cli.ts'), worker: join(src, 'run/worker.ts') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@cartwheel/source'],
    outdir: dir,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch {
  process.exitCode = 2; // esbuild has printed the errors
  process.exit();
}
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
// Stack traces of run errors point at the TypeScript sources.
process.setSourceMapsEnabled(true);
await import(pathToFileURL(join(dir, 'cli.js')).href);
