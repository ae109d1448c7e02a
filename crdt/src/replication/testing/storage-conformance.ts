/**
 * The Storage conformance suite: every Storage implementation (in-memory here, LevelDB in the
 * cart server, a simulated one in the simulator) runs it. Call inside a vitest file:
 *   storageConformance('memory', () => new MemoryStorage());
 */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../interfaces.js';

const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

async function collect(s: Storage, ns: string, p: number): Promise<[string, number[]][]> {
  const out: [string, number[]][] = [];
  for await (const [k, v] of s.entries(ns, p)) out.push([k, [...v]]);
  return out;
}

export function storageConformance(
  name: string,
  makeStorage: () => Storage | Promise<Storage>,
  cleanup?: (s: Storage) => void | Promise<void>,
): void {
  describe(`Storage conformance: ${name}`, () => {
    const withStorage = (fn: (s: Storage) => Promise<void>) => async () => {
      const s = await makeStorage();
      try {
        await fn(s);
      } finally {
        await cleanup?.(s);
      }
    };

    it(
      'get of a missing key is undefined',
      withStorage(async (s) => {
        expect(await s.get('data', 0, 'nope')).toBeUndefined();
      }),
    );

    it(
      'put then get returns the same bytes; put overwrites',
      withStorage(async (s) => {
        await s.put('data', 3, 'k', bytes(1, 2, 3));
        expect([...((await s.get('data', 3, 'k')) ?? [])]).toEqual([1, 2, 3]);
        await s.put('data', 3, 'k', bytes(9));
        expect([...((await s.get('data', 3, 'k')) ?? [])]).toEqual([9]);
      }),
    );

    it(
      'stores empty and large values and odd keys',
      withStorage(async (s) => {
        const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
        const keys = ['', 'user/cart', 'ü-ß-😀', 'a:b', ' spaced key '];
        await s.put('data', 1, 'empty', new Uint8Array(0));
        await s.put('data', 1, 'big', big);
        for (const k of keys) await s.put('data', 1, `k${k}`, bytes(k.length));
        expect((await s.get('data', 1, 'empty'))?.length).toBe(0);
        const got = await s.get('data', 1, 'big');
        expect(got?.length).toBe(big.length);
        expect(got?.every((v, i) => v === big[i])).toBe(true);
        for (const k of keys) expect([...((await s.get('data', 1, `k${k}`)) ?? [])]).toEqual([k.length]);
      }),
    );

    it(
      'a stored value does not change when the caller mutates its buffer',
      withStorage(async (s) => {
        const v = bytes(1, 2, 3);
        await s.put('data', 0, 'k', v);
        v[0] = 42;
        const got = await s.get('data', 0, 'k');
        expect(got?.[0]).toBe(1);
        if (got !== undefined) got[1] = 42;
        expect((await s.get('data', 0, 'k'))?.[1]).toBe(2);
      }),
    );

    it(
      'delete removes a key; deleting a missing key is fine',
      withStorage(async (s) => {
        await s.put('data', 2, 'k', bytes(1));
        await s.delete('data', 2, 'k');
        await s.delete('data', 2, 'never-there');
        expect(await s.get('data', 2, 'k')).toBeUndefined();
      }),
    );

    it(
      'namespaces and partitions are isolated',
      withStorage(async (s) => {
        await s.put('data', 1, 'k', bytes(1));
        await s.put('data', 2, 'k', bytes(2));
        await s.put('meta', 1, 'k', bytes(3));
        expect([...((await s.get('data', 1, 'k')) ?? [])]).toEqual([1]);
        expect([...((await s.get('data', 2, 'k')) ?? [])]).toEqual([2]);
        expect([...((await s.get('meta', 1, 'k')) ?? [])]).toEqual([3]);
        expect(await collect(s, 'data', 1)).toEqual([['k', [1]]]);
        expect(await s.get('data', 10, 'k')).toBeUndefined();
      }),
    );

    it(
      'entries come in ascending key order, only from the asked partition',
      withStorage(async (s) => {
        const keys = ['b', 'a/b', 'a', 'ab', 'a0', 'B', 'zz', 'a/'];
        for (const [i, k] of keys.entries()) await s.put('data', 5, k, bytes(i));
        await s.put('data', 6, 'other', bytes(0));
        await s.put('data', 50, 'a1', bytes(0));
        const got = (await collect(s, 'data', 5)).map(([k]) => k);
        expect(got).toEqual([...keys].sort());
        expect(await collect(s, 'data', 7)).toEqual([]);
      }),
    );

    it(
      'partitions lists the partitions that hold keys',
      withStorage(async (s) => {
        expect(await s.partitions('data')).toEqual([]);
        await s.put('data', 9, 'x', bytes(1));
        await s.put('data', 2, 'x', bytes(1));
        await s.put('data', 100, 'x', bytes(1));
        await s.put('hints', 4, 'x', bytes(1));
        expect(await s.partitions('data')).toEqual([2, 9, 100]);
        await s.delete('data', 9, 'x');
        expect(await s.partitions('data')).toEqual([2, 100]);
        expect(await s.partitions('hints')).toEqual([4]);
      }),
    );

    it(
      'batch applies puts and deletes',
      withStorage(async (s) => {
        await s.put('data', 0, 'gone', bytes(1));
        await s.batch([
          { type: 'put', ns: 'data', partition: 0, key: 'a', value: bytes(1) },
          { type: 'put', ns: 'meta', partition: 3, key: 'b', value: bytes(2) },
          { type: 'delete', ns: 'data', partition: 0, key: 'gone' },
        ]);
        expect([...((await s.get('data', 0, 'a')) ?? [])]).toEqual([1]);
        expect([...((await s.get('meta', 3, 'b')) ?? [])]).toEqual([2]);
        expect(await s.get('data', 0, 'gone')).toBeUndefined();
      }),
    );

    it(
      'many keys round-trip through entries',
      withStorage(async (s) => {
        const n = 500;
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            s.put('data', 8, `key-${String(i).padStart(4, '0')}`, bytes(i % 256)),
          ),
        );
        const got = await collect(s, 'data', 8);
        expect(got.length).toBe(n);
        expect(got[0]).toEqual(['key-0000', [0]]);
        expect(got[n - 1]).toEqual([`key-0${n - 1}`, [(n - 1) % 256]]);
      }),
    );
  });
}
