import { describe, expect, it } from 'vitest';
import { productSchema } from '../../src/catalog/product.js';
import { importJsonl, splitLines } from '../../src/catalog/seed/importer.js';
import { LevelProductStore } from '../../src/catalog/store/level-product-store.js';
import { diskDb, generated, product } from './helpers.js';

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('importJsonl', () => {
  it('imports valid lines and reports every malformed one with its line number, never aborting', async () => {
    const good = generated(30);
    const lines = good.map((p) => JSON.stringify(p));
    lines.splice(3, 0, '{"id": "broken", '); // line 4: invalid JSON
    lines.splice(7, 0, JSON.stringify({ ...product('neg'), priceMinor: -5 })); // line 8: schema
    lines.splice(10, 0, ''); // line 11: blank (skipped)
    lines.splice(12, 0, JSON.stringify({ ...product('x'), extra: 1 })); // line 13: unknown field
    lines.splice(20, 0, `{"id":"${'y'.repeat(70_000)}"}`); // line 21: too long
    lines.push('[1,2,3]'); // last line: not an object
    const text = `${lines.join('\r\n')}\n`;
    const disk = await diskDb();
    const store = new LevelProductStore(disk.db);
    const rejected: Array<{ line: number; error: string }> = [];
    const report = await importJsonl(chunks(text, 997), {
      batchSize: 8,
      write: (batch) => store.putMany(batch),
      onReject: (r) => rejected.push(r),
    });
    expect(report.imported).toBe(30);
    expect(report.rejected).toBe(5);
    expect(report.blank).toBe(1);
    expect(report.lines).toBe(lines.length);
    expect(report.rejectedLines.map((r) => r.line)).toEqual([4, 8, 13, 21, lines.length]);
    expect(rejected).toEqual(report.rejectedLines);
    expect(report.rejectedLines[0]!.error).toMatch(/invalid JSON/);
    expect(report.rejectedLines[1]!.error).toMatch(/priceMinor/);
    expect(report.rejectedLines[3]!.error).toMatch(/longer than/);
    expect(await store.count()).toBe(30);
    expect(await store.get(good[29]!.id)).toEqual(good[29]);
    await disk.close();
  });

  it('handles a last line without newline, multi-byte characters split across chunks, and empty input', async () => {
    const p = product('utf', { title: 'Café — naïve 🛒' });
    const out: unknown[] = [];
    const report = await importJsonl(chunks(JSON.stringify(p), 3), {
      write: async (b) => {
        out.push(...b);
      },
    });
    expect(report.imported).toBe(1);
    expect(out).toEqual([p]);
    const empty = await importJsonl(chunks('', 10), { write: async () => undefined });
    expect(empty).toMatchObject({ imported: 0, rejected: 0, lines: 0 });
  });

  it('splitLines bounds memory for a huge line and keeps counting lines after it', async () => {
    const text = `a\n${'z'.repeat(10_000)}\nb`;
    const out = [];
    for await (const l of splitLines(chunks(text, 100), 1000)) out.push(l);
    expect(out.map((l) => [l.line, l.text])).toEqual([
      [1, 'a'],
      [2, null],
      [3, 'b'],
    ]);
  });
});

describe('generated catalog', () => {
  it('is deterministic per seed, valid under the schema, and realistic', () => {
    const a = generated(500, 11);
    expect(generated(500, 11)).toEqual(a);
    expect(generated(5, 12)).not.toEqual(a.slice(0, 5));
    for (const p of a) productSchema.parse(p);
    expect(new Set(a.map((p) => p.id)).size).toBe(500);
    expect(new Set(a.map((p) => p.category)).size).toBeGreaterThan(15);
    expect(a.every((p) => p.priceMinor % 100 === 99)).toBe(true);
    expect(a.filter((p) => p.availability.status === 'in_stock').length).toBeGreaterThan(350);
  });
});
