/**
 * The cart-server README's quick-start block runs exactly as printed: extracted at test time and
 * run by bash against a real node (CARTWHEEL_URL names it, as the README says), with the secret
 * the node runs with; every curl must succeed (`-f`), and the node must then hold what it did.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  createServer,
  removeTempDirs,
  runToExit,
  type ServerProcess,
  TEST_SECRET,
  token,
  waitFor,
} from './support/server-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const readme = readFileSync(join(ROOT, 'cart-server/README.md'), 'utf8');
const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .find((b) => b.includes('CARTWHEEL_URL'));

let node: ServerProcess;
beforeAll(async () => {
  node = await createServer({ args: ['--fsync', 'never'] });
  await node.start();
}, 120_000);
afterAll(async () => {
  await node?.stop();
  removeTempDirs();
});

describe('cart-server README', () => {
  it('runs the quick-start block as printed: an add of a demo product, a read and a checkout', async () => {
    expect(block, 'the README has the quick-start block').toBeDefined();
    const { code, out } = await runToExit('bash', ['-euo', 'pipefail', '-c', block!], {
      cwd: ROOT,
      env: { CARTWHEEL_URL: node.url, JWT_SECRET: TEST_SECRET },
    });
    expect(code, out).toBe(0);
    expect(out).toContain('"productId":"p-0000001"');
    expect(out).toContain('"links":{"self":"/v1/orders/');
    const alice = api(node.url, await token('alice'));
    const self = /"self":"([^"]+)"/.exec(out)![1]!;
    const order = await waitFor(async () => {
      const r = (await alice('GET', self)).json as { status: string };
      return r.status === 'pending' ? undefined : r;
    }, 'the README order decided');
    expect(order.status).toBe('confirmed');
  });
});
