/**
 * A causal context: the set of dots a replica has seen, per actor, as a version vector plus a dot
 * cloud (Almeida, Shoker, Baquero, arXiv 1603.01529, §5). Internally each actor maps to an interval
 * set; the prefix interval [1, n] is the version-vector entry and further intervals are the cloud.
 * Intervals merge only when they touch, so a context never compacts over a gap (akka#22188).
 *
 * Contexts are mutable (replicas grow them in place); `clone()` before sharing.
 */
import { LIMITS } from '../codec/limits.js';
import type { ActorId, Dot } from './dot.js';
import { assertDot, isValidCounter } from './dot.js';
import {
  addRange,
  addValue,
  countValues,
  coversIntervals,
  differenceIntervals,
  hasValue,
  type Intervals,
  intersectIntervals,
  intervalsEqual,
  intervalsFromSorted,
  unionInto,
} from './interval-set.js';

// Package-internal views (assigned in the class's static block; not exported from index.ts, so
// they stay off the public surface). Never mutate what they return.
/** The intervals of one actor, or undefined. */
export let intervalsOf: (ctx: CausalContext, actor: ActorId) => Intervals | undefined;
/** All (actor, intervals) pairs. */
export let rangesOf: (ctx: CausalContext) => IterableIterator<[ActorId, Intervals]>;
/** Adds sorted, distinct counters of one actor (one linear merge, not one add each). */
export let unionSorted: (ctx: CausalContext, actor: ActorId, counters: readonly number[]) => void;

export class CausalContext {
  /** actor → flat sorted intervals; never holds an empty array. */
  readonly #ranges: Map<ActorId, Intervals>;

  constructor(ranges?: Map<ActorId, Intervals>) {
    this.#ranges = ranges ?? new Map();
  }

  static empty(): CausalContext {
    return new CausalContext();
  }

  /** A context holding exactly the given version vector (actor → contiguous max counter). */
  static fromVersionVector(
    vv: Readonly<Record<ActorId, number>> | ReadonlyMap<ActorId, number>,
  ): CausalContext {
    const c = new CausalContext();
    const entries = vv instanceof Map ? vv.entries() : Object.entries(vv);
    for (const [actor, n] of entries) {
      if (n === 0) continue;
      c.addRange(actor, 1, n);
    }
    return c;
  }

  static fromDots(dots: Iterable<Dot>): CausalContext {
    const c = new CausalContext();
    for (const d of dots) c.add(d);
    return c;
  }

  has(dot: Dot): boolean {
    const iv = this.#ranges.get(dot.actor);
    return iv !== undefined && hasValue(iv, dot.counter);
  }

  hasDot(actor: ActorId, counter: number): boolean {
    const iv = this.#ranges.get(actor);
    return iv !== undefined && hasValue(iv, counter);
  }

  /** Highest counter seen from `actor` (0 if none): the next dot `actor` mints is max + 1. */
  max(actor: ActorId): number {
    const iv = this.#ranges.get(actor);
    return iv === undefined ? 0 : iv[iv.length - 1]!;
  }

  /** The version-vector entry: largest n such that every dot 1..n of `actor` has been seen. */
  contiguous(actor: ActorId): number {
    const iv = this.#ranges.get(actor);
    return iv !== undefined && iv[0] === 1 ? iv[1]! : 0;
  }

  versionVector(): Map<ActorId, number> {
    const out = new Map<ActorId, number>();
    for (const [a, iv] of this.#ranges) if (iv[0] === 1) out.set(a, iv[1]!);
    return out;
  }

  /** Dots seen beyond the version vector, i.e. received across a gap. */
  cloud(): Dot[] {
    const out: Dot[] = [];
    for (const [actor, iv] of this.#ranges) {
      for (let k = iv[0] === 1 ? 2 : 0; k < iv.length; k += 2) {
        for (let c = iv[k]!; c <= iv[k + 1]!; c++) out.push({ actor, counter: c });
      }
    }
    return out;
  }

  /** True when the context is a plain version vector (no gaps anywhere). */
  isCompact(): boolean {
    for (const iv of this.#ranges.values()) if (iv.length !== 2 || iv[0] !== 1) return false;
    return true;
  }

  add(dot: Dot): void {
    assertDot(dot);
    this.addDot(dot.actor, dot.counter);
  }

  /** Adds one dot in place (unchecked fast path for trusted callers). */
  addDot(actor: ActorId, counter: number): void {
    const iv = this.#ranges.get(actor);
    if (iv === undefined) this.#ranges.set(actor, [counter, counter]);
    else addValue(iv, counter);
  }

  addRange(actor: ActorId, lo: number, hi: number): void {
    if (typeof actor !== 'string' || actor.length === 0)
      throw new TypeError('actor must be a non-empty string');
    if (!isValidCounter(lo) || !isValidCounter(hi) || lo > hi)
      throw new TypeError(`bad dot range [${lo}, ${hi}]`);
    const iv = this.#ranges.get(actor);
    if (iv === undefined) this.#ranges.set(actor, [lo, hi]);
    else addRange(iv, lo, hi);
  }

  /** In-place union (the join of two contexts). */
  join(other: CausalContext): this {
    for (const [actor, ov] of other.#ranges) {
      const iv = this.#ranges.get(actor);
      if (iv === undefined) this.#ranges.set(actor, ov.slice());
      else unionInto(iv, ov);
    }
    return this;
  }

  clone(): CausalContext {
    const m = new Map<ActorId, Intervals>();
    for (const [a, iv] of this.#ranges) m.set(a, iv.slice());
    return new CausalContext(m);
  }

  /** Dots in this context that `other` has not seen, as a new context. */
  difference(other: CausalContext): CausalContext {
    const m = new Map<ActorId, Intervals>();
    for (const [a, iv] of this.#ranges) {
      const ov = other.#ranges.get(a);
      const d = ov === undefined ? iv.slice() : differenceIntervals(iv, ov);
      if (d.length > 0) m.set(a, d);
    }
    return new CausalContext(m);
  }

  intersection(other: CausalContext): CausalContext {
    const m = new Map<ActorId, Intervals>();
    for (const [a, iv] of this.#ranges) {
      const ov = other.#ranges.get(a);
      if (ov === undefined) continue;
      const d = intersectIntervals(iv, ov);
      if (d.length > 0) m.set(a, d);
    }
    return new CausalContext(m);
  }

  /** Whether every dot of `other` is in this context. */
  covers(other: CausalContext): boolean {
    for (const [a, ov] of other.#ranges) {
      const iv = this.#ranges.get(a);
      if (iv === undefined || !coversIntervals(iv, ov)) return false;
    }
    return true;
  }

  equals(other: CausalContext): boolean {
    if (this.#ranges.size !== other.#ranges.size) return false;
    for (const [a, iv] of this.#ranges) {
      const ov = other.#ranges.get(a);
      if (ov === undefined || !intervalsEqual(iv, ov)) return false;
    }
    return true;
  }

  isEmpty(): boolean {
    return this.#ranges.size === 0;
  }

  actors(): ActorId[] {
    return [...this.#ranges.keys()].sort();
  }

  get actorCount(): number {
    return this.#ranges.size;
  }

  /** Number of dots (may be huge for a compact context: it counts, it does not enumerate). */
  dotCount(): number {
    let n = 0;
    for (const iv of this.#ranges.values()) n += countValues(iv);
    return n;
  }

  /** Number of intervals: the context's size in memory and on the wire. */
  intervalCount(): number {
    let n = 0;
    for (const iv of this.#ranges.values()) n += iv.length >> 1;
    return n;
  }

  /** The intervals of one actor as [lo, hi] pairs (a copy). */
  rangesOf(actor: ActorId): Array<[number, number]> {
    const iv = this.#ranges.get(actor);
    const out: Array<[number, number]> = [];
    if (iv) for (let k = 0; k < iv.length; k += 2) out.push([iv[k]!, iv[k + 1]!]);
    return out;
  }

  /**
   * Retires actors (bounded metadata, after Akka Distributed Data's pruning): each one's whole
   * counter space [1, LIMITS.maxCounter] is marked seen. That is the retirement marker (Akka's
   * PruningPerformed): one interval however many gaps the actor left, every later delta of the
   * actor is already "seen" and so dropped, and a dependency on any of its dots is satisfied.
   * Only safe once every replica's context covers the state's context (see `retirableActors`).
   */
  retireActors(actors: Iterable<ActorId>): void {
    for (const a of actors) this.#ranges.set(a, [1, LIMITS.maxCounter]);
  }

  /** Whether `actor` is retired (its whole counter space is marked seen). */
  isRetired(actor: ActorId): boolean {
    const iv = this.#ranges.get(actor);
    return iv !== undefined && iv.length === 2 && iv[0] === 1 && iv[1] === LIMITS.maxCounter;
  }

  static {
    intervalsOf = (ctx, actor) => ctx.#ranges.get(actor);
    rangesOf = (ctx) => ctx.#ranges.entries();
    unionSorted = (ctx, actor, counters) => {
      const add = intervalsFromSorted(counters);
      const iv = ctx.#ranges.get(actor);
      if (iv === undefined) ctx.#ranges.set(actor, add);
      else unionInto(iv, add);
    };
  }

  toJSON(): Record<ActorId, Array<[number, number]>> {
    const out: Record<ActorId, Array<[number, number]>> = {};
    for (const a of this.actors()) out[a] = this.rangesOf(a);
    return out;
  }

  toString(): string {
    return `CausalContext(${JSON.stringify(this.toJSON())})`;
  }
}
