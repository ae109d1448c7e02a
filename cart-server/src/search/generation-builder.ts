/**
 * Builds one search generation from a manifest (its id and ranking) and a scan of the catalog.
 * The scan yields to the event loop, so the generation being served keeps answering meanwhile;
 * product writes that happen during the scan are recorded and replayed at the end (the scan may
 * have read an older version of a product: LevelDB iterators read a snapshot).
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Product } from '../catalog/product.js';
import type { ProductStore } from '../catalog/store/product-store.js';
import { BandAssigner, type RankingSnapshot } from '../popularity/ranking.js';
import type { GenerationManifest } from './generation-pointer.js';
import type { IndexGenerationView } from './search-engine.js';
import { ShardedIndex, type ShardInfo } from './sharded-index.js';

export interface Generation extends IndexGenerationView {
  readonly id: string;
  readonly createdAt: number;
  readonly buildMs: number;
  readonly ranking: RankingSnapshot;
  warmed: number;
}

export type GenerationRole = 'active' | 'previous' | 'standby';

export interface GenerationInfo {
  readonly id: string;
  readonly role: GenerationRole;
  readonly createdAt: number;
  readonly buildMs: number;
  readonly products: number;
  readonly shards: number;
  readonly topK: number;
  readonly warmed: number;
}

export class GenerationBuilder {
  readonly #store: ProductStore;
  readonly #yieldEvery: number;
  /** Change logs of builds in progress (a rebuild and an adoption may overlap). */
  readonly #changeLogs = new Set<Map<string, Product | null>>();

  constructor(store: ProductStore, options: { yieldEvery?: number } = {}) {
    this.#store = store;
    this.#yieldEvery = options.yieldEvery ?? 256;
  }

  async build(manifest: GenerationManifest): Promise<Generation> {
    const started = performance.now();
    const index = new ShardedIndex(new BandAssigner(manifest.ranking));
    const changes = new Map<string, Product | null>();
    this.#changeLogs.add(changes);
    try {
      let n = 0;
      for await (const p of this.#store.scan()) {
        index.upsert(p);
        if (++n % this.#yieldEvery === 0) await yieldToLoop();
      }
      for (const [pid, p] of changes) {
        if (p === null) index.remove(pid);
        else index.upsert(p);
      }
    } finally {
      this.#changeLogs.delete(changes);
    }
    return {
      id: manifest.id,
      index,
      createdAt: manifest.createdAt,
      buildMs: Math.round(performance.now() - started),
      ranking: manifest.ranking,
      warmed: 0,
    };
  }

  /** Records a write for the builds in progress (live generations are updated by the caller). */
  productChanged(product: Product): void {
    for (const log of this.#changeLogs) log.set(product.id, product);
  }

  productRemoved(id: string): void {
    for (const log of this.#changeLogs) log.set(id, null);
  }
}

export function generationInfo(g: Generation, role: GenerationRole): GenerationInfo {
  const shards: ShardInfo[] = g.index.shards();
  return {
    id: g.id,
    role,
    createdAt: g.createdAt,
    buildMs: g.buildMs,
    products: g.index.size,
    shards: shards.length,
    topK: g.ranking.top.length,
    warmed: g.warmed,
  };
}
