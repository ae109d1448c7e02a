import type { HistoryOp } from '../history/history.js';
import { parseDotId } from '../stores/dot-id.js';

/** actor → highest counter: stands for every dot at or below it (see VersionVector). */
export type Vector = Map<string, number>;

export function joinInto(into: Vector, from: ReadonlyMap<string, number>): void {
  for (const [actor, counter] of from) if ((into.get(actor) ?? 0) < counter) into.set(actor, counter);
}

/** Whether the causal past `past` holds the write `id` (false for ids that are not dots). */
export function pastHolds(past: ReadonlyMap<string, number>, id: string): boolean {
  const dot = parseDotId(id);
  return dot !== undefined && (past.get(dot.actor) ?? 0) >= dot.counter;
}

interface Stamp {
  readonly counter: number;
  readonly context: ReadonlyMap<string, number>;
}

/**
 * Happened-before over the dots of one cart's history (Lamport 1978), as version vectors.
 *
 * A dot a@c follows every earlier dot of its actor (an actor numbers its operations and has seen
 * its own earlier ones) and everything the replica that minted it had seen: the context the
 * store stamped on the operation. Both rules apply transitively, so
 *
 *   past(a@c) = {a: c} ⊔ past(a's previous stamped dot) ⊔ context(a@c) ⊔ ⊔_b past(b@context(a@c)[b])
 *
 * where a dot without a stamp (an operation with an unknown outcome) stands for the largest
 * stamped dot of its actor below it. Because each actor's pasts only grow with its counter, a
 * past is one vector: the per-actor maximum is enough (Fidge/Mattern vector clocks), and the
 * whole computation is one memoised pass over the stamped dots, never a closure over sets.
 *
 * Stamps are lower bounds of what each minter had seen, so a computed past is a lower bound of
 * the real one: a write it holds surely happened before; a write it does not hold may still be
 * concurrent. The checkers only flag what it holds.
 */
export class CausalPast {
  /** actor → stamped dots in ascending counter order. */
  private readonly stamps = new Map<string, Stamp[]>();
  /** actor → index → memoised past of that stamped dot. */
  private readonly memo = new Map<string, Array<Vector | undefined>>();
  /** What a kill's observed set reaches, per kill (memoised). */
  private readonly reachOf = new Map<HistoryOp, Vector>();
  /** Ids that are writes (entries), so never a kill's own dot. */
  private readonly entryIds: Set<string>;

  constructor(ops: readonly HistoryOp[], finalIds: Iterable<string> = []) {
    this.entryIds = new Set(finalIds);
    for (const op of ops) {
      if (op.writeId !== undefined) this.entryIds.add(op.writeId);
      for (const line of op.readLines ?? []) for (const id of line.ids) this.entryIds.add(id);
    }
    const byActor = new Map<string, Map<number, Vector>>();
    for (const op of ops) {
      if (op.causal === undefined) continue;
      const candidates = op.causal.dot === undefined ? this.ownDotCandidates(op) : [op.causal.dot];
      const dot = candidates.length === 1 ? parseDotId(candidates[0] as string) : undefined;
      if (dot === undefined) continue;
      let counters = byActor.get(dot.actor);
      if (counters === undefined) {
        counters = new Map();
        byActor.set(dot.actor, counters);
      }
      // One dot is minted once; should a store ever report it twice, both stamps hold.
      const context = counters.get(dot.counter) ?? new Map<string, number>();
      joinInto(context, new Map(Object.entries(op.causal.context)));
      counters.set(dot.counter, context);
    }
    for (const [actor, counters] of byActor)
      this.stamps.set(
        actor,
        [...counters]
          .map(([counter, context]) => ({ counter, context }))
          .sort((a, b) => a.counter - b.counter),
      );
  }

  /**
   * The kill's own dot, when the store could not tell it (a coordinator's remove or clear:
   * see writeOutcome) is one of the per-actor maxima of its observed set (an actor's new dot is
   * above all of its dots it had seen) that no write carries.
   */
  ownDotCandidates(kill: HistoryOp): string[] {
    if (kill.causal === undefined || kill.causal.dot !== undefined || kill.observed === undefined) return [];
    const maxima = new Map<string, number>();
    for (const id of kill.observed) {
      const dot = parseDotId(id);
      if (dot !== undefined && (maxima.get(dot.actor) ?? 0) < dot.counter) maxima.set(dot.actor, dot.counter);
    }
    const out: string[] = [];
    for (const [actor, counter] of maxima) {
      const id = `${actor}@${counter}`;
      if (!this.entryIds.has(id)) out.push(id);
    }
    return out;
  }

  /** past(a@c), the dot itself included. */
  of(id: string): Vector {
    const dot = parseDotId(id);
    const out: Vector = new Map();
    if (dot === undefined) return out;
    out.set(dot.actor, dot.counter);
    const i = this.stampAtOrBelow(dot.actor, dot.counter);
    if (i >= 0) joinInto(out, this.stamped(dot.actor, i));
    return out;
  }

  /**
   * Everything a kill removes by the causal rule: the union of the pasts of the writes it
   * observed (its own dot excluded). When its own dot is ambiguous, the intersection over the
   * candidates (a pointwise minimum of vectors) keeps the result a lower bound.
   */
  reach(kill: HistoryOp): Vector {
    const cached = this.reachOf.get(kill);
    if (cached !== undefined) return cached;
    const out: Vector = new Map();
    if (kill.causal !== undefined && kill.observed !== undefined) {
      const candidates = this.ownDotCandidates(kill);
      const observed = kill.observed.filter((id) => id !== kill.writeId);
      if (candidates.length <= 1) {
        for (const id of observed) if (id !== candidates[0]) joinInto(out, this.of(id));
      } else {
        const each = candidates.map((own) => {
          const v: Vector = new Map();
          for (const id of observed) if (id !== own) joinInto(v, this.of(id));
          return v;
        });
        const [first, ...rest] = each as [Vector, ...Vector[]];
        for (const [actor, counter] of first) {
          const min = rest.reduce((m, v) => Math.min(m, v.get(actor) ?? 0), counter);
          if (min > 0) out.set(actor, min);
        }
      }
    }
    this.reachOf.set(kill, out);
    return out;
  }

  /** An observed write of `kill` whose past holds `id` (for violation reports). */
  via(kill: HistoryOp, id: string): string | undefined {
    const own = this.ownDotCandidates(kill);
    return kill.observed?.find((o) => o !== kill.writeId && !own.includes(o) && pastHolds(this.of(o), id));
  }

  private stampAtOrBelow(actor: string, counter: number): number {
    const list = this.stamps.get(actor);
    if (list === undefined) return -1;
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as Stamp).counter <= counter) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The past of the i-th stamped dot of `actor`. Each actor's stamps are evaluated in ascending
   * order, so the recursion only descends across actors (to dots minted earlier) and stays
   * shallow; an in-progress marker cuts the cycle a corrupt history could hold.
   */
  private stamped(actor: string, i: number): Vector {
    let memo = this.memo.get(actor);
    if (memo === undefined) {
      memo = [];
      this.memo.set(actor, memo);
    }
    const done = memo[i];
    if (done !== undefined) return done;
    const list = this.stamps.get(actor) as Stamp[];
    let start = i;
    while (start > 0 && memo[start - 1] === undefined) start--;
    for (let k = start; k <= i; k++) {
      const stamp = list[k] as Stamp;
      const out: Vector = new Map(k > 0 ? (memo[k - 1] as Vector) : []);
      memo[k] = out; // in progress: a cycle back here sees what is known so far
      joinInto(out, stamp.context);
      out.set(actor, Math.max(out.get(actor) ?? 0, stamp.counter));
      for (const [other, counter] of stamp.context) {
        if (other === actor) continue;
        const j = this.stampAtOrBelow(other, counter);
        if (j >= 0) joinInto(out, this.stamped(other, j));
      }
    }
    return memo[i] as Vector;
  }
}
