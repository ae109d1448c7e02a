/**
 * CartService on a real in-process node (LevelDB, replication core with members [self]).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cart, cartToJSON } from '@cartwheel/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/tokens.js';
import { cartKey, coalesce } from '../src/carts/cart-service.js';
import { loadConfig } from '../src/config/config.js';
import { type CartServerNode, startCartServer } from '../src/node.js';
import { LevelStorage } from '../src/storage/level-storage.js';

let dir: string;
let node: CartServerNode;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cw-cart-service-'));
  const config = loadConfig({
    argv: ['--port', '0', '--data-dir', dir, '--log-level', 'silent', '--request-timeout-ms', '30000'],
    env: {},
    cwd: dir,
  });
  node = await startCartServer(config);
});

afterAll(async () => {
  await node?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('coalesce', () => {
  it('merges adjacent and overlapping dot ranges after sorting', () => {
    expect(
      coalesce([
        [5, 5],
        [1, 1],
        [2, 2],
        [3, 4],
        [4, 4],
        [9, 9],
      ]),
    ).toEqual([
      [1, 5],
      [9, 9],
    ]);
    expect(coalesce([])).toEqual([]);
  });
});

describe('CartService.removePurchased', () => {
  it('empties a purchased line that holds several adjacent dots and keeps the rest', async () => {
    const carts = node.carts;
    await carts.apply('alice', 'main', { type: 'add', productId: 'sku-1', quantity: 1 });
    await carts.apply('alice', 'main', { type: 'add', productId: 'sku-1', quantity: 2 });
    await carts.apply('alice', 'main', {
      type: 'add',
      productId: 'sku-1',
      quantity: 1,
      meta: { priceMinor: 1299, currency: 'EUR' },
    });
    await carts.apply('alice', 'main', { type: 'add', productId: 'sku-2', quantity: 1 });
    const before = cartToJSON(await carts.read('alice', 'main'));
    // The case this test is about: one line, several dots of one actor with adjacent counters.
    const entries = before.lines['sku-1'] ?? [];
    expect(entries.length).toBeGreaterThan(1);
    const counters = entries.map((e) => e.counter).sort((a, b) => a - b);
    expect(counters.some((c, i) => i > 0 && c === (counters[i - 1] ?? 0) + 1)).toBe(true);

    const snap = await carts.snapshot('alice', 'main');
    const bought = { lines: snap.lines.filter((l) => l.productId === 'sku-1'), context: snap.context };
    await carts.removePurchased('alice', 'main', bought);
    const after = Cart.fromState(await carts.read('alice', 'main'));
    expect(after.get('sku-1')).toBeUndefined();
    expect(after.get('sku-2')?.quantity).toBe(1);
    // Idempotent: a retried call is the same delta.
    await carts.removePurchased('alice', 'main', bought);
    expect(
      Cart.fromState(await carts.read('alice', 'main'))
        .lines()
        .map((l) => l.productId),
    ).toEqual(['sku-2']);
  });
});

describe('CartService.onAdd', () => {
  it('reports every acknowledged add (the popularity signal), and nothing after unsubscribe', async () => {
    const seen: Array<[string, number]> = [];
    const stop = node.carts.onAdd((productId, quantity) => seen.push([productId, quantity]));
    await node.carts.apply('carol', 'main', { type: 'add', productId: 'sku-9', quantity: 3 });
    await node.carts.apply('carol', 'main', { type: 'setQuantity', productId: 'sku-9', quantity: 1 });
    stop();
    await node.carts.apply('carol', 'main', { type: 'add', productId: 'sku-9', quantity: 1 });
    expect(seen).toEqual([['sku-9', 3]]);
  });
});

describe('a cart whose stored state no longer decodes', () => {
  it('answers CART_UNREADABLE (not QUORUM_NOT_MET) and counts and logs the decode failure', async () => {
    const own = await mkdtemp(join(tmpdir(), 'cw-unreadable-'));
    const config = loadConfig({
      argv: ['--port', '0', '--data-dir', own, '--log-level', 'silent', '--request-timeout-ms', '300'],
      env: {},
      cwd: own,
    });
    let n = await startCartServer(config);
    try {
      await n.carts.apply('dora', 'main', { type: 'add', productId: 'sku-1', quantity: 1 });
      const [entry] = n.replica.preferenceList(cartKey('dora', 'main'));
      await n.close();
      // What a replica holds after a state grew past a decoder limit (or after disk corruption).
      const storage = await LevelStorage.open({ location: join(own, 'n1') });
      await storage.put(
        'data',
        entry?.partition ?? 0,
        cartKey('dora', 'main'),
        new Uint8Array([0xff, 1, 2, 3]),
      );
      await storage.close();
      n = await startCartServer(config);
      await expect(n.carts.read('dora', 'main')).rejects.toMatchObject({
        code: 'CART_UNREADABLE',
        cause: { code: 'CRDT_DECODE_ERROR' },
      });
      const res = await fetch(`${n.url}/v1/carts/main`, {
        headers: {
          authorization: `Bearer ${await signToken(config.jwtSecret, { sub: 'dora', role: 'user' })}`,
        },
      });
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: 'CART_UNREADABLE' } });
      const metrics = await (await fetch(`${n.url}/metrics`)).text();
      expect(metrics).toMatch(
        /cartwheel_state_decode_failures_total\{[^}]*code="CRDT_DECODE_ERROR"[^}]*\} [1-9]/,
      );
      // Other carts are unaffected.
      await n.carts.apply('dora', 'other', { type: 'add', productId: 'sku-2', quantity: 1 });
      expect((await n.carts.read('dora', 'other')).size).toBe(1);
    } finally {
      await n.close();
      await rm(own, { recursive: true, force: true });
    }
  });
});
