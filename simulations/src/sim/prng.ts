/**
 * The simulator's single source of randomness: sfc32 (Chris Doty-Humphrey's "small fast
 * counting" generator, from PractRand), seeded through splitmix32 so that nearby seeds give
 * unrelated streams. One instance per run; every random choice of a run — the plan, the
 * network, the replicas' own `Random` — draws from it in event order, so a seed reproduces the
 * run exactly (the FoundationDB / TigerBeetle discipline).
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Number of draws so far; part of the determinism fingerprint. */
  draws = 0;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new TypeError(`seed must be a non-negative safe integer`);
    let s = (seed ^ Math.floor(seed / 2 ** 32)) >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.nextUint32();
    this.draws = 0;
  }

  nextUint32(): number {
    this.draws++;
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new TypeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Exponentially distributed with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Log-normal with the given median and shape (Box-Muller on two draws). */
  logNormal(median: number, sigma: number): number {
    const u = 1 - this.next();
    const v = this.next();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return median * Math.exp(sigma * z);
  }

  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
