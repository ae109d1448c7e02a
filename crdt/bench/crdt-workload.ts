// The seeded cart workload of issue 2 §4, shared by every adapter so that all three libraries
// replay exactly the same operations.
//
// A catalog of 1,000 product ids; each op picks a product uniformly at random: a missing one is
// added with quantity 1–5, a present one gets its quantity set (70%) or is removed (30%).
// The generator keeps its own model of the cart (what is present, at which quantity), so the
// op list does not depend on the library under test and can be generated outside the timed
// sections.

export const CATALOG_SIZE = 1_000;

export type WorkloadOp =
  | { readonly kind: 'add'; readonly productId: string; readonly quantity: number }
  | { readonly kind: 'set'; readonly productId: string; readonly quantity: number }
  | { readonly kind: 'remove'; readonly productId: string };

/** Product ids look like real SKUs and are the same length for every library. */
export function productId(index: number): string {
  return `sku-${String(index).padStart(5, '0')}`;
}

export const CATALOG: readonly string[] = Array.from({ length: CATALOG_SIZE }, (_, i) => productId(i));

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): tiny, seedable and far better
 * distributed than Math.random-style LCGs, which matters because op kinds depend on low bits.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // Discard the first outputs so that nearby seeds diverge.
    for (let i = 0; i < 16; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** A UUID v4-shaped string derived from the stream (for reproducible actor ids). */
  uuid(): string {
    const hex = Array.from({ length: 4 }, () => this.nextUint32().toString(16).padStart(8, '0')).join('');
    const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }
}

export interface WorkloadOptions {
  readonly seed: number;
  /** Restrict the ops to these products (default: the whole catalog). */
  readonly catalog?: readonly string[];
}

export class Workload {
  private readonly rng: Prng;
  private readonly catalog: readonly string[];
  private readonly model: Map<string, number>;

  constructor(options: WorkloadOptions, model?: ReadonlyMap<string, number>) {
    this.rng = new Prng(options.seed);
    this.catalog = options.catalog ?? CATALOG;
    if (this.catalog.length === 0) throw new TypeError('workload catalog must not be empty');
    this.model = new Map(model);
  }

  /** A copy of the model with a new random stream: two forks make concurrent histories. */
  fork(seed: number, catalog?: readonly string[]): Workload {
    return new Workload({ seed, catalog: catalog ?? this.catalog }, this.model);
  }

  /** The cart the ops generated so far produce when applied in order on one replica. */
  cart(): Map<string, number> {
    return new Map(this.model);
  }

  next(): WorkloadOp {
    const id = this.catalog[this.rng.int(0, this.catalog.length - 1)]!;
    const current = this.model.get(id);
    if (current === undefined) {
      const quantity = this.rng.int(1, 5);
      this.model.set(id, quantity);
      return { kind: 'add', productId: id, quantity };
    }
    if (this.rng.next() < 0.7) {
      // Always a real change: a set to the current value would be a no-op for some libraries.
      let quantity = this.rng.int(1, 10);
      if (quantity === current) quantity = (quantity % 10) + 1;
      this.model.set(id, quantity);
      return { kind: 'set', productId: id, quantity };
    }
    this.model.delete(id);
    return { kind: 'remove', productId: id };
  }

  take(count: number): WorkloadOp[] {
    const ops: WorkloadOp[] = [];
    for (let i = 0; i < count; i++) ops.push(this.next());
    return ops;
  }

  /** Adds every catalog product that is missing (the "1,000 items" of stage (d)). */
  fill(): WorkloadOp[] {
    const ops: WorkloadOp[] = [];
    for (const id of this.catalog) {
      if (this.model.has(id)) continue;
      const quantity = this.rng.int(1, 5);
      this.model.set(id, quantity);
      ops.push({ kind: 'add', productId: id, quantity });
    }
    return ops;
  }

  /** A set-quantity op on a present product (for the one-op delta of stage (c)). */
  setOnPresent(): WorkloadOp {
    for (const [id, current] of this.model) {
      const quantity = (current % 10) + 1;
      this.model.set(id, quantity);
      return { kind: 'set', productId: id, quantity };
    }
    throw new TypeError('setOnPresent needs a non-empty cart');
  }
}
