#!/usr/bin/env node
/**
 * Do the packages install clean? Packs every workspace package (`npm pack`), installs the
 * tarballs into a fresh app OUTSIDE the repo, and there:
 *   1. imports every entry of every package in Node (exports map, ESM, declared dependencies);
 *   2. type-checks a consumer of every entry with `skipLibCheck: false`, once under
 *      `module/moduleResolution: node16` and once under `bundler` (the published .d.ts);
 *   3. bundles crdt + sync-client for the browser with esbuild (minified) and checks the gzip
 *      size against the budget — with no polyfill or alias from the app's side.
 * Run after `npm run build`. Exit code 1 with the failing step's output on any failure.
 *
 *   node scripts/check-packages.mjs [--keep]   (--keep leaves the app directory for inspection)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const WORKSPACES = ['crdt', 'cart-server', 'sync-client', 'simulations'];
/** The sync library's budget (issue 15): SyncClient + IndexedDB store, minified + gzip. */
const BUNDLE_BUDGET_BYTES = 30_000;
const keep = process.argv.includes('--keep');

const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const devVersion = (name) => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  return lock.packages[`node_modules/${name}`]?.version ?? rootPkg.devDependencies?.[name] ?? 'latest';
};

function step(title, fn) {
  const started = Date.now();
  process.stdout.write(`check-packages: ${title} … `);
  try {
    const result = fn();
    console.log(`ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    console.log('FAILED');
    const out = [err.stdout, err.stderr].filter(Boolean).map(String).join('\n');
    console.error(out || err.message);
    process.exit(1);
  }
}

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });

const app = mkdtempSync(join(tmpdir(), 'cartwheel-consumer-'));
const packs = join(app, 'packs');
mkdirSync(packs);

const manifests = WORKSPACES.map((dir) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')));
step(`pack ${manifests.map((m) => m.name).join(', ')}`, () => {
  for (const dir of WORKSPACES)
    run('npm', ['pack', '--silent', '--pack-destination', packs], join(ROOT, dir));
});
const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));

// Every export path of every package, as a consumer imports it.
const entries = manifests.flatMap((m) =>
  Object.keys(m.exports ?? { '.': {} }).map((sub) => (sub === '.' ? m.name : `${m.name}/${sub.slice(2)}`)),
);

writeFileSync(
  join(app, 'package.json'),
  JSON.stringify(
    {
      name: 'cartwheel-consumer',
      private: true,
      type: 'module',
      dependencies: Object.fromEntries(
        manifests.map((m) => [
          m.name,
          `file:${join(
            packs,
            tarballs.find((t) => t.startsWith(m.name.replace('@', '').replace('/', '-'))),
          )}`,
        ]),
      ),
      devDependencies: {
        // what a consumer of the testing entries and the typed API installs itself
        'fast-check': devVersion('fast-check'),
        vitest: devVersion('vitest'),
        typescript: devVersion('typescript'),
        esbuild: devVersion('esbuild'),
        '@types/node': devVersion('@types/node'),
        '@types/ws': devVersion('@types/ws'),
      },
    },
    null,
    2,
  ),
);
step('npm install the tarballs into a fresh app', () =>
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app),
);

writeFileSync(
  join(app, 'import-all.mjs'),
  `${entries.map((e, i) => `import * as m${i} from '${e}';`).join('\n')}\n` +
    `const loaded = [${entries.map((e, i) => `['${e}', Object.keys(m${i}).length]`).join(', ')}];\n` +
    `for (const [name, n] of loaded) if (n === 0) throw new Error(name + ' exports nothing');\n` +
    `console.log(loaded.map(([n, k]) => n + ' (' + k + ')').join(', '));\n`,
);
const imported = step(`import ${entries.length} entries in Node`, () =>
  run(process.execPath, ['import-all.mjs'], app),
);
console.log(`  ${imported.trim()}`);

step('run the bins (cartwheel-server --version, cartwheel-admin/-cluster --help, cartwheel-sim)', () => {
  const bin = (name) => join(app, 'node_modules/.bin', name);
  if (!run(bin('cartwheel-server'), ['--version'], app).includes('0.')) throw new Error('no version printed');
  run(bin('cartwheel-admin'), ['--help'], app);
  run(bin('cartwheel-cluster'), ['--help'], app);
  run(bin('cartwheel-sim'), ['--seeds', '1', '--duration', '1'], app);
});

writeFileSync(
  join(app, 'consumer.ts'),
  `${entries.map((e, i) => `import * as m${i} from '${e}';`).join('\n')}\n` +
    `export const all = [${entries.map((_, i) => `m${i}`).join(', ')}];\n`,
);
for (const resolution of ['node16', 'bundler']) {
  const tsconfig = {
    compilerOptions: {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: 'ES2022',
      module: resolution === 'node16' ? 'node16' : 'ESNext',
      moduleResolution: resolution,
      lib: ['ES2022', 'DOM'],
      types: ['node'],
    },
    files: ['consumer.ts'],
  };
  writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig, null, 2));
  step(`type-check a consumer (skipLibCheck: false, moduleResolution: ${resolution})`, () =>
    run(join(app, 'node_modules/.bin/tsc'), ['-p', `tsconfig.${resolution}.json`], app),
  );
}

writeFileSync(
  join(app, 'browser.ts'),
  "import { SyncClient, createBrowserReplicaStore } from '@cartwheel/sync-client';\n" +
    'export { SyncClient, createBrowserReplicaStore };\n',
);
const size = step('bundle crdt + sync-client for the browser (esbuild, minified)', () => {
  run(
    join(app, 'node_modules/.bin/esbuild'),
    ['browser.ts', '--bundle', '--minify', '--format=esm', '--platform=browser', '--outfile=out/browser.js'],
    app,
  );
  return gzipSync(readFileSync(join(app, 'out/browser.js')), { level: 9 }).length;
});
console.log(`  bundle: ${size} bytes gzip (budget ${BUNDLE_BUDGET_BYTES})`);
if (size > BUNDLE_BUDGET_BYTES) {
  console.error(`check-packages: the browser bundle is over budget by ${size - BUNDLE_BUDGET_BYTES} bytes`);
  process.exit(1);
}

if (keep) console.log(`check-packages: app kept at ${app}`);
else rmSync(app, { recursive: true, force: true });
console.log('check-packages: every package installs, imports, type-checks and bundles clean');
