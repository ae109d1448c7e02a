import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelStorage } from '../src/storage/level-storage.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cartwheel-level-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

async function collect(s: LevelStorage, ns: string, p: number): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const [k, v] of s.entries(ns, p)) out.push([k, text(v) ?? '']);
  return out;
}

describe('LevelStorage', () => {
  it('keeps namespaces and partitions apart and lists partitions', async () => {
    const s = await LevelStorage.open({ location: tempDir() });
    await s.put('data', 3, 'a', bytes('1'));
    await s.put('data', 300, 'a', bytes('2'));
    await s.put('data', 0xffff_ffff, 'z', bytes('3'));
    await s.put('dat', 3, 'a', bytes('other ns'));
    await s.put('hints', 7, 'a', bytes('4'));
    expect(text(await s.get('data', 3, 'a'))).toBe('1');
    expect(text(await s.get('data', 300, 'a'))).toBe('2');
    expect(text(await s.get('dat', 3, 'a'))).toBe('other ns');
    expect(await s.get('data', 4, 'a')).toBeUndefined();
    expect(await s.partitions('data')).toEqual([3, 300, 0xffff_ffff]);
    expect(await s.partitions('hints')).toEqual([7]);
    expect(await s.partitions('nothing')).toEqual([]);
    await s.delete('data', 300, 'a');
    expect(await s.partitions('data')).toEqual([3, 0xffff_ffff]);
    await s.close();
  });

  it('iterates a partition in JavaScript string order, astral characters included', async () => {
    const s = await LevelStorage.open({ location: tempDir() });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 20 }),
        async (keys) => {
          const p = run++;
          await s.batch(
            keys.map((key) => ({ type: 'put', ns: 'prop', partition: p, key, value: bytes(key) })),
          );
          const listed = await collect(s, 'prop', p);
          expect(listed.map(([k]) => k)).toEqual([...keys].sort());
          for (const [k, v] of listed) expect(v).toBe(k);
          await s.batch(keys.map((key) => ({ type: 'delete', ns: 'prop', partition: p, key })));
          expect(await collect(s, 'prop', p)).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
    await s.close();
  });

  it('persists across close/reopen and groups concurrent writes into few batches', async () => {
    const dir = tempDir();
    const s = await LevelStorage.open({ location: dir, fsync: 'always' });
    const writes = Array.from({ length: 200 }, (_, i) => s.put('data', i % 8, `k${i}`, bytes(String(i))));
    await Promise.all(writes);
    expect(s.flushes).toBeLessThan(200);
    await s.close();
    await expect(s.get('data', 0, 'k0')).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    const again = await LevelStorage.open({ location: dir });
    expect(text(await again.get('data', 5, 'k5'))).toBe('5');
    expect((await collect(again, 'data', 1)).length).toBe(25);
    await again.close();
  });

  it('does not alias the caller buffer and rejects misuse with TypeError', async () => {
    const s = await LevelStorage.open({ location: tempDir(), fsync: 'never' });
    const value = bytes('before');
    const put = s.put('data', 1, 'k', value);
    value.set(bytes('AFTER!'));
    await put;
    expect(text(await s.get('data', 1, 'k'))).toBe('before');
    expect(() => s.put('', 1, 'k', value)).toThrow(TypeError);
    expect(() => s.put('a\0b', 1, 'k', value)).toThrow(TypeError);
    expect(() => s.put('data', -1, 'k', value)).toThrow(TypeError);
    expect(() => s.put('data', 1.5, 'k', value)).toThrow(TypeError);
    await s.close();
  });

  it('serves hot values from its read cache, never ahead of LevelDB, and survives reopen', async () => {
    const location = tempDir();
    const s = await LevelStorage.open({ location, cacheBytes: 1024 });
    await s.put('data', 1, 'k', bytes('v1'));
    const hits = s.cacheHits;
    const got = await s.get('data', 1, 'k');
    expect(text(got)).toBe('v1');
    expect(s.cacheHits).toBe(hits + 1);
    // Callers own their copy: mutating it does not change what the next reader sees.
    got?.fill(0);
    expect(text(await s.get('data', 1, 'k'))).toBe('v1');
    // Overwrites, batches and deletes go through the cache.
    await s.batch([
      { type: 'put', ns: 'data', partition: 1, key: 'k', value: bytes('v2') },
      { type: 'put', ns: 'data', partition: 1, key: 'j', value: bytes('w') },
    ]);
    expect(text(await s.get('data', 1, 'k'))).toBe('v2');
    await s.delete('data', 1, 'k');
    expect(await s.get('data', 1, 'k')).toBeUndefined();
    // Bounded: many values evict the oldest, which are then read from LevelDB again.
    for (let i = 0; i < 100; i++) await s.put('data', 2, `key-${i}`, bytes(`value-${i}`));
    for (let i = 0; i < 100; i++) expect(text(await s.get('data', 2, `key-${i}`))).toBe(`value-${i}`);
    await s.close();
    const reopened = await LevelStorage.open({ location });
    expect(text(await reopened.get('data', 1, 'j'))).toBe('w');
    expect(text(await reopened.get('data', 2, 'key-99'))).toBe('value-99');
    await reopened.close();
  });

  it('remembers keys LevelDB does not hold, and never hides a later write behind that', async () => {
    const s = await LevelStorage.open({ location: tempDir() });
    expect(await s.get('data', 3, 'new-cart')).toBeUndefined();
    const hits = s.cacheHits;
    expect(await s.get('data', 3, 'new-cart')).toBeUndefined();
    expect(s.cacheHits).toBe(hits + 1);
    await s.put('data', 3, 'new-cart', bytes('first'));
    expect(text(await s.get('data', 3, 'new-cart'))).toBe('first');
    await s.delete('data', 3, 'new-cart');
    expect(await s.get('data', 3, 'new-cart')).toBeUndefined();
    await s.close();
  });

  it('a concurrent read or delete never leaves a stale value or a stale absence in the cache', async () => {
    const s = await LevelStorage.open({ location: tempDir() });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.nat(9), fc.constant(-1)), { minLength: 1, maxLength: 20 }),
        async (values) => {
          // Reads, writes and deletes (-1) of a fresh key interleaved; afterwards a read returns
          // what the last write or delete left.
          const key = `k${run++}`;
          await Promise.all(
            values.map((v, i) =>
              i % 2 === 1
                ? s.get('race', 0, key).then(() => undefined)
                : v < 0
                  ? s.delete('race', 0, key)
                  : s.put('race', 0, key, bytes(String(v))),
            ),
          );
          const last = values.filter((_, i) => i % 2 === 0).at(-1);
          const got = await s.get('race', 0, key);
          expect(last === undefined || last < 0 ? got : text(got)).toBe(
            last === undefined || last < 0 ? undefined : String(last),
          );
        },
      ),
      { numRuns: 60 },
    );
    await s.close();
  });

  it('a concurrent read never leaves a stale value in the cache', async () => {
    const s = await LevelStorage.open({ location: tempDir() });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(9), { minLength: 1, maxLength: 20 }), async (values) => {
        // Reads and writes of one key interleaved; afterwards a read returns the last write.
        await Promise.all(
          values.map((v, i) =>
            i % 2 === 0
              ? s.put('race', 0, 'k', bytes(String(v)))
              : s.get('race', 0, 'k').then(() => undefined),
          ),
        );
        const last = values.filter((_, i) => i % 2 === 0).at(-1);
        expect(text(await s.get('race', 0, 'k'))).toBe(String(last));
      }),
      { numRuns: 30 },
    );
    await s.close();
  });
});
