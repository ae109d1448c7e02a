/**
 * The README's `ts` examples run exactly as printed: each block is extracted from README.md at
 * test time, written to a module file unchanged and run by Node (`--conditions=@cartwheel/source --import
 * tsx`, as an app in this workspace would) against a real cart-server process, with the
 * environment the README's setup block exports. The process must exit 0 by itself (the example
 * closes the client) and the server must hold what the example did.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToExit } from '@cartwheel/cart-server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR } from '../scripts/bundle.js';
import { type CartServerProcess, startCartServer } from './support/cart-server-process.js';

const ROOT = join(PACKAGE_DIR, '..');
const readme = readFileSync(join(PACKAGE_DIR, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Under the workspace's node_modules, so the example's imports resolve as an app's would.
const WORK_DIR = join(ROOT, 'node_modules', '.cache', `cartwheel-readme-${process.pid}`);

let server: CartServerProcess;

beforeAll(async () => {
  server = await startCartServer();
  mkdirSync(WORK_DIR, { recursive: true });
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  rmSync(WORK_DIR, { recursive: true, force: true });
});

/** Runs an extracted example as an app in this workspace would (sources through tsx). */
const run = (file: string, env: Record<string, string>) =>
  runToExit(process.execPath, ['--conditions=@cartwheel/source', '--import', 'tsx', file], {
    cwd: ROOT,
    env,
  });

describe('sync-client README', () => {
  it('has one client example', () => {
    expect(blocks).toHaveLength(1);
  });

  it('the client example runs as printed against a real server, syncs, and exits by itself', async () => {
    const file = join(WORK_DIR, 'example-1.mts');
    writeFileSync(file, blocks[0]!);
    const user = 'readme-alice';
    const { code, out } = await run(file, {
      CARTWHEEL_URL: server.url,
      CARTWHEEL_TOKEN: server.userToken(user),
    });
    expect(code, out).toBe(0);
    expect(out).toContain("productId: 'p-0000001'");
    expect(await server.cartLines(user, 'default')).toEqual(['p-0000001×3']);
  }, 90_000);
});
