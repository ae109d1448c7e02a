import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import type { Product } from '../../src/catalog/product.js';
import { CatalogGenerator } from '../../src/catalog/seed/generator.js';
import type { LevelLike } from '../../src/storage/level-types.js';

export async function diskDb(): Promise<{ db: LevelLike; dir: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cw-catalog-'));
  const level = new Level<string, string>(join(dir, 'db'), { valueEncoding: 'utf8' });
  await level.open();
  return {
    db: level as unknown as LevelLike,
    dir,
    close: async () => {
      await level.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function product(id: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    title: `Product ${id}`,
    description: `Description of ${id}`,
    priceMinor: 1999,
    currency: 'EUR',
    category: 'books',
    images: ['/v1/images/0123456789abcdef0123456789abcdef.svg'],
    attributes: { brand: 'Acme' },
    availability: { status: 'in_stock', stock: 5 },
    ...overrides,
  };
}

export function generated(count: number, seed = 7): Product[] {
  return [...new CatalogGenerator({ seed }).products(count)];
}

/** Polls `check` until it returns true (no fixed sleeps: the machine is shared and loaded). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
