/**
 * The contract every ReplicaStore must meet, as framework-free cases so the same suite runs
 * under vitest in Node (in memory, classic-level) and inside Chromium (IndexedDB). A case
 * throws on failure.
 */
import type { ReplicaStore } from './replica-store.js';

export interface ConformanceCase {
  readonly name: string;
  run(): Promise<void>;
}

/** Returns a fresh, unopened store each call; `reopen` returns a new instance on the same data. */
export interface StoreFactory {
  create(): ReplicaStore | Promise<ReplicaStore>;
  reopen?(previous: ReplicaStore): ReplicaStore | Promise<ReplicaStore>;
}

function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`conformance: ${message}`);
}

/** Byte arrays (Buffer included: it is a Uint8Array) compared by content. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

function same(a: unknown, b: unknown, message: string): void {
  const ja = JSON.stringify(plain(a));
  const jb = JSON.stringify(plain(b));
  check(ja === jb, `${message}: ${ja} !== ${jb}`);
}

async function rejectsWith(
  p: () => Promise<unknown>,
  test: (e: unknown) => boolean,
  message: string,
): Promise<void> {
  try {
    await p();
  } catch (error) {
    check(test(error), `${message}: wrong error ${String(error)}`);
    return;
  }
  check(false, `${message}: did not throw`);
}

const bytes = (...v: number[]): Uint8Array => new Uint8Array(v);

export function replicaStoreConformance(factory: StoreFactory): ConformanceCase[] {
  const withStore = (name: string, body: (s: ReplicaStore) => Promise<void>): ConformanceCase => ({
    name,
    async run() {
      const store = await factory.create();
      await store.open();
      try {
        await body(store);
      } finally {
        await store.close().catch(() => {});
      }
    },
  });

  const cases: ConformanceCase[] = [
    withStore('an unknown replica loads empty', async (s) => {
      same(
        await s.load('cart-a'),
        { meta: undefined, snapshot: undefined, log: [], pending: [], lastSeq: 0 },
        'empty',
      );
    }),
    withStore('meta round-trips and is replaced', async (s) => {
      await s.putMeta('cart-a', { actor: 'actor-1', token: 't1' });
      same((await s.load('cart-a')).meta, { actor: 'actor-1', token: 't1' }, 'meta');
      await s.putMeta('cart-a', { actor: 'actor-2' });
      same((await s.load('cart-a')).meta, { actor: 'actor-2' }, 'replaced meta');
      // a device whose self-chosen actor another user claimed first: no token, the old actor listed
      await s.putMeta('cart-a', { actor: 'actor-3', replaced: ['actor-2'] });
      same((await s.load('cart-a')).meta, { actor: 'actor-3', replaced: ['actor-2'] }, 'meta with replaced');
      await s.putMeta('cart-a', { actor: 'actor-4', token: 't4', moving: 'actor-3' });
      same(
        (await s.load('cart-a')).meta,
        { actor: 'actor-4', token: 't4', moving: 'actor-3' },
        'meta with moving',
      );
    }),
    withStore('log entries come back in seq order with pending marks for local ones', async (s) => {
      // 16 and 2 sort wrongly as text; the store must order numerically.
      await s.append('c', { seq: 16, delta: bytes(16), local: true });
      await s.append('c', { seq: 2, delta: bytes(2, 2), local: false });
      await s.append('c', { seq: 3, delta: bytes(), local: true });
      const r = await s.load('c');
      same(
        r.log,
        [
          { seq: 2, local: false, delta: bytes(2, 2) },
          { seq: 3, local: true, delta: bytes() },
          { seq: 16, local: true, delta: bytes(16) },
        ],
        'log',
      );
      same(r.pending, [3, 16], 'pending');
      check(r.lastSeq >= 3, 'lastSeq tracks appends');
    }),
    withStore('acknowledge drops pending marks only', async (s) => {
      for (let seq = 1; seq <= 4; seq++) await s.append('c', { seq, delta: bytes(seq), local: true });
      await s.acknowledge('c', [1, 3, 99]);
      const r = await s.load('c');
      same(r.pending, [2, 4], 'pending after ack');
      same(
        r.log.map((e) => e.seq),
        [1, 2, 3, 4],
        'log untouched by ack',
      );
    }),
    withStore('compact replaces the snapshot and folds the log but keeps pending and lastSeq', async (s) => {
      for (let seq = 1; seq <= 5; seq++)
        await s.append('c', { seq, delta: bytes(seq), local: seq % 2 === 1 });
      await s.compact('c', bytes(9, 9, 9), 3);
      const r = await s.load('c');
      same(r.snapshot, bytes(9, 9, 9), 'snapshot');
      same(
        r.log.map((e) => e.seq),
        [4, 5],
        'log after compaction',
      );
      same(r.pending, [1, 3, 5], 'pending survives compaction');
      check(r.lastSeq === 5, `lastSeq survives compaction (${r.lastSeq})`);
      await s.compact('c', bytes(8), 5);
      const r2 = await s.load('c');
      same(r2.snapshot, bytes(8), 'second snapshot');
      same(r2.log, [], 'empty log');
      check(r2.lastSeq === 5, 'lastSeq after full compaction');
    }),
    withStore('replicas are isolated, even with prefix-sharing keys', async (s) => {
      await s.append('cart', { seq: 1, delta: bytes(1), local: true });
      await s.append('cart2', { seq: 7, delta: bytes(7), local: true });
      await s.append('cart/x', { seq: 8, delta: bytes(8), local: false });
      await s.putMeta('cart2', { actor: 'b' });
      same(
        (await s.load('cart')).log.map((e) => e.seq),
        [1],
        'cart log',
      );
      check((await s.load('cart')).meta === undefined, 'cart meta stays empty');
      await s.clear('cart');
      same((await s.load('cart')).log, [], 'cleared');
      same(
        (await s.load('cart2')).log.map((e) => e.seq),
        [7],
        'clear leaves others',
      );
      same(
        (await s.load('cart/x')).log.map((e) => e.seq),
        [8],
        'clear leaves nested',
      );
    }),
    withStore('bad arguments are TypeErrors', async (s) => {
      await rejectsWith(
        () => s.load('bad!key'),
        (e) => e instanceof TypeError,
        'key with separator',
      );
      await rejectsWith(
        () => s.load(''),
        (e) => e instanceof TypeError,
        'empty key',
      );
      await rejectsWith(
        () => s.append('c', { seq: -1, delta: bytes(), local: true }),
        (e) => e instanceof TypeError,
        'negative seq',
      );
    }),
    {
      name: 'a closed store rejects with SYNC_STORE_CLOSED',
      async run() {
        const s = await factory.create();
        await s.open();
        await s.close();
        await rejectsWith(
          () => s.load('c'),
          (e) => (e as { code?: unknown }).code === 'SYNC_STORE_CLOSED',
          'closed',
        );
      },
    },
    {
      name: 'a large delta survives a round trip byte for byte',
      async run() {
        const s = await factory.create();
        await s.open();
        const big = new Uint8Array(256 * 1024);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        await s.append('c', { seq: 1, delta: big, local: true });
        const r = await s.load('c');
        same(r.log[0]?.delta.length, big.length, 'length');
        check(
          r.log[0]!.delta.every((v, i) => v === big[i]),
          'bytes',
        );
        await s.close();
      },
    },
  ];
  const reopen = factory.reopen;
  if (reopen !== undefined) {
    cases.push({
      name: 'everything survives close and reopen',
      async run() {
        const s = await factory.create();
        await s.open();
        await s.putMeta('c', { actor: 'a', token: 't' });
        await s.append('c', { seq: 1, delta: bytes(1), local: true });
        await s.append('c', { seq: 2, delta: bytes(2), local: false });
        await s.compact('c', bytes(5), 1);
        await s.close();
        const s2 = await reopen(s);
        await s2.open();
        same(
          await s2.load('c'),
          {
            meta: { actor: 'a', token: 't' },
            snapshot: bytes(5),
            log: [{ seq: 2, local: false, delta: bytes(2) }],
            pending: [1],
            lastSeq: 2,
          },
          'reopened',
        );
        await s2.close();
      },
    });
  }
  return cases;
}
