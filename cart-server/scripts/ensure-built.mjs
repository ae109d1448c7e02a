// `npm start` runs this first (root "prestart"): on a fresh clone (`npm ci && npm start`) or after
// editing sources it runs the root `npm run build`; when every package's dist/ is newer than its
// src/ (and the storefront bundle is newer than sync-client/storefront/) it does nothing, so
// restarts stay instant.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const packages = ['crdt', 'cart-server', 'sync-client', 'simulations'];

function newest(dir, filter) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) t = Math.max(t, newest(p, filter));
    else if (filter(name)) t = Math.max(t, s.mtimeMs);
  }
  return t;
}

const stale = packages.filter((pkg) => {
  const src = join(root, pkg, 'src');
  if (!existsSync(src)) return false;
  const built = newest(join(root, pkg, 'dist'), (n) => n.endsWith('.js'));
  const source = newest(src, (n) => n.endsWith('.ts') && !n.endsWith('.test.ts'));
  return built === 0 || source > built;
});
// The storefront bundle (sync-client's build step) is what `/` serves: a fresh clone has none.
const storefrontSrc = join(root, 'sync-client/storefront');
const storefrontHtml = join(root, 'sync-client/storefront-dist/index.html');
if (existsSync(storefrontSrc)) {
  const builtAt = existsSync(storefrontHtml) ? statSync(storefrontHtml).mtimeMs : 0;
  if (builtAt === 0 || newest(storefrontSrc, () => true) > builtAt) stale.push('storefront');
}
const entry = join(root, 'cart-server/dist/bin/cart-server.js');
if (stale.length > 0 || !existsSync(entry)) {
  console.log(`building (${stale.length > 0 ? `stale: ${stale.join(', ')}` : 'no server build'})...`);
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
