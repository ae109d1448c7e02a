/**
 * Client-chosen actors (issue 15, offline-first from the first start): a device claims the actor
 * it minted with offline; first claim wins, concurrent claims of one actor by several users on a
 * node grant it exactly once, and a device token only ever carries its own claimed actor.
 */
import { randomUUID } from 'node:crypto';
import { Cart, encodeCartDelta } from '@cartwheel/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CartServerNode, loadConfig, startCartServer } from '../src/index.js';
import { freePort } from './support/redis.js';
import { api, removeTempDirs, TEST_SECRET, tempDataDir, token } from './support/server-process.js';

let node: CartServerNode;

beforeAll(async () => {
  const argv = ['--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', tempDataDir()];
  argv.push('--log-level', 'warn', '--platform', 'off');
  node = await startCartServer(loadConfig({ argv, env: { JWT_SECRET: TEST_SECRET } }));
});

afterAll(async () => {
  await node.close();
  removeTempDirs();
});

describe('POST /v1/devices {actor}: client-chosen actors', () => {
  it('grants a contested actor to exactly one of many concurrent claimers', async () => {
    const actor = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) =>
        api(node.url, await token(`claimer-${i}`))('POST', '/v1/devices', { actor }),
      ),
    );
    const won = answers.filter((a) => a.status === 201);
    expect(won).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a).toMatchObject({ status: 409, json: { error: { code: 'ACTOR_CONFLICT' } } });
    }
  });

  it("syncs a device's offline work minted before its claim, under its own actor only", async () => {
    const actor = randomUUID();
    const offline = Cart.create({ actor });
    offline.add('p-1', 2, { title: 'Mug' });
    const claim = await api(node.url, await token('frank'))('POST', '/v1/devices', { actor });
    expect(claim.status).toBe(201);
    const device = claim.json as { actor: string; token: string };
    const merged = await api(node.url, device.token)('POST', '/v1/carts/main/merge', {
      delta: Buffer.from(encodeCartDelta(offline.state())).toString('base64'),
    });
    expect(merged.status).toBe(200);
    expect((merged.json as { lines: unknown[] }).lines).toEqual([
      { productId: 'p-1', quantity: 2, meta: { title: 'Mug' } },
    ]);
    // another actor's dots in the same delta are still refused
    const forged = Cart.create({ actor: randomUUID() });
    const res = await api(node.url, device.token)('POST', '/v1/carts/main/merge', {
      delta: Buffer.from(encodeCartDelta(forged.add('p-2', 1))).toString('base64'),
    });
    expect(res).toMatchObject({ status: 403, json: { error: { code: 'FORBIDDEN_DOTS' } } });
  });
});
