/**
 * Standby promotion (the source design's read optimisation): a rebuild builds a complete new
 * search generation and warms the cache with the new top K while the active generation keeps
 * serving; `promote` then flips one pointer (compare-and-set in Redis or LevelDB) and swaps one
 * in-process reference, so a query sees either the old or the new generation, never a
 * half-built one. The replaced generation stays in memory as `previous` for `rollback`.
 * Nodes sharing a Redis pointer call `follow()` to adopt a generation another node promoted.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Product } from '../catalog/product.js';
import type { ProductStore } from '../catalog/store/product-store.js';
import type { PopularityService } from '../popularity/popularity-service.js';
import { BandAssigner, type RankingSnapshot } from '../popularity/ranking.js';
import { GenerationConflictError, GenerationNotFoundError } from './errors.js';
import type { GenerationPointer } from './generation-pointer.js';
import type { GenerationResolver, IndexGenerationView } from './search-engine.js';
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

export interface GenerationsStatus {
  readonly active: GenerationInfo | null;
  readonly previous: GenerationInfo | null;
  readonly standby: GenerationInfo | null;
  readonly building: boolean;
  readonly pointerVersion: number;
  readonly pointer: string;
}

export interface GenerationsOptions {
  readonly store: ProductStore;
  readonly pointer: GenerationPointer;
  readonly popularity: PopularityService;
  /** Preloads product ids into the cache; returns how many were warmed. */
  readonly warm?: (ids: readonly string[]) => Promise<number>;
  /** Yield to the event loop every this many documents during a build (default 256). */
  readonly yieldEvery?: number;
  readonly now?: () => number;
}

export class SearchGenerations implements GenerationResolver {
  readonly #o: GenerationsOptions;
  #active: Generation | undefined;
  #previous: Generation | undefined;
  #standby: Generation | undefined;
  #building = false;
  /** Change logs of builds in progress (a rebuild and a follow() may overlap). */
  readonly #changeLogs = new Set<Map<string, Product | null>>();
  #version = 0;
  #seq = 0;

  constructor(options: GenerationsOptions) {
    this.#o = options;
  }

  /** Builds the generation the pointer names (or a first one, creating the pointer). */
  async start(): Promise<void> {
    const pointer = await this.#o.pointer.read();
    const ranking = this.#o.popularity.latest();
    if (pointer !== null) {
      this.#active = await this.#build(pointer.active, ranking);
      this.#version = pointer.version;
      return;
    }
    const gen = await this.#build(this.#newId(), ranking);
    const written = await this.#o.pointer.compareAndSet(0, { active: gen.id, previous: null });
    if (written !== null) {
      this.#active = gen;
      this.#version = written.version;
      return;
    }
    // Another node created the pointer first: serve the same content under its id.
    const now = await this.#o.pointer.read();
    this.#active = { ...gen, id: now?.active ?? gen.id };
    this.#version = now?.version ?? 0;
  }

  current(): Generation {
    if (this.#active === undefined) throw new TypeError('SearchGenerations.start() was not awaited');
    return this.#active;
  }

  find(id: string): Generation | undefined {
    for (const g of [this.#active, this.#previous, this.#standby]) if (g?.id === id) return g;
    return undefined;
  }

  get building(): boolean {
    return this.#building;
  }

  /** Builds and warms a standby generation from the store and a fresh ranking. */
  async rebuild(options: { rank?: boolean } = {}): Promise<GenerationInfo> {
    if (this.#building) throw new GenerationConflictError('a rebuild is already running');
    this.#building = true;
    try {
      const ranking = options.rank === false ? this.#o.popularity.latest() : await this.#o.popularity.rank();
      const gen = await this.#build(this.#newId(), ranking);
      gen.warmed = (await this.#o.warm?.(ranking.top)) ?? 0;
      this.#standby = gen;
      return info(gen, 'standby');
    } finally {
      this.#building = false;
    }
  }

  /** Makes the standby (or the named generation) active with one pointer CAS. */
  async promote(id?: string): Promise<GenerationInfo> {
    const target = id === undefined ? this.#standby : this.find(id);
    if (target === undefined) {
      if (id !== undefined) throw new GenerationNotFoundError(id);
      throw new GenerationConflictError('no standby generation to promote; rebuild first');
    }
    const active = this.current();
    if (target === active) return info(active, 'active');
    const written = await this.#o.pointer.compareAndSet(this.#version, {
      active: target.id,
      previous: active.id,
    });
    if (written === null) {
      await this.follow();
      throw new GenerationConflictError('the generation pointer moved concurrently; retry');
    }
    this.#version = written.version;
    this.#previous = active;
    this.#active = target; // the atomic switch for this process: one reference assignment
    if (this.#standby === target) this.#standby = undefined;
    return info(target, 'active');
  }

  /** Switches back to the previous generation (the current one becomes `previous`). */
  async rollback(): Promise<GenerationInfo> {
    const previous = this.#previous;
    if (previous === undefined) throw new GenerationConflictError('no previous generation to roll back to');
    return this.promote(previous.id);
  }

  /** Adopts a generation promoted elsewhere (shared pointer); returns true when it switched. */
  async follow(): Promise<boolean> {
    const p = await this.#o.pointer.read();
    if (p === null || p.version === this.#version) return false;
    const current = this.current();
    if (p.active === current.id) {
      this.#version = p.version;
      return false;
    }
    const target = this.find(p.active) ?? (await this.#build(p.active, this.#o.popularity.latest()));
    this.#previous = current;
    this.#active = target;
    if (this.#standby === target) this.#standby = undefined;
    this.#version = p.version;
    return true;
  }

  /** Keeps every live generation in step with a product write (and a build in progress). */
  productChanged(product: Product): void {
    for (const g of this.#generations()) g.index.upsert(product);
    for (const log of this.#changeLogs) log.set(product.id, product);
  }

  productRemoved(id: string): void {
    for (const g of this.#generations()) g.index.remove(id);
    for (const log of this.#changeLogs) log.set(id, null);
  }

  status(): GenerationsStatus {
    return {
      active: this.#active === undefined ? null : info(this.#active, 'active'),
      previous: this.#previous === undefined ? null : info(this.#previous, 'previous'),
      standby: this.#standby === undefined ? null : info(this.#standby, 'standby'),
      building: this.#building,
      pointerVersion: this.#version,
      pointer: this.#o.pointer.kind,
    };
  }

  #generations(): Generation[] {
    return [this.#active, this.#previous, this.#standby].filter((g): g is Generation => g !== undefined);
  }

  async #build(id: string, ranking: RankingSnapshot): Promise<Generation> {
    const started = performance.now();
    const index = new ShardedIndex(new BandAssigner(ranking));
    // Writes during the scan are recorded and replayed at the end: the scan may have read an
    // older version of a product (LevelDB iterators read a snapshot).
    const changes = new Map<string, Product | null>();
    this.#changeLogs.add(changes);
    const every = this.#o.yieldEvery ?? 256;
    try {
      let n = 0;
      for await (const p of this.#o.store.scan()) {
        index.upsert(p);
        if (++n % every === 0) await yieldToLoop();
      }
      for (const [pid, p] of changes) {
        if (p === null) index.remove(pid);
        else index.upsert(p);
      }
    } finally {
      this.#changeLogs.delete(changes);
    }
    const now = (this.#o.now ?? Date.now)();
    return {
      id,
      index,
      createdAt: now,
      buildMs: Math.round(performance.now() - started),
      ranking,
      warmed: 0,
    };
  }

  #newId(): string {
    const now = (this.#o.now ?? Date.now)();
    return `g-${now.toString(36)}-${(++this.#seq).toString(36)}-${Math.floor(Math.random() * 1296).toString(36)}`;
  }
}

function info(g: Generation, role: GenerationRole): GenerationInfo {
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
