/** The behaviour every ProductCache must show (LRU, Redis, tiered). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProductCache } from '../../src/catalog/cache/product-cache.js';
import { waitFor } from './helpers.js';

export interface CacheFixture {
  readonly cache: ProductCache;
  /** Builds another cache over the same backend (a second node), or undefined if in-process. */
  readonly peer?: () => Promise<ProductCache>;
  readonly cleanup: () => Promise<void>;
}

/** `open(ttlMs)` builds a cache with that TTL. */
export function productCacheConformance(
  name: string,
  open: (ttlMs: number) => Promise<CacheFixture>,
  options: { shared: boolean },
): void {
  describe(`ProductCache conformance: ${name}`, () => {
    let f: CacheFixture;
    beforeEach(async () => {
      f = await open(60_000);
    });
    afterEach(async () => {
      await f.cache.close();
      await f.cleanup();
    });

    it('misses, then hits what was set, counting both', async () => {
      expect(await f.cache.get('a')).toBeUndefined();
      await f.cache.set('a', '{"id":"a"}');
      expect(await f.cache.get('a')).toBe('{"id":"a"}');
      const s = f.cache.stats();
      expect(s.hits).toBeGreaterThanOrEqual(1);
      expect(s.misses).toBeGreaterThanOrEqual(1);
      expect(f.cache.available()).toBe(true);
    });

    it('invalidates on delete and overwrites on set', async () => {
      await f.cache.set('b', 'v1');
      await f.cache.set('b', 'v2');
      expect(await f.cache.get('b')).toBe('v2');
      await f.cache.delete('b');
      expect(await f.cache.get('b')).toBeUndefined();
      await f.cache.delete('never-there');
    });

    it('preloads many entries at once', async () => {
      const entries = Array.from({ length: 1200 }, (_, i) => [`k${i}`, `v${i}`] as const);
      await f.cache.setMany(entries);
      expect(await f.cache.get('k0')).toBe('v0');
      expect(await f.cache.get('k1199')).toBe('v1199');
    });

    // Only shared backends have peers; in-process caches do not register this case at all.
    const sharedIt = options.shared ? it : undefined;
    sharedIt?.('a delete on one node is seen by a peer sharing the backend', async () => {
      expect(f.peer).toBeDefined();
      const peer = await f.peer!();
      try {
        await f.cache.set('shared', 'old');
        expect(await peer.get('shared')).toBe('old');
        await f.cache.delete('shared');
        await waitFor(async () => (await peer.get('shared')) === undefined, 10_000, 'peer invalidation');
      } finally {
        await peer.close();
      }
    });

    it('expires entries after the TTL', async () => {
      const short = await open(150);
      try {
        await short.cache.set('t', 'x');
        expect(await short.cache.get('t')).toBe('x');
        await waitFor(async () => (await short.cache.get('t')) === undefined, 10_000, 'TTL expiry');
      } finally {
        await short.cache.close();
        await short.cleanup();
      }
    });
  });
}
