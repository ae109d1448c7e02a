/**
 * The one suite every OrderLog backend runs (the abstract-level pattern: one interface, one
 * shared test file, many backends). `harness.open(partitions)` returns a fresh, empty log;
 * `harness.reopen(log)` closes it and opens the same storage again.
 */
import { describe, expect, it } from 'vitest';
import { ClaimConflictError, type LogRecord, type OrderLog } from './order-log.js';

export interface OrderLogHarness {
  open(partitions: number): Promise<OrderLog>;
  reopen(log: OrderLog): Promise<OrderLog>;
}

const collect = async (log: OrderLog, from: Map<number, number>, count: number): Promise<LogRecord[]> => {
  const out: LogRecord[] = [];
  const next = new Map(from);
  for (let p = 0; p < log.partitions; p++) if (!next.has(p)) next.set(p, 0);
  const deadline = Date.now() + 10_000;
  while (out.length < count && Date.now() < deadline) {
    const records = await log.poll(next, { maxRecords: 50, blockMs: 50 });
    for (const r of records) {
      out.push(r);
      next.set(r.partition, r.offset + 1);
    }
  }
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
        expect(await log.find(first.partition, 'ord_1')).toEqual({
          partition: first.partition,
          offset: first.offset,
        });
        expect(await log.find(log.partitionFor('ord_3'), 'ord_3')).toBeUndefined();
        // A dedupe id is scoped to its partition.
        const elsewhere = (first.partition + 1) % 4;
        expect(await log.find(elsewhere, 'ord_1')).toBeUndefined();
        const there = await log.append({ key: 'ord_1', partition: elsewhere, value: 'x', dedupeId: 'ord_1' });
        expect(there).toMatchObject({ partition: elsewhere, duplicate: false });
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

    it('wakes a blocked poll when a record is appended, and reads only the partitions asked for', async () => {
      const log = await harness.open(4);
      try {
        const key = 'wake';
        const p = log.partitionFor(key);
        const other = (p + 1) % 4;
        const started = Date.now();
        const polled = log.poll(new Map([[p, 0]]), { maxRecords: 10, blockMs: 30_000 });
        await log.append({ key: 'x', partition: other, value: 'not mine' });
        await log.append({ key, value: 'mine' });
        let records = await polled;
        if (records.length === 0)
          records = await log.poll(new Map([[p, 0]]), { maxRecords: 10, blockMs: 2_000 });
        // Woken by the append, long before blockMs (generous bound for a loaded machine).
        expect(Date.now() - started).toBeLessThan(20_000);
        expect(records.map((r) => r.value)).toEqual(['mine']);
      } finally {
        await log.close();
      }
    });

    it('appends to an explicit partition, and refuses claims held by another id atomically', async () => {
      const log = await harness.open(4);
      try {
        const a = await log.append({
          key: 'u1',
          partition: 3,
          value: 'a',
          dedupeId: 'ord_a',
          claims: ['c1', 'c2'],
        });
        expect(a.partition).toBe(3);
        // Same holder again: a duplicate, not a conflict.
        expect(
          await log.append({ key: 'u1', partition: 3, value: 'a', dedupeId: 'ord_a', claims: ['c1'] }),
        ).toMatchObject({
          duplicate: true,
        });
        // Another id with one shared claim: refused, nothing appended, its other claims not taken.
        const refused = log.append({
          key: 'u1',
          partition: 3,
          value: 'b',
          dedupeId: 'ord_b',
          claims: ['c3', 'c2'],
        });
        await expect(refused).rejects.toBeInstanceOf(ClaimConflictError);
        await expect(refused).rejects.toMatchObject({ holder: 'ord_a', claim: 'c2' });
        expect((await log.endOffsets())[3]).toBe(1);
        expect(await log.find(3, 'ord_b')).toBeUndefined();
        // Claims are per partition.
        await log.append({ key: 'u1', partition: 2, value: 'c', dedupeId: 'ord_c', claims: ['c2'] });
        // Concurrent racers for one claim: exactly one wins.
        const racers = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            log.append({ key: 'u1', partition: 1, value: `r${i}`, dedupeId: `ord_r${i}`, claims: ['hot'] }),
          ),
        );
        expect(racers.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        // Released by its holder only; then another id may take it.
        await log.releaseClaims(3, ['c1', 'c2'], 'ord_other');
        await expect(
          log.append({ key: 'u1', partition: 3, value: 'b', dedupeId: 'ord_b', claims: ['c2'] }),
        ).rejects.toBeInstanceOf(ClaimConflictError);
        await log.releaseClaims(3, ['c1', 'c2'], 'ord_a');
        expect(
          await log.append({ key: 'u1', partition: 3, value: 'b', dedupeId: 'ord_b', claims: ['c2'] }),
        ).toMatchObject({
          duplicate: false,
          offset: 1,
        });
        await expect(async () => log.append({ key: 'u1', value: 'x', claims: ['c'] })).rejects.toBeInstanceOf(
          TypeError,
        );
        await expect(async () => log.append({ key: 'u1', partition: 4, value: 'x' })).rejects.toBeInstanceOf(
          TypeError,
        );
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
