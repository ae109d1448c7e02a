/**
 * The one suite every OrderLog backend runs (the abstract-level pattern: one interface, one
 * shared test file, many backends). `harness.open(partitions)` returns a fresh, empty log;
 * `harness.reopen(log)` closes it and opens the same storage again.
 */
import { describe, expect, it } from 'vitest';
import type { LogRecord, OrderLog } from './order-log.js';

export interface OrderLogHarness {
  open(partitions: number): Promise<OrderLog>;
  reopen(log: OrderLog): Promise<OrderLog>;
}

const collect = async (
  log: OrderLog,
  from: Map<number, number>,
  count: number,
  partitions?: number[],
): Promise<LogRecord[]> => {
  const consumer = await log.openConsumer(
    partitions === undefined ? { group: 'g', consumer: 'c1' } : { group: 'g', consumer: 'c1', partitions },
  );
  const out: LogRecord[] = [];
  const next = new Map(from);
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    const records = await consumer.poll(next, { maxRecords: 50, blockMs: 50 });
    for (const r of records) {
      out.push(r);
      next.set(r.partition, r.offset + 1);
    }
  }
  await consumer.close();
  return out;
};

export function describeOrderLogConformance(name: string, harness: OrderLogHarness): void {
  describe(`OrderLog conformance: ${name}`, () => {
    it('routes a key to one stable partition in range', async () => {
      const log = await harness.open(8);
      try {
        for (const key of ['a', 'product-1', 'ord_x', 'ü']) {
          const p = log.partitionFor(key);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThan(8);
          expect(log.partitionFor(key)).toBe(p);
          const res = await log.append({ key, value: key });
          expect(res.partition).toBe(p);
        }
        const spread = new Set(Array.from({ length: 200 }, (_, i) => log.partitionFor(`p${i}`)));
        expect(spread.size).toBe(8);
      } finally {
        await log.close();
      }
    });

    it('assigns dense offsets per partition from 0 and reads them back in order', async () => {
      const log = await harness.open(4);
      try {
        const results = [];
        for (let i = 0; i < 20; i++) results.push(await log.append({ key: 'same', value: `v${i}` }));
        expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        const p = log.partitionFor('same');
        const page = await log.read(p, 5, 3);
        expect(page.map((r) => [r.offset, r.value, r.key])).toEqual([
          [5, 'v5', 'same'],
          [6, 'v6', 'same'],
          [7, 'v7', 'same'],
        ]);
        expect(await log.read(p, 20, 10)).toEqual([]);
        const ends = await log.endOffsets();
        expect(ends[p]).toBe(20);
        expect(ends.reduce((a, b) => a + b, 0)).toBe(20);
      } finally {
        await log.close();
      }
    });

    it('gives concurrent appends distinct consecutive offsets', async () => {
      const log = await harness.open(2);
      try {
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => log.append({ key: `k${i % 7}`, value: String(i) })),
        );
        for (let p = 0; p < 2; p++) {
          const offsets = results
            .filter((r) => r.partition === p)
            .map((r) => r.offset)
            .sort((a, b) => a - b);
          expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i));
        }
        const all = [...(await log.read(0, 0, 500)), ...(await log.read(1, 0, 500))];
        expect(all.map((r) => Number(r.value)).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 200 }, (_, i) => i),
        );
      } finally {
        await log.close();
      }
    });

    it('appends a dedupe id at most once, even concurrently, and finds it', async () => {
      const log = await harness.open(4);
      try {
        const first = await log.append({ key: 'ord_1', value: 'one', dedupeId: 'ord_1' });
        expect(first.duplicate).toBe(false);
        const again = await log.append({ key: 'ord_1', value: 'other', dedupeId: 'ord_1' });
        expect(again).toEqual({ partition: first.partition, offset: first.offset, duplicate: true });
        const racing = await Promise.all(
          Array.from({ length: 10 }, () => log.append({ key: 'ord_2', value: 'two', dedupeId: 'ord_2' })),
        );
        expect(racing.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(racing.map((r) => `${r.partition}:${r.offset}`)).size).toBe(1);
        const ends = await log.endOffsets();
        expect(ends.reduce((a, b) => a + b, 0)).toBe(2);
        expect(await log.find('ord_1', 'ord_1')).toEqual({
          partition: first.partition,
          offset: first.offset,
        });
        expect(await log.find('ord_3', 'ord_3')).toBeUndefined();
        const [record] = await log.read(first.partition, first.offset, 1);
        expect(record?.value).toBe('one');
        expect(record?.dedupeId).toBe('ord_1');
      } finally {
        await log.close();
      }
    });

    it('keeps records, offsets and dedupe ids across reopen', async () => {
      let log = await harness.open(2);
      try {
        for (let i = 0; i < 5; i++) await log.append({ key: 'x', value: `v${i}`, dedupeId: `id${i}` });
        log = await harness.reopen(log);
        const p = log.partitionFor('x');
        expect((await log.endOffsets())[p]).toBe(5);
        const dup = await log.append({ key: 'x', value: 'again', dedupeId: 'id3' });
        expect(dup).toEqual({ partition: p, offset: 3, duplicate: true });
        const next = await log.append({ key: 'x', value: 'v5' });
        expect(next.offset).toBe(5);
        expect((await log.read(p, 0, 10)).map((r) => r.value)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
      } finally {
        await log.close();
      }
    });

    it('delivers records to a consumer from the offsets it asks for, and replays on seek', async () => {
      const log = await harness.open(3);
      try {
        for (let i = 0; i < 30; i++) await log.append({ key: `k${i}`, value: String(i) });
        const all = await collect(log, new Map(), 30);
        expect(all.map((r) => Number(r.value)).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 30 }, (_, i) => i),
        );
        for (let p = 0; p < 3; p++) {
          const offsets = all.filter((r) => r.partition === p).map((r) => r.offset);
          expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i));
        }
        // Replay from the middle of partition 0 (after a crash the processor seeks back).
        const p0 = all.filter((r) => r.partition === 0);
        const from = new Map([
          [0, 1],
          [1, all.filter((r) => r.partition === 1).length],
          [2, all.filter((r) => r.partition === 2).length],
        ]);
        const replay = await collect(log, from, p0.length - 1);
        expect(replay.map((r) => r.offset)).toEqual(p0.slice(1).map((r) => r.offset));
      } finally {
        await log.close();
      }
    });

    it('wakes a blocked poll when a record is appended, and reads only assigned partitions', async () => {
      const log = await harness.open(4);
      try {
        const key = 'wake';
        const p = log.partitionFor(key);
        const other = (p + 1) % 4;
        const otherKey = Array.from({ length: 100 }, (_, i) => `o${i}`).find(
          (k) => log.partitionFor(k) === other,
        )!;
        const consumer = await log.openConsumer({ group: 'g2', consumer: 'c', partitions: [p] });
        const started = Date.now();
        const polled = consumer.poll(new Map([[p, 0]]), { maxRecords: 10, blockMs: 30_000 });
        await new Promise((r) => setTimeout(r, 50));
        await log.append({ key: otherKey, value: 'not mine' });
        await log.append({ key, value: 'mine' });
        let records = await polled;
        if (records.length === 0)
          records = await consumer.poll(new Map([[p, 0]]), { maxRecords: 10, blockMs: 2_000 });
        // Woken by the append, long before blockMs (generous bound for a loaded machine).
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(records.map((r) => r.value)).toEqual(['mine']);
        await consumer.close();
      } finally {
        await log.close();
      }
    });

    it('reports committed offsets per group for lag', async () => {
      const log = await harness.open(2);
      try {
        for (let i = 0; i < 10; i++) await log.append({ key: `k${i}`, value: String(i) });
        expect(await log.committedOffsets('g3')).toEqual([0, 0]);
        const consumer = await log.openConsumer({ group: 'g3', consumer: 'c' });
        const next = new Map([
          [0, 0],
          [1, 0],
        ]);
        const records = await consumer.poll(next, { maxRecords: 100, blockMs: 100 });
        for (const r of records) next.set(r.partition, r.offset + 1);
        await consumer.commit(next);
        const ends = await log.endOffsets();
        expect(await log.committedOffsets('g3')).toEqual([next.get(0), next.get(1)]);
        expect(ends[0]! + ends[1]!).toBe(10);
        await consumer.close();
      } finally {
        await log.close();
      }
    });

    it('rejects misuse with TypeError and oversized records with a typed error', async () => {
      const log = await harness.open(2);
      try {
        await expect(async () => log.append({ key: '', value: 'x' })).rejects.toBeInstanceOf(TypeError);
        await expect(async () =>
          log.append({ key: 'k', value: 'x', dedupeId: 'bad id!' }),
        ).rejects.toBeInstanceOf(TypeError);
        await expect(log.read(2, 0, 1)).rejects.toBeInstanceOf(TypeError);
        await expect(log.read(0, -1, 1)).rejects.toBeInstanceOf(TypeError);
        await expect(log.append({ key: 'k', value: 'x'.repeat(70_000) })).rejects.toMatchObject({
          code: 'LOG_RECORD_TOO_LARGE',
        });
      } finally {
        await log.close();
      }
    });
  });
}
