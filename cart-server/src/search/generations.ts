/**
 * Standby promotion (the source design's read optimisation), on one node or on every node of a
 * cluster. A rebuild ranks, describes the new generation in a manifest, builds and warms it
 * while the active generation keeps serving, and posts it as the standby; every other node
 * builds and warms the same manifest and announces it on the board. `promote` waits until every
 * live node holds the target, then flips the one pointer with a compare-and-set; each node
 * switches by swapping one in-process reference, so a query sees the old or the new generation,
 * never a half-built one, and no node serves a generation the pointer never named.
 *
 * Each node keeps at most three generations: active, previous (for rollback and for cursors
 * issued before a promotion) and standby. After a restart it builds the active one from its
 * manifest before serving, then the previous one in the background, so a rollback made before
 * or after a restart behaves the same (generation-board.ts describes the board).
 */
import type { Product } from '../catalog/product.js';
import type { ProductStore } from '../catalog/store/product-store.js';
import type { PopularityService } from '../popularity/popularity-service.js';
import { GenerationConflictError, GenerationNotFoundError } from './errors.js';
import { type BoardMember, type GenerationBoard, LocalGenerationBoard } from './generation-board.js';
import {
  type Generation,
  GenerationBuilder,
  type GenerationInfo,
  generationInfo,
} from './generation-builder.js';
import type { GenerationManifest, GenerationPointer } from './generation-pointer.js';
import type { GenerationResolver } from './search-engine.js';

export type { Generation, GenerationInfo, GenerationRole } from './generation-builder.js';

export interface GenerationsStatus {
  readonly node: string;
  readonly active: GenerationInfo | null;
  readonly previous: GenerationInfo | null;
  readonly standby: GenerationInfo | null;
  readonly building: boolean;
  readonly pointerVersion: number;
  readonly pointer: string;
  readonly board: string;
  /** Live nodes and the generations each holds, as of this node's last announcement. */
  readonly members: readonly BoardMember[];
}

export interface GenerationsOptions {
  readonly store: ProductStore;
  readonly pointer: GenerationPointer;
  readonly popularity: PopularityService;
  /** Where nodes announce what they hold (default: this process only). */
  readonly board?: GenerationBoard;
  /** This node's id on the board (default n1). */
  readonly nodeId?: string;
  /** Preloads product ids into the cache; returns how many were warmed. */
  readonly warm?: (ids: readonly string[]) => Promise<number>;
  /** Yield to the event loop every this many documents during a build (default 256). */
  readonly yieldEvery?: number;
  /** Announce and re-read the pointer and standby this often (0 = only when notified; default 0). */
  readonly heartbeatMs?: number;
  /** How long `promote` waits for every live node to hold the target (default 60 s). */
  readonly promoteWaitMs?: number;
  readonly onError?: (err: unknown, during: string) => void;
  readonly now?: () => number;
}

export class SearchGenerations implements GenerationResolver {
  readonly #o: GenerationsOptions;
  readonly #board: GenerationBoard;
  readonly #node: string;
  readonly #builder: GenerationBuilder;
  #active: Generation | undefined;
  #previous: Generation | undefined;
  #standby: Generation | undefined;
  #building = false;
  /** The pointer version the active generation was read or written at: the CAS token. */
  #version = 0;
  #seq = 0;
  /** Builds in progress by generation id (a rebuild, an adoption and a sync may ask for one id). */
  readonly #builds = new Map<string, Promise<Generation>>();
  #lock: Promise<unknown> = Promise.resolve();
  #syncing: Promise<void> | undefined;
  #syncAgain = false;
  #members: readonly BoardMember[] = [];
  #timer: NodeJS.Timeout | undefined;
  #unwatch: () => void = () => undefined;
  #closed = false;

  constructor(options: GenerationsOptions) {
    this.#o = options;
    this.#board = options.board ?? new LocalGenerationBoard();
    this.#node = options.nodeId ?? 'n1';
    this.#builder = new GenerationBuilder(
      options.store,
      options.yieldEvery === undefined ? {} : { yieldEvery: options.yieldEvery },
    );
  }

  /** Builds the generation the pointer names (or a first one, creating the pointer), then joins the board. */
  async start(): Promise<void> {
    const pointer = await this.#o.pointer.read();
    if (pointer !== null) {
      this.#active = await this.#obtain(pointer.active, { pointerNamed: true });
      this.#version = pointer.version;
    } else {
      const manifest = await this.#o.pointer.saveManifest(this.#newManifest(this.#o.popularity.latest()));
      const gen = await this.#obtain(manifest.id);
      const written = await this.#o.pointer.compareAndSet(0, { active: gen.id, previous: null });
      if (written !== null) {
        this.#active = gen;
        this.#version = written.version;
      } else {
        // Another node created the pointer first: serve the generation it names.
        const now = await this.#o.pointer.read();
        if (now === null) throw new GenerationConflictError('the generation pointer vanished during start');
        this.#active = await this.#obtain(now.active, { pointerNamed: true });
        this.#version = now.version;
      }
    }
    await this.#announce();
    this.#unwatch = this.#board.watch(() => this.#kick());
    const every = this.#o.heartbeatMs ?? 0;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.#announce().catch((err: unknown) => this.#o.onError?.(err, 'announce'));
        this.#kick();
      }, every);
      this.#timer.unref();
    }
    this.#kick(); // in the background: the previous generation (rollback), a posted standby
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

  /** Ranks, then builds, warms and posts a standby generation; every node builds the same one. */
  async rebuild(options: { rank?: boolean } = {}): Promise<GenerationInfo> {
    if (this.#building) throw new GenerationConflictError('a rebuild is already running');
    this.#building = true;
    try {
      const ranking = options.rank === false ? this.#o.popularity.latest() : await this.#o.popularity.rank();
      const manifest = await this.#o.pointer.saveManifest(this.#newManifest(ranking));
      const gen = await this.#obtain(manifest.id);
      // Under the lock a sync takes: it must not read the old standby off the board in between.
      await this.#exclusive(async () => {
        this.#standby = gen;
        await this.#board.postStandby(gen.id);
      });
      await this.#announce();
      await this.#board.notify('standby');
      return generationInfo(gen, 'standby');
    } finally {
      this.#building = false;
    }
  }

  /**
   * Makes the standby (or the named generation) active cluster-wide: waits until every live
   * node holds it, then one pointer CAS. GENERATION_CONFLICT when a node does not get it ready
   * within `promoteWaitMs` or the pointer moved concurrently.
   */
  async promote(id?: string): Promise<GenerationInfo> {
    let target = id === undefined ? this.#standby : this.find(id);
    if (target === undefined) {
      if (id === undefined)
        throw new GenerationConflictError('no standby generation to promote; rebuild first');
      target = await this.#obtain(id); // GENERATION_NOT_FOUND without a manifest
      await this.#announce();
    }
    if (target === this.current()) return generationInfo(target, 'active');
    await this.#waitHeldEverywhere(target.id);
    const chosen = target;
    return this.#exclusive(async () => {
      const active = this.current();
      if (chosen === active) return generationInfo(chosen, 'active');
      const written = await this.#o.pointer.compareAndSet(this.#version, {
        active: chosen.id,
        previous: active.id,
      });
      if (written === null) {
        this.#kick();
        throw new GenerationConflictError('the generation pointer moved concurrently; retry');
      }
      this.#switchTo(chosen, active, written.version);
      await this.#afterPromotion(chosen.id);
      return generationInfo(chosen, 'active');
    });
  }

  /** Switches back to the generation the pointer names as previous (after a restart too). */
  async rollback(): Promise<GenerationInfo> {
    const pointer = await this.#o.pointer.read();
    const previous = pointer?.previous ?? this.#previous?.id ?? null;
    if (previous === null) throw new GenerationConflictError('no previous generation to roll back to');
    return this.promote(previous);
  }

  /** Re-reads the pointer and the standby now; true when the active generation changed. */
  async follow(): Promise<boolean> {
    const before = this.#active?.id;
    this.#kick();
    await this.#syncing;
    return this.#active?.id !== before;
  }

  /** Keeps every live generation in step with a product write (and the builds in progress). */
  productChanged(product: Product): void {
    for (const g of this.#generations()) g.index.upsert(product);
    this.#builder.productChanged(product);
  }

  productRemoved(id: string): void {
    for (const g of this.#generations()) g.index.remove(id);
    this.#builder.productRemoved(id);
  }

  status(): GenerationsStatus {
    return {
      node: this.#node,
      active: this.#active === undefined ? null : generationInfo(this.#active, 'active'),
      previous: this.#previous === undefined ? null : generationInfo(this.#previous, 'previous'),
      standby: this.#standby === undefined ? null : generationInfo(this.#standby, 'standby'),
      building: this.#building,
      pointerVersion: this.#version,
      pointer: this.#o.pointer.kind,
      board: this.#board.kind,
      members: this.#members,
    };
  }

  /** Stops the heartbeat and leaves the board (the generations keep serving until dropped). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unwatch();
    await this.#syncing?.catch(() => undefined);
    await this.#board.leave(this.#node).catch(() => undefined);
  }

  #generations(): Generation[] {
    return [this.#active, this.#previous, this.#standby].filter((g): g is Generation => g !== undefined);
  }

  #switchTo(target: Generation, previous: Generation | undefined, version: number): void {
    this.#previous = previous;
    this.#active = target; // the atomic switch for this process: one reference assignment
    if (this.#standby === target) this.#standby = undefined;
    this.#version = version;
  }

  async #afterPromotion(id: string): Promise<void> {
    await this.#board.clearStandby(id);
    await this.#board.notify('pointer');
    await this.#announce();
    const keep = new Set(this.#generations().map((g) => g.id));
    const posted = await this.#board.standby();
    if (posted !== null) keep.add(posted);
    await this.#o.pointer.pruneManifests(keep).catch((err: unknown) => this.#o.onError?.(err, 'prune'));
  }

  /** Polls the board until every live node holds `id`. */
  async #waitHeldEverywhere(id: string): Promise<void> {
    const wait = this.#o.promoteWaitMs ?? 60_000;
    const deadline = Date.now() + wait;
    for (;;) {
      const members = await this.#board.members();
      this.#members = members;
      const missing = members.filter((m) => !m.held.includes(id)).map((m) => m.node);
      if (missing.length === 0) return;
      if (Date.now() >= deadline) {
        throw new GenerationConflictError(
          `generation ${id} is not built and warmed on ${missing.join(', ')} after ${wait} ms; promote again later`,
        );
      }
      this.#kick(); // a node may wait for us to have announced; and we re-read the standby
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #announce(): Promise<void> {
    if (this.#closed) return;
    await this.#board.announce(
      this.#node,
      this.#generations().map((g) => g.id),
    );
    this.#members = await this.#board.members();
  }

  /** Starts a sync, or asks the running one to go round once more. */
  #kick(): void {
    if (this.#closed) return;
    if (this.#syncing !== undefined) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = (async () => {
      try {
        do {
          this.#syncAgain = false;
          await this.#exclusive(() => this.#syncOnce());
        } while (this.#syncAgain && !this.#closed);
      } catch (err) {
        this.#o.onError?.(err, 'sync');
      } finally {
        this.#syncing = undefined;
      }
    })();
  }

  /** Brings this node to what the pointer and the board say: active, previous, standby. */
  async #syncOnce(): Promise<void> {
    const pointer = await this.#o.pointer.read();
    if (pointer === null) {
      await this.#reseedPointer();
      return;
    }
    let changed = false;
    if (pointer.active !== this.current().id) {
      // Built while the current generation keeps serving; then one reference swap.
      const target = await this.#obtain(pointer.active, { pointerNamed: true });
      const old = this.current();
      this.#switchTo(
        target,
        pointer.previous === old.id ? old : this.find(pointer.previous ?? ''),
        pointer.version,
      );
      changed = true;
    } else {
      this.#version = pointer.version;
    }
    if (pointer.previous !== null && this.#previous?.id !== pointer.previous) {
      this.#previous = await this.#obtain(pointer.previous, { pointerNamed: true }).catch((err: unknown) => {
        this.#o.onError?.(err, 'previous generation');
        return this.#previous;
      });
      changed = true;
    }
    const posted = await this.#board.standby();
    if (posted === null || posted === this.current().id || posted === this.#previous?.id) {
      if (this.#standby !== undefined) changed = true;
      this.#standby = undefined;
    } else if (this.#standby?.id !== posted) {
      this.#standby = await this.#obtain(posted);
      changed = true;
    }
    if (changed) await this.#announce();
  }

  /**
   * The pointer is gone while we serve (Redis lost its data: restarted without persistence, or
   * flushed): put back what this node serves, so promotions work again. When several nodes race,
   * one CAS from version 0 wins and the others follow it on their next sync.
   */
  async #reseedPointer(): Promise<void> {
    const serving = [this.current(), this.#previous].filter((g): g is Generation => g !== undefined);
    for (const g of serving)
      await this.#o.pointer.saveManifest({ id: g.id, createdAt: g.createdAt, ranking: g.ranking });
    const written = await this.#o.pointer.compareAndSet(0, {
      active: this.current().id,
      previous: this.#previous?.id ?? null,
    });
    if (written !== null) this.#version = written.version;
    else this.#syncAgain = true;
  }

  /** The held generation `id`, or a build of its manifest (shared with concurrent requests for it). */
  #obtain(id: string, options: { pointerNamed?: boolean } = {}): Promise<Generation> {
    const held = this.find(id);
    if (held !== undefined) return Promise.resolve(held);
    let build = this.#builds.get(id);
    if (build === undefined) {
      build = (async () => {
        const manifest = await this.#manifest(id, options.pointerNamed === true);
        const gen = await this.#builder.build(manifest);
        gen.warmed = (await this.#o.warm?.(manifest.ranking.top)) ?? 0;
        return gen;
      })().finally(() => this.#builds.delete(id));
      this.#builds.set(id, build);
    }
    return build;
  }

  async #manifest(id: string, pointerNamed: boolean): Promise<GenerationManifest> {
    const stored = await this.#o.pointer.loadManifest(id);
    if (stored !== undefined) return stored;
    if (!pointerNamed) throw new GenerationNotFoundError(id);
    // A pointer written before manifests existed: describe it with the current ranking (the
    // first node to do so wins, so every node builds the same).
    return this.#o.pointer.saveManifest({
      id,
      createdAt: (this.#o.now ?? Date.now)(),
      ranking: this.#o.popularity.latest(),
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #newManifest(ranking: GenerationManifest['ranking']): GenerationManifest {
    const now = (this.#o.now ?? Date.now)();
    const id = `g-${now.toString(36)}-${(++this.#seq).toString(36)}-${Math.floor(Math.random() * 1296).toString(36)}`;
    return { id, createdAt: now, ranking };
  }
}
