// Fails when a package imports another workspace package that (directly or through others)
// imports it back, or when a file deep-imports another package's internals. File-level cycles
// inside a package are caught by Biome's `noImportCycles` rule.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packages = ['crdt', 'cart-server', 'sync-client', 'simulations'];
const deps = new Map();
const problems = [];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist') yield* files(path);
    } else if (/\.(ts|tsx|mjs|js)$/.test(name)) yield path;
  }
}

for (const pkg of packages) {
  const used = new Set();
  for (const file of files(pkg)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/from\s+['"](@cartwheel\/[^'"]+)['"]/g)) {
      const spec = m[1];
      const [, name, ...rest] = spec.split('/');
      if (rest.length > 0 && rest.join('/') !== 'testing') problems.push(`${file}: deep import ${spec}`);
      if (name !== pkg) used.add(name);
    }
  }
  deps.set(pkg, used);
}

function visit(pkg, path) {
  if (path.includes(pkg)) {
    problems.push(`package import cycle: ${[...path.slice(path.indexOf(pkg)), pkg].join(' -> ')}`);
    return;
  }
  for (const next of deps.get(pkg) ?? []) visit(next, [...path, pkg]);
}
for (const pkg of packages) visit(pkg, []);

if (problems.length > 0) {
  console.error([...new Set(problems)].join('\n'));
  process.exit(1);
}
console.log(`import check: ${packages.length} packages, no cycles, no deep imports`);
