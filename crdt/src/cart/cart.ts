/**
 * `Cart`: a mutable cart replica with cheap in-place delta mutators.
 *
 * Model: an observed-remove map of product lines sharing one causal context, each line a dot store
 * (see line.ts). Every action mints a fresh dot of this replica's actor; setQuantity, remove and
 * clear carry the dots they observed in their delta's context, so joining the delta anywhere
 * removes exactly those dots and nothing concurrent (add-wins, no resurrection, no tombstones):
 * ORSWOT (riak_dt) generalised with delta mutators (Almeida, Shoker, Baquero, arXiv 1603.01529).
 *
 * Mutators return a delta (a small CartState). Joining a delta here or anywhere is idempotent,
 * commutative and associative, so deltas can be delivered in any order, duplicated or batched.
 */
import { v4 as uuidv4 } from 'uuid';
import { CausalContext } from '../causal/causal-context.js';
import { type ActorId, checkActorId } from '../causal/dot.js';
import { Hlc, hlcPhysical } from '../causal/hlc.js';
import {
  addValue,
  countValues,
  differenceIntervals,
  hasValue,
  type Intervals,
  intervalsFromSorted,
} from '../causal/interval-set.js';
import { LIMITS } from '../codec/limits.js';
import { CrdtInvalidOpError, CrdtLimitError } from '../errors.js';
import {
  type CartDelta,
  type CartLine,
  CartState,
  countVisible,
  statesEqual,
  toCartLine,
  visibleLines,
} from './cart-state.js';
import { Entry, INC, Line, META, SET } from './line.js';
import {
  type LineMeta,
  normalizeMeta,
  validateMeta,
  validateProductId,
  validateQuantity,
} from './validate.js';

export type CartOp =
  | { readonly type: 'add'; readonly productId: string; readonly quantity: number; readonly meta?: LineMeta }
  | { readonly type: 'setQuantity'; readonly productId: string; readonly quantity: number }
  | { readonly type: 'remove'; readonly productId: string }
  | { readonly type: 'clear' };

export interface CartOptions {
  /** This replica's actor id; defaults to a fresh UUID v4. Never share one actor between writers. */
  actor?: ActorId;
  /** Wall clock in ms for HLC timestamps (default Date.now). */
  clock?: () => number;
}

let generation = 0;
const nextGen = (): number => ++generation;

function addDotTo(m: Map<ActorId, Intervals>, actor: ActorId, counter: number): void {
  const iv = m.get(actor);
  if (iv === undefined) m.set(actor, [counter, counter]);
  else addValue(iv, counter);
}

function singleLine(pid: string, entries: Entry[], ctx: Map<ActorId, Intervals>): CartDelta {
  const lines = new Map<string, Line>();
  lines.set(pid, new Line(entries, 0));
  return new CartState(lines, new CausalContext(ctx));
}

export class Cart {
  readonly actor: ActorId;
  readonly #hlc: Hlc;
  #lines: Map<string, Line>;
  readonly #ctx: CausalContext;
  #gen: number;
  /** Highest counter of our own actor seen anywhere: the next dot is #counter + 1. */
  #counter: number;
  /** actor → counter → productId of every live entry; built lazily for remote removals. */
  #index: Map<ActorId, Map<number, string>> | null = null;

  private constructor(actor: ActorId, hlc: Hlc, lines: Map<string, Line>, ctx: CausalContext) {
    this.actor = actor;
    this.#hlc = hlc;
    this.#lines = lines;
    this.#ctx = ctx;
    this.#gen = nextGen();
    this.#counter = ctx.max(actor);
  }

  static create(options: CartOptions = {}): Cart {
    return new Cart(checkActor(options.actor), new Hlc(options.clock), new Map(), new CausalContext());
  }

  /** A replica starting from `state` (copied lazily: lines are shared copy-on-write). */
  static fromState(state: CartState, options: CartOptions = {}): Cart {
    if (!(state instanceof CartState)) throw new TypeError('fromState expects a CartState');
    return new Cart(
      checkActor(options.actor),
      new Hlc(options.clock),
      new Map(state._lines),
      state._ctx.clone(),
    );
  }

  /** @internal a replica whose next timestamp is >= `hlc` (for cartType.apply). */
  static _at(state: CartState, actor: ActorId, hlc: number): Cart {
    const clock = new Hlc(() => hlcPhysical(hlc));
    if (hlc > 0) clock.observe(hlc - 1);
    return new Cart(checkActor(actor), clock, new Map(state._lines), state._ctx.clone());
  }

  // ---- mutators -------------------------------------------------------------------------------

  add(productId: string, quantity: number, meta?: LineMeta): CartDelta {
    validateProductId(productId);
    validateQuantity(quantity);
    if (meta !== undefined) validateMeta(meta);
    const actor = this.actor;
    const line = this.#own(productId);
    const c = this.#mint();
    const inc = new Entry(actor, c, INC, quantity, 0, undefined);
    line.entries.push(inc);
    this.#indexAdd(inc, productId);
    const dctx = new Map<ActorId, Intervals>();
    dctx.set(actor, [c, c]);
    const dentries = [inc];
    if (meta !== undefined) {
      let maxHlc = -1;
      const kept: Entry[] = [];
      for (const e of line.entries) {
        if (e.kind === META) {
          if (e.hlc > maxHlc) maxHlc = e.hlc;
          addDotTo(dctx, e.actor, e.counter);
          this.#indexRemove(e);
        } else kept.push(e);
      }
      const m = new Entry(actor, this.#mint(), META, 0, this.#stamp(maxHlc), normalizeMeta(meta));
      addDotTo(dctx, actor, m.counter);
      kept.push(m);
      line.entries = kept;
      this.#indexAdd(m, productId);
      dentries.push(m);
    }
    return singleLine(productId, dentries, dctx);
  }

  /** Sets the quantity (creating the line if absent). Adds concurrent with it still count. */
  setQuantity(productId: string, quantity: number): CartDelta {
    validateProductId(productId);
    validateQuantity(quantity);
    const actor = this.actor;
    const line = this.#own(productId);
    const dctx = new Map<ActorId, Intervals>();
    let maxHlc = -1;
    const kept: Entry[] = [];
    for (const e of line.entries) {
      if (e.kind === META) kept.push(e);
      else {
        if (e.kind === SET && e.hlc > maxHlc) maxHlc = e.hlc;
        addDotTo(dctx, e.actor, e.counter);
        this.#indexRemove(e);
      }
    }
    const c = this.#mint();
    const set = new Entry(actor, c, SET, quantity, this.#stamp(maxHlc), undefined);
    kept.push(set);
    line.entries = kept;
    this.#indexAdd(set, productId);
    addDotTo(dctx, actor, c);
    return singleLine(productId, [set], dctx);
  }

  /** Observed-remove of a line: removes the dots seen here; a concurrent add survives. */
  remove(productId: string): CartDelta {
    validateProductId(productId);
    const dctx = new Map<ActorId, Intervals>();
    const line = this.#lines.get(productId);
    if (line !== undefined) {
      for (const e of line.entries) {
        addDotTo(dctx, e.actor, e.counter);
        this.#indexRemove(e);
      }
      this.#lines.delete(productId);
    }
    addDotTo(dctx, this.actor, this.#mint());
    return new CartState(new Map(), new CausalContext(dctx));
  }

  /** Observed-remove of every line. */
  clear(): CartDelta {
    const dctx = new Map<ActorId, Intervals>();
    for (const line of this.#lines.values()) {
      for (const e of line.entries) addDotTo(dctx, e.actor, e.counter);
    }
    this.#lines = new Map();
    this.#index = null;
    addDotTo(dctx, this.actor, this.#mint());
    return new CartState(new Map(), new CausalContext(dctx));
  }

  apply(op: CartOp): CartDelta {
    if (typeof op !== 'object' || op === null) throw new CrdtInvalidOpError('op must be an object');
    switch (op.type) {
      case 'add':
        return this.add(op.productId, op.quantity, op.meta);
      case 'setQuantity':
        return this.setQuantity(op.productId, op.quantity);
      case 'remove':
        return this.remove(op.productId);
      case 'clear':
        return this.clear();
      default:
        throw new CrdtInvalidOpError(`unknown op type ${String((op as { type?: unknown }).type)}`);
    }
  }

  // ---- join -----------------------------------------------------------------------------------

  /** Joins a delta (or any state) into this replica: idempotent, any order, duplicates fine. */
  applyDelta(delta: CartDelta): void {
    if (!(delta instanceof CartState)) throw new TypeError('applyDelta expects a CartDelta');
    this.#join(delta._lines, delta._ctx);
  }

  merge(other: Cart): void {
    if (!(other instanceof Cart)) throw new TypeError('merge expects a Cart');
    if (other === this) return;
    this.#join(other.#lines, other.#ctx);
  }

  /**
   * Dot-store join (Almeida et al. §6): keep our entry unless the other side has seen its dot and
   * no longer holds it; take the other's entry unless we have seen its dot.
   */
  #join(dLines: ReadonlyMap<string, Line>, dCtx: CausalContext): void {
    const ctx = this.#ctx;
    // Removals first, against the other side's context. A small delta looks its dots up in the
    // (lazily built) dot index; a large one is cheaper to check entry by entry.
    if (this.#index === null && dCtx.dotCount() > this.#lines.size) {
      this.#removeScanning(dLines, dCtx);
    } else {
      this.#removeIndexed(dLines, dCtx);
    }
    // Additions: entries whose dots we have never seen.
    let lastActor: ActorId | undefined;
    let lastIv: Intervals | undefined;
    for (const [pid, dl] of dLines) {
      let line: Line | undefined;
      for (const e of dl.entries) {
        if (e.actor !== lastActor) {
          lastActor = e.actor;
          lastIv = ctx._intervals(e.actor);
        }
        if (lastIv !== undefined && hasValue(lastIv, e.counter)) continue;
        line ??= this.#own(pid);
        if (line.entries.length > 0 && lineHas(line, e.actor, e.counter)) continue;
        line.entries.push(e);
        this.#indexAdd(e, pid);
      }
      if (line !== undefined && line.entries.length === 0) this.#lines.delete(pid);
    }
    ctx.join(dCtx);
    const mine = ctx.max(this.actor);
    if (mine > this.#counter) this.#counter = mine;
  }

  #removeIndexed(dLines: ReadonlyMap<string, Line>, dCtx: CausalContext): void {
    for (const [actor, iv] of dCtx._entries()) {
      const idx = this.#indexFor(actor);
      if (idx === undefined || idx.size === 0) continue;
      let victims: Array<[number, string]> | undefined;
      if (countValues(iv) <= idx.size) {
        for (let k = 0; k < iv.length; k += 2) {
          for (let c = iv[k]!; c <= iv[k + 1]!; c++) {
            const pid = idx.get(c);
            if (pid !== undefined && !lineHas(dLines.get(pid), actor, c)) {
              victims ??= [];
              victims.push([c, pid]);
            }
          }
        }
      } else {
        for (const [c, pid] of idx) {
          if (hasValue(iv, c) && !lineHas(dLines.get(pid), actor, c)) {
            victims ??= [];
            victims.push([c, pid]);
          }
        }
      }
      if (victims) for (const [c, pid] of victims) this.#removeEntry(pid, actor, c);
    }
  }

  /** Removal by one pass over our entries, without building the dot index. */
  #removeScanning(dLines: ReadonlyMap<string, Line>, dCtx: CausalContext): void {
    let lastActor: ActorId | undefined;
    let lastIv: Intervals | undefined;
    let victims: string[] | undefined;
    for (const [pid, line] of this.#lines) {
      for (const e of line.entries) {
        if (e.actor !== lastActor) {
          lastActor = e.actor;
          lastIv = dCtx._intervals(e.actor);
        }
        if (
          lastIv !== undefined &&
          hasValue(lastIv, e.counter) &&
          !lineHas(dLines.get(pid), e.actor, e.counter)
        ) {
          victims ??= [];
          victims.push(pid);
          break;
        }
      }
    }
    if (victims === undefined) return;
    for (const pid of victims) {
      const line = this.#own(pid);
      const dl = dLines.get(pid);
      line.entries = line.entries.filter((e) => {
        const iv = dCtx._intervals(e.actor);
        return iv === undefined || !hasValue(iv, e.counter) || lineHas(dl, e.actor, e.counter);
      });
      if (line.entries.length === 0) this.#lines.delete(pid);
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  lines(): CartLine[] {
    return visibleLines(this.#lines);
  }

  get(productId: string): CartLine | undefined {
    const line = this.#lines.get(productId);
    return line === undefined ? undefined : toCartLine(productId, line);
  }

  get size(): number {
    return countVisible(this.#lines);
  }

  /** A copy of what this replica has seen. */
  context(): CausalContext {
    return this.#ctx.clone();
  }

  /**
   * What `peer` lacks: entries whose dots it has not seen, and a context that also carries the
   * removals it must learn. The context is ours minus the live dots the peer already has, i.e.
   * per actor a few intervals around our live dots — O(changes + live lines), not O(history).
   * Joining the result into the peer equals joining our full state into it.
   */
  deltaSince(peer: CausalContext): CartDelta {
    if (!(peer instanceof CausalContext)) throw new TypeError('deltaSince expects a CausalContext');
    const lines = new Map<string, Line>();
    const liveSeen = new Map<ActorId, number[]>();
    let lastActor: ActorId | undefined;
    let lastIv: Intervals | undefined;
    for (const [pid, line] of this.#lines) {
      let fresh: Entry[] | undefined;
      for (const e of line.entries) {
        if (e.actor !== lastActor) {
          lastActor = e.actor;
          lastIv = peer._intervals(e.actor);
        }
        if (lastIv !== undefined && hasValue(lastIv, e.counter)) {
          const l = liveSeen.get(e.actor);
          if (l === undefined) liveSeen.set(e.actor, [e.counter]);
          else l.push(e.counter);
        } else {
          fresh ??= [];
          fresh.push(e);
        }
      }
      if (fresh !== undefined) lines.set(pid, new Line(fresh, 0));
    }
    const m = new Map<ActorId, Intervals>();
    for (const [actor, iv] of this.#ctx._entries()) {
      const seen = liveSeen.get(actor);
      const d =
        seen === undefined ? iv.slice() : differenceIntervals(iv, intervalsFromSorted(seen.sort(byNumber)));
      if (d.length > 0) m.set(actor, d);
    }
    return new CartState(lines, new CausalContext(m));
  }

  /** An immutable snapshot (lines are shared copy-on-write, so this is O(lines) shallow). */
  state(): CartState {
    this.#gen = nextGen();
    return new CartState(new Map(this.#lines), this.#ctx.clone());
  }

  equals(other: Cart): boolean {
    return statesEqual(this.#lines, this.#ctx, other.#lines, other.#ctx);
  }

  /**
   * Bounded metadata: forgets retired actors' ranges in the causal context (after Akka Distributed
   * Data's pruning of removed nodes). Only actors without live entries can be retired, and only once
   * every replica has seen the same dots of them (see `retirableActors`) and they will never write
   * again (a deregistered device, a vnode actor of a retired epoch): a delta of theirs arriving after
   * retirement would be taken as new. Every replica must retire the same actors, since joining a
   * context that still lists them brings the ranges back (harmless, but not smaller).
   */
  retireActors(actors: Iterable<ActorId>): void {
    const list = [...actors];
    for (const a of list) {
      if (a === this.actor) throw new TypeError('a replica cannot retire its own actor');
      for (const line of this.#lines.values()) {
        if (line.entries.some((e) => e.actor === a)) throw new TypeError(`actor ${a} still has live entries`);
      }
    }
    this.#ctx.retireActors(list);
    if (this.#index !== null) for (const a of list) this.#index.delete(a);
  }

  // ---- internals ------------------------------------------------------------------------------

  #mint(): number {
    if (this.#counter >= LIMITS.maxCounter) throw new CrdtLimitError('dot counter space exhausted');
    const c = ++this.#counter;
    this.#ctx.addDot(this.actor, c);
    return c;
  }

  /** An HLC timestamp greater than `observed`, so a causally later write never loses LWW. */
  #stamp(observed: number): number {
    let t = this.#hlc.now();
    if (t <= observed) {
      this.#hlc.observe(observed);
      t = this.#hlc.now();
    }
    return t;
  }

  /** The line for `pid`, owned by this replica's current generation (copied if shared). */
  #own(pid: string): Line {
    let line = this.#lines.get(pid);
    if (line === undefined) {
      line = new Line([], this.#gen);
      this.#lines.set(pid, line);
    } else if (line.gen !== this.#gen) {
      line = new Line(line.entries.slice(), this.#gen);
      this.#lines.set(pid, line);
    }
    return line;
  }

  #removeEntry(pid: string, actor: ActorId, counter: number): void {
    const line = this.#own(pid);
    const entries = line.entries;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.counter === counter && e.actor === actor) {
        entries.splice(i, 1);
        this.#indexRemove(e);
        break;
      }
    }
    if (entries.length === 0) this.#lines.delete(pid);
  }

  #indexFor(actor: ActorId): Map<number, string> | undefined {
    if (this.#index === null) {
      const index = new Map<ActorId, Map<number, string>>();
      for (const [pid, line] of this.#lines) {
        for (const e of line.entries) {
          let m = index.get(e.actor);
          if (m === undefined) {
            m = new Map();
            index.set(e.actor, m);
          }
          m.set(e.counter, pid);
        }
      }
      this.#index = index;
    }
    return this.#index.get(actor);
  }

  #indexAdd(e: Entry, pid: string): void {
    if (this.#index === null) return;
    let m = this.#index.get(e.actor);
    if (m === undefined) {
      m = new Map();
      this.#index.set(e.actor, m);
    }
    m.set(e.counter, pid);
  }

  #indexRemove(e: Entry): void {
    if (this.#index === null) return;
    this.#index.get(e.actor)?.delete(e.counter);
  }
}

function byNumber(a: number, b: number): number {
  return a - b;
}

function lineHas(line: Line | undefined, actor: ActorId, counter: number): boolean {
  if (line === undefined) return false;
  for (const e of line.entries) if (e.counter === counter && e.actor === actor) return true;
  return false;
}

function checkActor(actor: ActorId | undefined): ActorId {
  return actor === undefined ? uuidv4() : checkActorId(actor);
}
